/**
 * Counts failed logins per client IP and per email. Only failures count, so a shift of
 * mechanics signing in from one address is never throttled for succeeding.
 */
export interface LoginLimiter {
  /** Throws a rate_limited AppError (with Retry-After) when either counter is exhausted. */
  check(ip: string, email: string): Promise<void>;
  recordFailure(ip: string, email: string): Promise<void>;
  /** Clears the email's counter after a successful login. */
  recordSuccess(ip: string, email: string): Promise<void>;
}
