import type { RedisClient } from '../infra/redis/client.js';
import { AircraftService } from '../app/aircraft.js';
import { ProgramGenerationService } from '../app/program-generation.js';
import { GrpcProgramGeneration, type ServiceTokenSigner } from '../api/grpc/program-client.js';
import { PgRetentionRepository } from '../infra/postgres/retention.js';
import { programGeneratorJob } from '../jobs/program-generator.js';
import { DueListService } from '../app/due-list.js';
import { directiveDueTrackerJob } from '../jobs/directive-due-tracker.js';
import { AlertTriggerService } from '../app/alert-triggers.js';
import { alertTriggersJob } from '../jobs/alert-triggers.js';
import { importProcessor } from '../jobs/import-processor.js';
import { importRowChecker } from '../api/rest/schemas/imports.js';
import { PgImportBatchRunner } from '../infra/postgres/import-batches.js';
import { StreamConsumer, type StreamHandler } from '../infra/streams/consumer.js';
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
  DLQ_STREAM,
  EVENTS_CONSUMER_GROUP,
  EVENTS_STREAM,
  InProcessEventStream,
  RedisEventStream,
  type StreamNames,
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
  redis: RedisClient | undefined;
  /** Signs the program generator's calls to the server; needed when PROGRAM_SERVICE_ADDR is set. */
  serviceTokens?: ServiceTokenSigner;
  /**
   * Without Redis: the in-process event stream, shared with the server of the same `amss dev`
   * process so its WebSocket clients see what this worker publishes (a new one otherwise).
   */
  eventStream?: InProcessEventStream;
  /** The Redis stream names (amss.events and amss.dlq unless a test gives its own). */
  streams?: StreamNames;
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
  const inProcess = redis ? undefined : (deps.eventStream ?? new InProcessEventStream());
  const stream = inProcess ?? new RedisEventStream(redis!, config.outbox.streamMaxLength, deps.streams);
  const publisher = outboxPublisher({
    queue: new PgOutboxQueue(database.db),
    stream,
    workerId: config.workerId,
    logger,
    maxAttempts: config.outbox.maxAttempts,
    leaseMs: config.workerLeaseMs,
  });
  const dispatcher = webhookDispatcher({
    queue: new PgDeliveryQueue(database.db),
    sender: new UndiciWebhookSender({ publicAddressesOnly: config.appEnv === 'production' }),
    stream,
    workerId: config.workerId,
    logger,
    // A batch in flight renews its lease every third of it, so a lease shorter than a slow send is safe.
    leaseMs: config.workerLeaseMs,
  });
  const idempotency = new PgIdempotencyStore(database.db);
  const imports = importProcessor({
    uow,
    batches: new PgImportBatchRunner(database.db),
    rows: importRowChecker,
    storageDir: config.importStorageDir,
    workerId: config.workerId,
    logger,
    leaseMs: config.workerLeaseMs,
    wakeUps: redis ? new StreamImportWakeUps({ redis, consumer: config.workerId, logger }) : undefined,
  });
  // AMSS's own consumers of amss.events and amss.dlq: through the `amss.workers` group on Redis
  // (each message handled by one worker, at least once), by subscription in process without it.
  const eventHandlers: StreamHandler[] = [
    async (message) => {
      eventsConsumed.inc({ event_type: message.fields.event_type ?? 'unknown' });
    },
  ];
  const deadLetterHandlers: StreamHandler[] = [];
  const alertTriggers = new AlertTriggerService({ uow });
  eventHandlers.push((message) => alertTriggers.handleEvent(message));
  deadLetterHandlers.push((message) => alertTriggers.handleDeadLetter(message));
  const consumers = streamConsumers(deps, { events: eventHandlers, dlq: deadLetterHandlers }, inProcess);
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
    alertTriggersJob(alertTriggers, { everyMs: config.alertEvaluationIntervalMs }),
  ];
  return {
    start() {
      scheduler.start(jobs);
      imports.start();
      consumers.start();
    },
    async stop() {
      // The import in progress is handed back after its current batch, before the scheduler stops.
      await Promise.all([imports.stop(), consumers.stop()]);
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

/**
 * Runs every handler on each message of amss.events (`events`) and amss.dlq (`dlq`): on Redis as
 * members of the `amss.workers` group (a handler that throws leaves the message pending for a
 * retry, so handlers must be idempotent); in process, on each entry as it is added (a failure is
 * logged — the process is the whole system there).
 */
function streamConsumers(
  deps: WorkerDeps,
  handlers: Record<'events' | 'dlq', StreamHandler[]>,
  inProcess: InProcessEventStream | undefined,
): { start(): void; stop(): Promise<void> } {
  const { config, logger, redis } = deps;
  const all =
    (list: StreamHandler[]): StreamHandler =>
    async (message) => {
      for (const handler of list) await handler(message);
    };
  if (inProcess) {
    const unsubscribes: (() => void)[] = [];
    return {
      start() {
        for (const stream of ['events', 'dlq'] as const) {
          if (handlers[stream].length === 0) continue;
          const handle = all(handlers[stream]);
          unsubscribes.push(
            inProcess.subscribe((messages) => {
              void (async () => {
                for (const message of messages) {
                  await handle(message).catch((error: unknown) =>
                    logger.error(
                      { err: error, stream, message_id: message.id },
                      'in-process event handler failed',
                    ),
                  );
                }
              })();
            }, stream),
          );
        }
      },
      async stop() {
        for (const unsubscribe of unsubscribes.splice(0)) unsubscribe();
      },
    };
  }
  const consumers = (
    [
      ['events', deps.streams?.events ?? EVENTS_STREAM],
      ['dlq', deps.streams?.dlq ?? DLQ_STREAM],
    ] as const
  )
    .filter(([stream]) => handlers[stream].length > 0)
    .map(
      ([stream, name]) =>
        new StreamConsumer({
          redis: redis!,
          stream: name,
          group: EVENTS_CONSUMER_GROUP,
          consumer: config.workerId,
          // Reads as large as the publisher's batches, so a burst costs a few round trips.
          count: 200,
          logger,
          handler: all(handlers[stream]),
        }),
    );
  return {
    start() {
      for (const consumer of consumers) consumer.start();
    },
    async stop() {
      await Promise.all(consumers.map((consumer) => consumer.stop()));
    },
  };
}
