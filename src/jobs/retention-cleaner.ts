import type { IdempotencyStore } from '../app/idempotency.js';
import type { RetentionRepository } from '../app/ports.js';
import type { Job } from './scheduler.js';

/** setTimeout's limit (about 24.8 days); a longer interval would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Every `everyMs` (RETENTION_CLEANUP_INTERVAL, 24 h by default) and at worker start, removes what
 * each organization's retention_interval lets go — soft-deleted aircraft, programs, tasks (with
 * their reservations and unsigned compliance items), part definitions and items, users and
 * webhooks that nothing refers to, processed outbox events, finished webhook deliveries, finished
 * imports with their staged rows — and expired idempotency keys. Never audit logs, nor a maintenance
 * record: a completed task, or a task with a signed-off compliance item or a used part reservation.
 * The outcome names the count per table.
 */
export function retentionCleanerJob(
  retention: RetentionRepository,
  idempotency: Pick<IdempotencyStore, 'deleteExpired'>,
  options: { everyMs: number; now?: () => Date },
): Job {
  const now = options.now ?? (() => new Date());
  return {
    name: 'retention-cleaner',
    schedule: { everyMs: Math.min(options.everyMs, MAX_TIMER_MS) },
    runAtStart: true,
    async run() {
      const at = now();
      const removed = await retention.purgeExpired(at);
      removed.idempotency_keys = await idempotency.deleteExpired(at);
      const counts = Object.entries(removed).map(([table, count]) => `${table}=${count}`);
      return `removed ${counts.join(', ')}`;
    },
  };
}
