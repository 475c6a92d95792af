/**
 * Which failed-login counter a limit applies to: one email from one client address (the owner's
 * typos, or a guesser at one address), one email from every address (guessing spread over many
 * addresses), or one address across every email (one guesser trying many accounts).
 */
export type LoginLimitScope = 'email_and_address' | 'email' | 'address';

/** A failed-login limit that the latest failure filled: from now on the scope is refused for a while. */
export interface LoginLockout {
  scope: LoginLimitScope;
  /** How long the scope stays refused, in seconds (until its oldest failure leaves the window). */
  retryAfterSeconds: number;
}

/**
 * Counts failed logins per (email, client address) pair with a low ceiling, per email across all
 * addresses with a much higher one, and per address. Only failures count, so a shift of mechanics
 * signing in from one address is never throttled for succeeding, and strangers failing with an email
 * below its own ceiling never lock its owner out of an address that has not failed.
 */
export interface LoginLimiter {
  /** Throws a rate_limited AppError (with Retry-After) when a counter of this attempt is exhausted. */
  check(ip: string, email: string): Promise<void>;
  /** Counts a failure; names the limits this very failure filled (a lockout starts), usually none. */
  recordFailure(ip: string, email: string): Promise<LoginLockout[]>;
  /** Clears the failures of this email from this address after a successful login. */
  recordSuccess(ip: string, email: string): Promise<void>;
}

/**
 * Counts nothing, for the demo seed: its signatures use the documented demo password and must
 * never lock a demo user out or throttle a real login from the same host.
 */
export const NO_LOGIN_LIMITS: LoginLimiter = {
  check: async () => {},
  recordFailure: async () => [],
  recordSuccess: async () => {},
};
