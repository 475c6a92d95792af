import { AsyncLocalStorage } from 'node:async_hooks';
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

/** The stored row of one use of a key (a takeover gives the key a new one). */
export interface IdempotencyKeyRef {
  id: string;
  orgId: string;
}

export interface IdempotencyRecord {
  key: IdempotencyKeyRef;
  requestHash: string;
  /** Undefined while the first request is still running. */
  response: StoredResponse | undefined;
  /** How many mutations of the request committed (and recorded their results) so far. */
  recordedMutations: number;
  createdAt: Date;
  expiresAt: Date;
}

/** The result a mutation of an idempotent request recorded in its transaction. */
export interface RecordedMutation {
  result: unknown;
}

export interface IdempotencyStore {
  /** Inserts an in-progress record; undefined when the scope already has one. */
  reserve(
    scope: IdempotencyScope,
    requestHash: string,
    expiresAt: Date,
  ): Promise<IdempotencyKeyRef | undefined>;
  find(scope: IdempotencyScope): Promise<IdempotencyRecord | undefined>;
  /**
   * Replaces a record that expired, or whose first request was abandoned (in progress since
   * before `staleBefore`) before any of its mutations committed, with a new one; undefined when
   * the record is not (or no longer) replaceable, or someone else took it over first.
   */
  takeOver(
    scope: IdempotencyScope,
    requestHash: string,
    staleBefore: Date,
    expiresAt: Date,
  ): Promise<IdempotencyKeyRef | undefined>;
  /**
   * Stores the response of a record still in progress, and answers the response the record
   * holds: this one, or the one another attempt at the same request stored first.
   */
  complete(key: IdempotencyKeyRef, response: StoredResponse): Promise<StoredResponse>;
  /**
   * Forgets an in-progress record, so the client may retry (after a server error); a record
   * with committed mutations stays, for the retry to recover from.
   */
  release(key: IdempotencyKeyRef): Promise<void>;
  /** The result the request's `seq`-th mutation recorded, once it committed. */
  recordedMutation(key: IdempotencyKeyRef, seq: number): Promise<RecordedMutation | undefined>;
  /** Deletes every record that expired before `now`; returns how many. */
  deleteExpired(now: Date): Promise<number>;
}

/**
 * Writes, inside a mutation's transaction, that the request's `seq`-th mutation happened and
 * what it returned.
 */
export interface IdempotentMutationRepository {
  /**
   * Takes the slot of the request's `seq`-th mutation; waits for another attempt holding it,
   * and answers false when that attempt committed (its result is recorded).
   */
  claim(key: IdempotencyKeyRef, seq: number): Promise<boolean>;
  /** Records the result of the mutation whose slot this transaction claimed. */
  record(key: IdempotencyKeyRef, seq: number, result: unknown): Promise<void>;
}

/**
 * One attempt at an idempotent request (the first, or a retry recovering a first attempt that
 * committed changes but never stored its response). `mutate` numbers the request's mutations
 * through it and records their results in their own transactions; while recovering, a mutation
 * that already committed answers its recorded result instead of running again.
 */
export class IdempotentAttempt {
  private mutations = 0;

  constructor(
    readonly key: IdempotencyKeyRef,
    /** True when an earlier attempt committed mutations of this request. */
    readonly recovering: boolean,
    private readonly store: IdempotencyStore,
  ) {}

  /** The number of the request's next mutation (1, 2, …): the same in every attempt. */
  nextMutation(): number {
    this.mutations += 1;
    return this.mutations;
  }

  /** What the `seq`-th mutation of an earlier attempt (or a concurrent one) committed. */
  recorded(seq: number): Promise<RecordedMutation | undefined> {
    return this.store.recordedMutation(this.key, seq);
  }
}

/** The idempotent attempt of the request being served, once it began (see `withIdempotency`). */
interface AttemptSlot {
  attempt?: IdempotentAttempt;
}

const attempts = new AsyncLocalStorage<AttemptSlot>();

/**
 * Runs `work` (the rest of a request's handling) with a slot for its idempotent attempt: what
 * `enterIdempotentAttempt` puts there, `mutate` finds, however deep in the use cases it runs.
 */
export function withIdempotency<T>(work: () => T): T {
  return attempts.run({}, work);
}

/**
 * Runs `work` outside the request's idempotent attempt: its mutations are not recorded, and a
 * recovering retry runs them again. For a use case that is idempotent by its own rules and whose
 * mutations run concurrently or in an order that depends on the data, which recovery (answering
 * the n-th mutation with the n-th recorded result) could not replay.
 */
export function outsideIdempotentAttempt<T>(work: () => T): T {
  return attempts.run({}, work);
}

/** Makes `attempt` the one `mutate` sees for the rest of the request (inside `withIdempotency`). */
export function enterIdempotentAttempt(attempt: IdempotentAttempt): void {
  const slot = attempts.getStore();
  if (!slot) throw new Error('an idempotent attempt must begin inside withIdempotency');
  slot.attempt = attempt;
}

/** The idempotent attempt of the request being served, if it has one. */
export function currentIdempotentAttempt(): IdempotentAttempt | undefined {
  return attempts.getStore()?.attempt;
}

/** Keys live 24 hours, as DESIGN.md decides. */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/** A first request still "in progress" after this long crashed; the key may be reused. */
export const ABANDONED_AFTER_MS = 5 * 60_000;
/** What a client waiting on an in-progress key is told to wait. */
const RETRY_AFTER_SECONDS = 1;

export type IdempotencyDecision =
  { kind: 'proceed'; attempt: IdempotentAttempt } | { kind: 'replay'; response: StoredResponse };

/**
 * Decides what a request carrying an Idempotency-Key does: run (first time), replay the stored
 * response (same key, same request), or fail with 409 (same key, different request; or the first
 * request is still running). Expired keys, and keys abandoned before any change committed, start
 * over. A key whose first attempt committed changes but stored no response (it crashed, or is
 * just finishing) is recovered at once: the request runs again with those changes answering
 * their recorded results (`attempt.recovering`), which rebuilds the first response.
 */
export async function beginIdempotentRequest(
  store: IdempotencyStore,
  scope: IdempotencyScope,
  requestHash: string,
  now: Date = new Date(),
): Promise<IdempotencyDecision> {
  const proceed = (key: IdempotencyKeyRef, recovering: boolean): IdempotencyDecision => ({
    kind: 'proceed',
    attempt: new IdempotentAttempt(key, recovering, store),
  });
  const expiresAt = new Date(now.getTime() + IDEMPOTENCY_TTL_MS);
  const reserved = await store.reserve(scope, requestHash, expiresAt);
  if (reserved) return proceed(reserved, false);

  const existing = await store.find(scope);
  const staleBefore = new Date(now.getTime() - ABANDONED_AFTER_MS);
  const reusable =
    !existing ||
    existing.expiresAt <= now ||
    (existing.response === undefined &&
      existing.recordedMutations === 0 &&
      existing.createdAt <= staleBefore);
  if (reusable) {
    const taken = await store.takeOver(scope, requestHash, staleBefore, expiresAt);
    if (taken) return proceed(taken, false);
    return begin409InProgress();
  }
  if (existing.requestHash !== requestHash) {
    throw AppError.conflict(
      'IDEMPOTENCY_KEY_REUSED',
      'this Idempotency-Key was already used for a different request; use a new key for a new request',
    );
  }
  if (existing.response !== undefined) return { kind: 'replay', response: existing.response };
  if (existing.recordedMutations > 0) return proceed(existing.key, true);
  return begin409InProgress();
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
