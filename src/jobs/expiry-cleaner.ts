import type { IdempotencyStore } from '../app/idempotency.js';
import type { UnitOfWork } from '../app/ports.js';
import type { Job } from './scheduler.js';

/** Expired refresh tokens are kept a day for reuse forensics before they go. */
const REFRESH_TOKEN_GRACE_MS = 86_400_000;

/** Every hour, removes expired idempotency keys and refresh tokens, whose purpose has passed. */
export function expiryCleaner(
  uow: UnitOfWork,
  idempotency: IdempotencyStore,
  now: () => Date = () => new Date(),
): Job {
  return {
    name: 'expiry-cleaner',
    schedule: '0 17 * * * *',
    runAtStart: true,
    async run() {
      const at = now();
      const keys = await idempotency.deleteExpired(at);
      const tokens = await uow.repos.refreshTokens.deleteExpired(
        new Date(at.getTime() - REFRESH_TOKEN_GRACE_MS),
      );
      return `removed ${keys} expired idempotency keys and ${tokens} expired refresh tokens`;
    },
  };
}
