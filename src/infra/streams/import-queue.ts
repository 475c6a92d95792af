import type { RedisClient } from '../redis/client.js';
import type { ImportQueue, ImportWakeUps } from '../../app/imports.js';
import { StreamConsumer, type StreamConsumerOptions } from './consumer.js';
import type { Logger } from '../../observability/logger.js';
import { withTimeout } from '../../app/timeout.js';

/** The stream that wakes import workers (fields `import_id`, `org_id`). */
export const IMPORT_JOBS_STREAM = 'import.jobs';
/** The consumer group of the import workers on it. */
export const IMPORT_WORKERS_GROUP = 'amss.import-workers';

/** The stream is only a wake-up call (PostgreSQL holds every import), so it is kept short. */
const MAX_LENGTH = 10_000;

/** The longest an upload waits for Redis before relying on the workers' sweep instead. */
const ENQUEUE_TIMEOUT_MS = 1_000;

/**
 * Enqueues imports on the Redis stream `import.jobs`. A failure (Redis down or slow) is logged and
 * reported as `false`, never thrown: the import is already committed as pending in PostgreSQL, and
 * the processor's sweep finds it there.
 */
export class RedisImportQueue implements ImportQueue {
  constructor(
    private readonly redis: RedisClient,
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly stream: string = IMPORT_JOBS_STREAM,
  ) {}

  async enqueue(job: { importId: string; orgId: string }): Promise<boolean> {
    try {
      await withTimeout(
        this.redis.xadd(
          this.stream,
          'MAXLEN',
          '~',
          MAX_LENGTH,
          '*',
          'import_id',
          job.importId,
          'org_id',
          job.orgId,
        ),
        ENQUEUE_TIMEOUT_MS,
        () => new Error('Redis did not answer in time'),
      );
      return true;
    } catch (error) {
      this.logger.warn(
        { err: error, import_id: job.importId },
        'could not enqueue the import on import.jobs; a worker sweep will pick it up',
      );
      return false;
    }
  }
}

/** Without Redis (embedded mode) the processor's sweep is the only way imports are found. */
export const sweepOnlyImportQueue: ImportQueue = {
  enqueue: async () => false,
};

/**
 * Wake-ups for import workers from `import.jobs`, through the consumer group `amss.import-workers`
 * (a message a dead worker held is taken over; see StreamConsumer).
 */
export class StreamImportWakeUps implements ImportWakeUps {
  private consumer: StreamConsumer | undefined;

  constructor(
    private readonly options: Pick<StreamConsumerOptions, 'redis' | 'consumer' | 'logger'> &
      Partial<Pick<StreamConsumerOptions, 'stream' | 'group' | 'blockMs' | 'claimIdleMs'>>,
  ) {}

  start(onImport: (importId: string) => Promise<void>): void {
    this.consumer ??= new StreamConsumer({
      stream: IMPORT_JOBS_STREAM,
      group: IMPORT_WORKERS_GROUP,
      ...this.options,
      handler: async (message) => {
        const importId = message.fields.import_id;
        if (importId !== undefined) await onImport(importId);
      },
    });
    this.consumer.start();
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
  }
}
