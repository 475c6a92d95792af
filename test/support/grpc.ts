import { Metadata, type CallOptions, type ServiceError, type status } from '@grpc/grpc-js';
import { TaskPriority, TaskState, TaskType, type TaskServiceClient } from '../../src/api/grpc/gen/amss.js';
import { buildGrpcServer, type GrpcServer } from '../../src/api/grpc/server.js';
import { translateDatabaseError } from '../../src/infra/postgres/errors.js';
import { PgIdempotencyStore } from '../../src/infra/postgres/idempotency.js';
import { createLogger } from '../../src/observability/logger.js';
import type { TestApp } from './app.js';

/** The gRPC server over a test app's services, listening on a free local port. */
export async function startTestGrpc(t: TestApp): Promise<{ server: GrpcServer; address: string }> {
  const server = buildGrpcServer({
    services: t.container.services,
    authenticator: t.container.authenticator,
    serviceVerifier: t.container.tokens,
    idempotency: new PgIdempotencyStore(t.db.db),
    logger: createLogger('silent'),
    translateError: translateDatabaseError,
  });
  const port = await server.listen({ host: '127.0.0.1', port: 0 });
  return { server, address: `127.0.0.1:${port}` };
}

/** Call metadata with a Bearer token (when given) and any other entries. */
export function auth(token: string | undefined, extra: Record<string, string> = {}): Metadata {
  const metadata = new Metadata();
  if (token) metadata.set('authorization', `Bearer ${token}`);
  for (const [key, value] of Object.entries(extra)) metadata.set(key, value);
  return metadata;
}

/**
 * Calls a unary method of a generated client and resolves with its response. (The methods'
 * last overload, with call options, is the one TypeScript infers from.)
 */
export function call<Req, Res>(
  method: (
    request: Req,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: Res) => void,
  ) => unknown,
  request: Req,
  metadata: Metadata,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(request, metadata, {}, (error, response) => (error ? reject(error) : resolve(response)));
  });
}

/** The error a call fails with, with its trailing `amss-reason`. */
export async function failure(
  promise: Promise<unknown>,
): Promise<{ code: status; reason: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as ServiceError;
    return { code: e.code, reason: String(e.metadata.get('amss-reason')[0]), message: e.details };
  }
  throw new Error('expected the call to fail');
}

/** Every task the token's organization can see, through gRPC `ListTasks`. */
export const listTasks = (client: TaskServiceClient, token: string) =>
  call(
    client.listTasks.bind(client),
    {
      state: TaskState.TASK_STATE_UNSPECIFIED,
      type: TaskType.TASK_TYPE_UNSPECIFIED,
      priority: TaskPriority.TASK_PRIORITY_UNSPECIFIED,
      pageSize: 0,
      pageToken: '',
    },
    auth(token),
  );

/** A one-hour inspection of the aircraft, through gRPC `CreateTask`. */
export const createTask = (client: TaskServiceClient, token: string, aircraftId: string) =>
  call(
    client.createTask.bind(client),
    {
      aircraftId,
      type: TaskType.TASK_TYPE_INSPECTION,
      priority: TaskPriority.TASK_PRIORITY_UNSPECIFIED,
      requiredParts: [],
      startTime: new Date(Date.UTC(2031, 0, 1)),
      endTime: new Date(Date.UTC(2031, 0, 1, 1)),
    },
    auth(token),
  );
