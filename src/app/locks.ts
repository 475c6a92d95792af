/**
 * Short-lived mutual exclusion across every server replica (Redis), or inside one process when
 * AMSS runs embedded. A lock is a courtesy that spares the database a doomed attempt; the
 * database constraints stay the guarantee, so an expired or unavailable lock never corrupts data.
 */
export interface LockManager {
  /**
   * Runs `work` while holding `key`. Throws a conflict AppError (reason `LOCKED`, with Retry-After)
   * when the key stays held by someone else for longer than `waitMs`.
   */
  withLock<T>(key: string, options: { ttlMs: number; waitMs: number }, work: () => Promise<T>): Promise<T>;
}

/**
 * No locking at all, for callers that are alone by construction (one seeding process, one
 * import row at a time inside its own transaction): the database constraints still decide.
 */
export const NO_LOCKS: LockManager = { withLock: (_key, _options, work) => work() };
