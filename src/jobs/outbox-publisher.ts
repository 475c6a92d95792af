import type { EventStream, OutboxQueue } from '../app/outbox.js';
import type { Logger } from '../observability/logger.js';
import { outboxEventsFailed, outboxEventsProcessed } from '../observability/metrics.js';
import type { Job } from './scheduler.js';

export interface OutboxPublisherOptions {
  queue: OutboxQueue;
  stream: EventStream;
  workerId: string;
  logger: Pick<Logger, 'warn' | 'error'>;
  /** Events claimed per batch. */
  batchSize?: number;
  /** A claim older than this was left by a dead worker and is taken over. */
  leaseMs?: number;
  /** Attempts before an event is marked failed and dead-lettered. */
  maxAttempts?: number;
  /** How long to wait between polls when the outbox is empty. */
  pollMs?: number;
  now?: () => Date;
}

/** How long the stream may be unreachable before the outage is logged. */
const UNAVAILABLE_WARNING_MS = 5_000;

/** A run drains at most this many batches, so one run never holds the loop for long. */
const MAX_BATCHES_PER_RUN = 50;

/**
 * Publishes committed outbox events to the event stream, oldest first, polling every `pollMs`
 * and draining while batches come back full. A published batch is marked processed together
 * with its webhook deliveries; a failed event is retried with backoff and, after `maxAttempts`,
 * marked failed (kept) and sent to the dead-letter stream. While the stream cannot be reached no
 * attempt is spent: the events wait in PostgreSQL and go out once it is back.
 */
export function outboxPublisher(options: OutboxPublisherOptions): Job & { stop(): Promise<void> } {
  const { queue, stream, workerId, logger } = options;
  const batchSize = options.batchSize ?? 200;
  const leaseMs = options.leaseMs ?? 60_000;
  const maxAttempts = options.maxAttempts ?? 10;
  const now = options.now ?? (() => new Date());
  // While Redis connects at start the stream is briefly unavailable too; only a lasting outage is worth a warning.
  let unavailableSince: number | undefined;
  let warnedUnavailable = false;

  async function publishBatch(): Promise<{
    claimed: number;
    published: number;
    deliveries: number;
    failed: number;
  }> {
    const events = await queue.claim({ workerId, limit: batchSize, leaseMs, now: now() });
    if (events.length === 0) return { claimed: 0, published: 0, deliveries: 0, failed: 0 };
    let errors: (Error | undefined)[];
    try {
      errors = await stream.publish(events);
    } catch (error) {
      errors = events.map(() => error as Error);
    }
    const publishedIds = events.filter((_, i) => !errors[i]).map((event) => event.id);
    const failures = events.flatMap((event, i) => {
      const error = errors[i];
      return error ? [{ id: event.id, error: error.message }] : [];
    });
    const { published, deliveries } = await queue.markPublished(publishedIds, now());
    outboxEventsProcessed.inc(published);
    const recorded = await queue.recordFailures(failures, { maxAttempts, now: now() });
    const dead = recorded.filter((failure) => failure.final);
    outboxEventsFailed.inc({ final: 'false' }, recorded.length - dead.length);
    outboxEventsFailed.inc({ final: 'true' }, dead.length);
    if (dead.length > 0) {
      try {
        await stream.deadLetter(
          dead.map((failure) => ({
            kind: 'outbox_event' as const,
            id: failure.id,
            orgId: failure.orgId,
            eventType: failure.eventType,
            error: failure.error,
          })),
        );
      } catch (error) {
        // The events are marked failed in PostgreSQL either way; the DLQ is a notification.
        logger.error({ err: error, event_ids: dead.map((d) => d.id) }, 'could not dead-letter outbox events');
      }
    }
    return { claimed: events.length, published, deliveries, failed: failures.length };
  }

  return {
    name: 'outbox-publisher',
    schedule: { everyMs: options.pollMs ?? 100 },
    runAtStart: true,
    async run() {
      if (!stream.available) {
        unavailableSince ??= Date.now();
        if (!warnedUnavailable && Date.now() - unavailableSince > UNAVAILABLE_WARNING_MS) {
          logger.warn('event stream unavailable: outbox events wait in PostgreSQL');
          warnedUnavailable = true;
        }
        return;
      }
      unavailableSince = undefined;
      warnedUnavailable = false;
      const total = { published: 0, deliveries: 0, failed: 0 };
      for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
        const result = await publishBatch();
        total.published += result.published;
        total.deliveries += result.deliveries;
        total.failed += result.failed;
        if (result.claimed < batchSize) break;
      }
      if (total.published === 0 && total.failed === 0) return;
      return `published ${total.published} events (${total.deliveries} webhook deliveries created), ${total.failed} failed`;
    },
    /** Hands back anything still claimed (after a run was cut short), for another worker to take. */
    async stop() {
      await queue.release(workerId);
    },
  };
}
