import type { DeadLetter, EventStream } from '../app/outbox.js';
import type {
  ClaimedDelivery,
  DeliveryOutcome,
  DeliveryQueue,
  WebhookSender,
} from '../app/webhook-deliveries.js';
import { WEBHOOK_DELETED_ERROR } from '../app/webhooks.js';
import { attemptOutcome, signedHeaders, type AttemptOutcome } from '../domain/webhook.js';
import type { Logger } from '../observability/logger.js';
import { webhookDeliveries } from '../observability/metrics.js';
import type { Job } from './scheduler.js';
import { withTimeout } from '../app/timeout.js';

export interface WebhookDispatcherDeps {
  queue: DeliveryQueue;
  sender: WebhookSender;
  /** Where a given-up delivery is dead-lettered; when it cannot take the letter, the delivery is still failed, and logged. */
  stream: Pick<EventStream, 'deadLetter'>;
  /** Recorded in `locked_by` of the deliveries this worker claims. */
  workerId: string;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  now?: () => Date;
  /** Jitter source, in [0, 1). */
  random?: () => number;
  /** Deliveries claimed per batch. */
  batchSize?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** A claim older than this was left by a dead worker and is taken over (default: a minute, at least three attempts). */
  leaseMs?: number;
  /**
   * How often a batch in flight renews the lease of the deliveries it still holds (default: a
   * third of the lease), so a live worker keeps its claims however long the batch takes.
   */
  renewEveryMs?: number;
  /** How long to wait between polls when nothing is due. */
  pollMs?: number;
}

/** What one batch did. */
export interface DispatchSummary {
  claimed: number;
  delivered: number;
  retried: number;
  failed: number;
}

/** The dispatcher job, plus a single batch for tests and `stop()` for shutdown. */
export type WebhookDispatcher = Job & {
  dispatchBatch(): Promise<DispatchSummary>;
  /** Hands back deliveries still claimed by this worker and closes the sender's connections. */
  stop(): Promise<void>;
};

/** A run drains at most this many full batches, so one run never holds the loop for long. */
const MAX_BATCHES_PER_RUN = 50;
/** A dead letter that the stream does not take within this long is logged instead. */
const DLQ_TIMEOUT_MS = 2_000;

interface Attempted {
  delivery: ClaimedDelivery;
  outcome: AttemptOutcome;
}

/**
 * Sends due webhook deliveries: claims a batch (taking over claims older than the lease), POSTs
 * each signed payload through the sender (several at once, up to `concurrency`), and records every
 * outcome in one statement per batch. 2xx is delivered; any other answer, a network error or a
 * timeout is retried with exponential backoff and jitter (429 waits for its `Retry-After`); the
 * attempt that reaches the org's `max_webhook_attempts` fails the delivery and sends a message to
 * the dead-letter stream. Deliveries of a deleted webhook fail without a send.
 */
export function webhookDispatcher(deps: WebhookDispatcherDeps): WebhookDispatcher {
  const { queue, sender, stream, workerId, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const batchSize = deps.batchSize ?? 100;
  const concurrency = deps.concurrency ?? 16;
  const leaseMs = deps.leaseMs ?? Math.max(60_000, sender.timeoutMs * 3);
  const renewEveryMs = deps.renewEveryMs ?? leaseMs / 3;

  /**
   * Renews the batch's lease every `renewEveryMs` until stopped. A batch of 100 against an
   * endpoint that hangs until the 10 s timeout, 16 at a time, takes 70 s: without renewal another
   * worker would take the whole batch over at 60 s, send it again, and the first worker's
   * recorded attempts would be lost (so `max_webhook_attempts` would never be reached).
   */
  function keepLease(): () => void {
    let renewing: Promise<unknown> = Promise.resolve();
    const timer = setInterval(() => {
      renewing = renewing.then(() =>
        queue
          .renew(workerId, now())
          .catch((error: unknown) =>
            logger.warn({ err: error }, 'could not renew the lease of webhook deliveries'),
          ),
      );
    }, renewEveryMs);
    return () => clearInterval(timer);
  }

  /** One attempt, signed when it is made; its outcome decided by the domain's rules. */
  async function attempt(delivery: ClaimedDelivery): Promise<AttemptOutcome> {
    const result = await sender.send({
      url: delivery.url,
      headers: signedHeaders({
        secret: delivery.secret,
        rawBody: delivery.payload,
        eventType: delivery.eventType,
        deliveryId: delivery.id,
        at: now(),
      }),
      body: delivery.payload,
    });
    return attemptOutcome({
      result,
      previousAttempts: delivery.attemptCount,
      maxAttempts: delivery.maxAttempts,
      now: now(),
      random: deps.random,
    });
  }

  async function deadLetter(failed: Attempted[]): Promise<void> {
    if (failed.length === 0) return;
    const letters: DeadLetter[] = failed.map(({ delivery, outcome }) => ({
      kind: 'webhook_delivery',
      id: delivery.id,
      orgId: delivery.orgId,
      eventType: delivery.eventType,
      error: outcome.lastError ?? 'failed',
    }));
    try {
      await withTimeout(
        stream.deadLetter(letters),
        DLQ_TIMEOUT_MS,
        () => new Error(`no answer from the dead-letter stream within ${DLQ_TIMEOUT_MS} ms`),
      );
    } catch (error) {
      // The deliveries are marked failed in PostgreSQL either way; the DLQ is a notification.
      logger.error(
        { err: error, delivery_ids: letters.map((letter) => letter.id) },
        'could not dead-letter webhook deliveries',
      );
    }
  }

  async function dispatchBatch(): Promise<DispatchSummary> {
    const deliveries = await queue.claim({ workerId, limit: batchSize, leaseMs, now: now() });
    const summary: DispatchSummary = { claimed: deliveries.length, delivered: 0, retried: 0, failed: 0 };
    if (deliveries.length === 0) return summary;
    const stopRenewing = keepLease();
    try {
      const outcomes = await mapConcurrent(deliveries, concurrency, async (delivery) => ({
        delivery,
        outcome: delivery.webhookDeleted ? cancelled(delivery, now()) : await attempt(delivery),
      })).finally(stopRenewing);
      const owned = new Set(
        await queue.recordOutcomes(
          workerId,
          outcomes.map(({ delivery, outcome }): DeliveryOutcome => ({ deliveryId: delivery.id, outcome })),
        ),
      );
      const recorded = outcomes.filter(({ delivery }) => owned.has(delivery.id));
      if (recorded.length < outcomes.length) {
        logger.warn(
          { lost: outcomes.length - recorded.length },
          'webhook deliveries were taken over by another worker, or cancelled by a webhook delete, before their outcome was recorded',
        );
      }
      const attempted = recorded.filter(({ delivery }) => !delivery.webhookDeleted);
      for (const { outcome } of attempted) webhookDeliveries.inc({ status: outcome.result });
      summary.delivered = attempted.filter(({ outcome }) => outcome.result === 'delivered').length;
      summary.retried = attempted.filter(({ outcome }) => outcome.result === 'retry').length;
      summary.failed = recorded.filter(({ outcome }) => outcome.status === 'failed').length;
      await deadLetter(attempted.filter(({ outcome }) => outcome.result === 'failed'));
      return summary;
    } catch (error) {
      await queue
        .release(workerId)
        .catch((releaseError: unknown) =>
          logger.error({ err: releaseError }, 'could not hand back claimed webhook deliveries'),
        );
      throw error;
    }
  }

  return {
    name: 'webhook-dispatcher',
    schedule: { everyMs: deps.pollMs ?? 100 },
    runAtStart: true,
    dispatchBatch,
    async run() {
      const total = { delivered: 0, retried: 0, failed: 0 };
      for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
        const result = await dispatchBatch();
        total.delivered += result.delivered;
        total.retried += result.retried;
        total.failed += result.failed;
        if (result.claimed < batchSize) break;
      }
      if (total.delivered + total.retried + total.failed === 0) return;
      return `webhook deliveries: ${total.delivered} delivered, ${total.retried} to retry, ${total.failed} failed`;
    },
    async stop() {
      await queue.release(workerId);
      await sender.close();
    },
  };
}

/** A delivery of a deleted webhook: failed without an attempt, earlier answers kept. */
const cancelled = (delivery: ClaimedDelivery, at: Date): AttemptOutcome => ({
  status: 'failed',
  result: 'failed',
  attemptCount: delivery.attemptCount,
  nextAttemptAt: at,
  deliveredAt: null,
  lastResponseCode: delivery.lastResponseCode,
  lastResponseBody: delivery.lastResponseBody,
  lastError: WEBHOOK_DELETED_ERROR,
});

/** Runs `work` over `items` with at most `limit` at once, keeping the order of the results. */
async function mapConcurrent<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
