import type { Redis } from 'ioredis';
import { AircraftService } from '../app/aircraft.js';
import { ProgramGenerationService } from '../app/program-generation.js';
import { GrpcProgramGeneration, type ServiceTokenSigner } from '../api/grpc/program-client.js';
import { PgRetentionRepository } from '../infra/postgres/retention.js';
import { programGeneratorJob } from '../jobs/program-generator.js';
import { DueListService } from '../app/due-list.js';
import { directiveDueTrackerJob } from '../jobs/directive-due-tracker.js';
import { importProcessor } from '../jobs/import-processor.js';
import { importRowChecker } from '../api/rest/schemas/imports.js';
import { PgImportBatchRunner } from '../infra/postgres/import-batches.js';
import { StreamConsumer } from '../infra/streams/consumer.js';
import { StreamImportWakeUps } from '../infra/streams/import-queue.js';
import { eventsConsumed } from '../observability/metrics.js';
import { retentionCleanerJob } from '../jobs/retention-cleaner.js';
import type { Config } from '../config/config.js';
import { UndiciWebhookSender } from '../infra/http/webhook-sender.js';
import type { DatabaseHandle } from '../infra/postgres/database.js';
import { PgIdempotencyStore } from '../infra/postgres/idempotency.js';
import { PgOutboxQueue } from '../infra/postgres/outbox-queue.js';
import { PgUnitOfWork } from '../infra/postgres/unit-of-work.js';
import { PgDeliveryQueue } from '../infra/postgres/webhook-deliveries.js';
import {
  EVENTS_CONSUMER_GROUP,
  EVENTS_STREAM,
  InProcessEventStream,
  RedisEventStream,
} from '../infra/streams/event-stream.js';
import { aircraftStatusJob } from '../jobs/aircraft-status.js';
import { expiryCleaner } from '../jobs/expiry-cleaner.js';
import { outboxPublisher } from '../jobs/outbox-publisher.js';
import { JobScheduler } from '../jobs/scheduler.js';
import { webhookDispatcher } from '../jobs/webhook-dispatcher.js';
import type { Logger } from '../observability/logger.js';

export interface WorkerDeps {
  config: Config;
  logger: Logger;
  database: DatabaseHandle;
  /** Undefined in embedded mode: the event stream is then kept in process. */
  redis: Redis | undefined;
  /** Signs the program generator's calls to the server; needed when PROGRAM_SERVICE_ADDR is set. */
  serviceTokens?: ServiceTokenSigner;
}

export interface Worker {
  start(): void;
  /** Stops scheduling, waits for the runs in flight and hands back whatever is still claimed. */
  stop(): Promise<void>;
}

/** The background jobs of `amss worker` (and of `amss dev`), wired to their adapters. */
export function createWorker(deps: WorkerDeps): Worker {
  const { config, logger, database, redis } = deps;
  const uow = new PgUnitOfWork(database.db);
  const stream = redis
    ? new RedisEventStream(redis, config.outbox.streamMaxLength)
    : new InProcessEventStream();
  const publisher = outboxPublisher({
    queue: new PgOutboxQueue(database.db),
    stream,
    workerId: config.workerId,
    logger,
    maxAttempts: config.outbox.maxAttempts,
  });
  const dispatcher = webhookDispatcher({
    queue: new PgDeliveryQueue(database.db),
    sender: new UndiciWebhookSender({ publicAddressesOnly: config.appEnv === 'production' }),
    stream,
    workerId: config.workerId,
    logger,
  });
  const idempotency = new PgIdempotencyStore(database.db);
  const imports = importProcessor({
    uow,
    batches: new PgImportBatchRunner(database.db),
    rows: importRowChecker,
    storageDir: config.importStorageDir,
    workerId: config.workerId,
    logger,
    wakeUps: redis ? new StreamImportWakeUps({ redis, consumer: config.workerId, logger }) : undefined,
  });
  // The route of amss.events for consumers inside AMSS (the WebSocket hub and alerts of later
  // issues subscribe here); today it counts the events it sees.
  const events = redis
    ? new StreamConsumer({
        redis,
        stream: EVENTS_STREAM,
        group: EVENTS_CONSUMER_GROUP,
        consumer: config.workerId,
        // Reads as large as the publisher's batches, so a burst costs a few round trips.
        count: 200,
        logger,
        handler: async (message) => {
          eventsConsumed.inc({ event_type: message.fields.event_type ?? 'unknown' });
        },
      })
    : undefined;
  const programService = programGeneration(deps, uow);
  const scheduler = new JobScheduler(logger);
  const jobs = [
    publisher,
    dispatcher,
    imports.job,
    programGeneratorJob(programService, { everyMs: config.programGenerationIntervalMs }),
    retentionCleanerJob(new PgRetentionRepository(database.db), idempotency, {
      everyMs: config.retentionCleanupIntervalMs,
    }),
    expiryCleaner(uow, idempotency),
    aircraftStatusJob(new AircraftService({ uow })),
    directiveDueTrackerJob(new DueListService({ uow }), { everyMs: config.directiveDueIntervalMs }),
  ];
  return {
    start() {
      scheduler.start(jobs);
      imports.start();
      events?.start();
    },
    async stop() {
      // The import in progress is handed back after its current batch, before the scheduler stops.
      await Promise.all([imports.stop(), events?.stop()]);
      await scheduler.stop();
      await publisher.stop();
      await dispatcher.stop();
      if (programService instanceof GrpcProgramGeneration) programService.close();
    },
  };
}

/** The program generator the job runs: the server's, over gRPC, when PROGRAM_SERVICE_ADDR names it. */
function programGeneration(
  deps: WorkerDeps,
  uow: PgUnitOfWork,
): Pick<ProgramGenerationService, 'generateDue'> {
  const address = deps.config.programServiceAddr;
  if (address === undefined) return new ProgramGenerationService({ uow });
  if (!deps.serviceTokens)
    throw new Error('PROGRAM_SERVICE_ADDR is set but no service token signer was given');
  return new GrpcProgramGeneration(address, deps.serviceTokens);
}
