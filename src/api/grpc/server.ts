import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import type { IdempotencyStore } from '../../app/idempotency.js';
import type { Services } from '../../app/services.js';
import type { RequestAuthenticator } from '../../app/authentication.js';
import type { ServiceTokenVerifier } from '../../app/tokens.js';
import type { Logger } from '../../observability/logger.js';
import type { CallOptions } from './call.js';
import {
  AuditServiceService,
  InventoryServiceService,
  ProgramServiceService,
  TaskServiceService,
} from './gen/amss.js';
import { authenticating, idempotent, observing, refusingNul, tracing } from './interceptors.js';
import { auditService } from './services/audit.js';
import { inventoryService } from './services/inventory.js';
import { programService } from './services/programs.js';
import { taskService } from './services/tasks.js';

/**
 * The compiled descriptors (`buf build`, kept in proto/ by `npm run proto`) of proto/amss.proto
 * with its imports, and of the standard health service. Reflection serves them as they are:
 * descriptors rebuilt by proto-loader drop their imports, and reflection clients such as
 * `buf curl` then cannot link the schema.
 */
const DESCRIPTOR_SETS = ['amss.binpb', 'grpc-health.binpb'].map((name) =>
  fileURLToPath(new URL(`../../../proto/${name}`, import.meta.url)),
);

/** The reflection service's input: every file of the descriptor sets, in proto-loader's shape. */
function reflectionDescriptors(): PackageDefinition {
  const files = DESCRIPTOR_SETS.flatMap(
    (path) => fromBinary(FileDescriptorSetSchema, readFileSync(path)).file,
  );
  const fileDescriptorProtos = files.map((file) => Buffer.from(toBinary(FileDescriptorProtoSchema, file)));
  return {
    descriptors: { format: 'Protocol Buffer 3 FileDescriptorProto', fileDescriptorProtos },
  } as unknown as PackageDefinition;
}

const SERVICE_NAMES = [
  'amss.v1.TaskService',
  'amss.v1.InventoryService',
  'amss.v1.AuditService',
  'amss.v1.ProgramService',
];

/** Methods whose `idempotency-key` metadata makes a retry safe. */
const IDEMPOTENT_METHODS = new Set([
  TaskServiceService.createTask.path,
  TaskServiceService.transitionState.path,
  InventoryServiceService.reserveParts.path,
  ProgramServiceService.generateTasks.path,
]);

export interface GrpcServerDeps {
  services: Services;
  /** Who a call's Bearer token speaks for (shared with REST). */
  authenticator: RequestAuthenticator;
  /** Checks the service tokens of AMSS jobs (the worker's program generator). */
  serviceVerifier: ServiceTokenVerifier;
  idempotency: IdempotencyStore;
  logger: Logger;
  translateError: (error: unknown) => unknown;
}

export interface GrpcServer {
  /** Listens on `host:port`; returns the port bound (useful with port 0). */
  listen(address: { host: string; port: number }): Promise<number>;
  /** Stops taking calls and lets the calls in flight finish (up to `graceMs`, then cancels them). */
  close(graceMs?: number): Promise<void>;
  /** The health service, for marking the services NOT_SERVING while shutting down. */
  health: HealthImplementation;
}

/**
 * The gRPC server: the four AMSS services over the application services, each call through the
 * tracing, logging/metrics, auth, NUL-refusing and idempotency interceptors; plus the standard
 * health and reflection services (so `buf curl` can call it by reflection).
 */
export function buildGrpcServer(deps: GrpcServerDeps): GrpcServer {
  const options: CallOptions = {
    logger: deps.logger,
    translateError: deps.translateError,
    interceptors: [
      tracing,
      observing,
      authenticating(deps.authenticator, {
        verifier: deps.serviceVerifier,
        methods: new Set([ProgramServiceService.generateTasks.path]),
      }),
      refusingNul,
      idempotent(deps.idempotency, IDEMPOTENT_METHODS),
    ],
  };
  const server = new Server();
  server.addService(TaskServiceService, taskService(deps.services, options));
  server.addService(InventoryServiceService, inventoryService(deps.services, options));
  server.addService(AuditServiceService, auditService(deps.services, options));
  server.addService(ProgramServiceService, programService(deps.services, options));

  const health = new HealthImplementation({
    '': 'SERVING',
    ...Object.fromEntries(SERVICE_NAMES.map((name) => [name, 'SERVING' as const])),
  });
  health.addToServer(server);
  new ReflectionService(reflectionDescriptors()).addToServer(server);

  return {
    health,
    listen: (address) =>
      new Promise((resolve, reject) => {
        server.bindAsync(
          `${address.host}:${address.port}`,
          ServerCredentials.createInsecure(),
          (error, port) => (error ? reject(error) : resolve(port)),
        );
      }),
    async close(graceMs = 10_000) {
      health.setStatus('', 'NOT_SERVING');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
