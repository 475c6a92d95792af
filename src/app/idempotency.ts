import { AppError } from './errors.js';

/** Who sent a key to which endpoint: a key means something only within this scope. */
export interface IdempotencyScope {
  orgId: string;
  userId: string;
  key: string;
  /** Method and path, e.g. `POST /api/v1/organizations`. */
  endpoint: string;
}

/** A stored first response, replayed byte for byte. */
export interface StoredResponse {
  statusCode: number;
  body: string;
  headers: Record<string, string>;
}

export interface IdempotencyRecord {
  requestHash: string;
  /** Undefined while the first request is still running. */
  response: StoredResponse | undefined;
  createdAt: Date;
  expiresAt: Date;
}

export interface IdempotencyStore {
  /** Inserts an in-progress record; false when the scope already has one. */
  reserve(scope: IdempotencyScope, requestHash: string, expiresAt: Date): Promise<boolean>;
  find(scope: IdempotencyScope): Promise<IdempotencyRecord | undefined>;
  /**
   * Replaces a record that expired or whose first request was abandoned (in progress since
   * before `staleBefore`); false when someone else took it over first.
   */
  takeOver(
    scope: IdempotencyScope,
    requestHash: string,
    staleBefore: Date,
    expiresAt: Date,
  ): Promise<boolean>;
  complete(scope: IdempotencyScope, response: StoredResponse): Promise<void>;
  /** Forgets an in-progress record, so the client may retry (after a server error). */
  release(scope: IdempotencyScope): Promise<void>;
  /** Deletes every record that expired before `now`; returns how many. */
  deleteExpired(now: Date): Promise<number>;
}

/** Keys live 24 hours, as DESIGN.md decides. */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/** A first request still "in progress" after this long crashed; the key may be reused. */
export const ABANDONED_AFTER_MS = 5 * 60_000;
/** What a client waiting on an in-progress key is told to wait. */
const RETRY_AFTER_SECONDS = 1;

export type IdempotencyDecision = { kind: 'proceed' } | { kind: 'replay'; response: StoredResponse };

/**
 * Decides what a request carrying an Idempotency-Key does: run (first time), replay the stored
 * response (same key, same request), or fail with 409 (same key, different request; or the first
 * request is still running). Expired and abandoned keys start over.
 */
export async function beginIdempotentRequest(
  store: IdempotencyStore,
  scope: IdempotencyScope,
  requestHash: string,
  now: Date = new Date(),
): Promise<IdempotencyDecision> {
  const expiresAt = new Date(now.getTime() + IDEMPOTENCY_TTL_MS);
  if (await store.reserve(scope, requestHash, expiresAt)) return { kind: 'proceed' };

  const existing = await store.find(scope);
  const staleBefore = new Date(now.getTime() - ABANDONED_AFTER_MS);
  const reusable =
    !existing ||
    existing.expiresAt <= now ||
    (existing.response === undefined && existing.createdAt <= staleBefore);
  if (reusable) {
    if (await store.takeOver(scope, requestHash, staleBefore, expiresAt)) return { kind: 'proceed' };
    return begin409InProgress();
  }
  if (existing.requestHash !== requestHash) {
    throw AppError.conflict(
      'IDEMPOTENCY_KEY_REUSED',
      'this Idempotency-Key was already used for a different request; use a new key for a new request',
    );
  }
  if (existing.response === undefined) return begin409InProgress();
  return { kind: 'replay', response: existing.response };
}

function begin409InProgress(): never {
  throw new AppError(
    'conflict',
    'IDEMPOTENCY_IN_PROGRESS',
    'a request with this Idempotency-Key is still being processed; retry shortly',
    undefined,
    { 'Retry-After': String(RETRY_AFTER_SECONDS) },
  );
}
