/**
 * Per-organization API rate limits. Every request to `/api/v1` falls into one endpoint category,
 * each with a bucket of its own: an organization that floods reads can still write. The unauthenticated
 * `auth` category is counted per client address, and only its failures count: what an attacker does
 * (wrong passwords, invalid refresh tokens), never a shift signing in behind one address.
 */

/** The endpoint categories; each has its own bucket and its own limit. */
export type RateLimitCategory = 'read' | 'write' | 'import' | 'auth';

/** The spec's default of `org_policies.api_rate_limit_per_min`, used when an org has no policy row. */
export const DEFAULT_API_RATE_LIMIT_PER_MIN = 100;

/** The spec's default of `org_policies.api_key_rate_limit_per_min`, used when an org has no policy row. */
export const DEFAULT_API_KEY_RATE_LIMIT_PER_MIN = 10;

/** How long an organization's limit is cached in process: a policy change applies within this time. */
export const DEFAULT_POLICY_CACHE_TTL_MS = 5_000;

/** A bucket's state right after one request was counted against it. */
export interface RateLimitState {
  /** Whether this request fits in the bucket. */
  allowed: boolean;
  /** Requests allowed in any 60-second span. */
  limit: number;
  /** Requests still allowed right now; never negative. */
  remaining: number;
  /**
   * When Remaining next grows, in unix seconds: when the oldest request counted leaves the sliding
   * window, or for a refused request when one fits again (now + `retryAfterSeconds`).
   */
  resetAt: number;
  /** Seconds until a refused request may be retried (at least 1). */
  retryAfterSeconds: number;
}

/**
 * Counts requests per key over a sliding window of one minute: no 60-second span, wherever it starts,
 * holds more than the limit.
 */
export interface ApiRateLimiter {
  /** Counts one request against `key` if it fits in `limitPerMin`; a refused request is not counted. */
  consume(key: string, limitPerMin: number): Promise<RateLimitState>;
  /** Where `key` stands against `limitPerMin`, counting nothing; `allowed` says whether one more fits. */
  peek(key: string, limitPerMin: number): Promise<RateLimitState>;
}

const READ_METHODS = new Set(['GET', 'HEAD']);

/**
 * The category of a request, from its method and route path (`/api/v1/...`): everything under
 * `/auth` is `auth`; writes under `/imports` are `import`; other reads `read`, other writes `write`.
 */
export function rateLimitCategory(method: string, routePath: string): RateLimitCategory {
  const path = routePath.replace(/^\/api\/v1(?=\/)/, '');
  if (path === '/auth' || path.startsWith('/auth/')) return 'auth';
  if (READ_METHODS.has(method.toUpperCase())) return 'read';
  if (path === '/imports' || path.startsWith('/imports/')) return 'import';
  return 'write';
}

/** The import bucket is a tenth of the org's limit (at least 1): an import is far heavier than a write. */
export const importLimitPerMin = (orgLimitPerMin: number): number =>
  Math.max(1, Math.floor(orgLimitPerMin / 10));

/** What the rate limits need. */
export interface ApiRateLimitsDeps {
  limiter: ApiRateLimiter;
  /** An organization's `api_rate_limit_per_min`; undefined when it has no policy. */
  orgLimitPerMin(orgId: string): Promise<number | undefined>;
  /** An organization's `api_key_rate_limit_per_min`: requests per minute each of its API keys may make. */
  apiKeyLimitPerMin?(orgId: string): Promise<number | undefined>;
  /** Failed `auth` requests (401s) one client address may make per minute. */
  authLimitPerMin: number;
  /** How long an org's limit is cached; 0 reads the policy on every request. */
  policyCacheTtlMs?: number;
  now?: () => number;
}

/** An `auth` request's subject: its client address. */
export interface AuthRateLimitSubject {
  category: 'auth';
  clientIp: string;
}

/** Who a request counts against: its organization (or API key), or for `auth` its client address. */
export type RateLimitSubject =
  | AuthRateLimitSubject
  | {
      category: Exclude<RateLimitCategory, 'auth'>;
      orgId: string;
      /** A request made with an API key counts against the key's own bucket instead. */
      apiKeyId?: string | undefined;
    };

/** Applies the limits: picks each request's bucket and limit and counts the request. */
export class ApiRateLimits {
  private readonly cache = new Map<string, { limit: number; expiresAt: number }>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(private readonly deps: ApiRateLimitsDeps) {
    this.ttlMs = deps.policyCacheTtlMs ?? DEFAULT_POLICY_CACHE_TTL_MS;
    this.now = deps.now ?? Date.now;
  }

  /**
   * Judges a request as it arrives; the state says whether it is allowed. An organization's request is
   * counted; an `auth` request only checked against its address's failures (see `countFailure`).
   */
  async admit(subject: RateLimitSubject): Promise<RateLimitState> {
    if (subject.category === 'auth')
      return this.deps.limiter.peek(authKey(subject), this.deps.authLimitPerMin);
    if (subject.apiKeyId !== undefined) {
      // Each key has one bucket for everything it does, sized by its organization's policy.
      const keyLimit = await this.cachedLimit(
        `api_key:${subject.orgId}`,
        DEFAULT_API_KEY_RATE_LIMIT_PER_MIN,
        () => this.deps.apiKeyLimitPerMin?.(subject.orgId),
      );
      return this.deps.limiter.consume(`api_key:${subject.apiKeyId}`, keyLimit);
    }
    const orgLimit = await this.orgLimit(subject.orgId);
    const limit = subject.category === 'import' ? importLimitPerMin(orgLimit) : orgLimit;
    return this.deps.limiter.consume(`${subject.orgId}:${subject.category}`, limit);
  }

  /** Counts a failed `auth` request (a wrong password, an invalid refresh token) against its address. */
  async countFailure(subject: AuthRateLimitSubject): Promise<RateLimitState> {
    return this.deps.limiter.consume(authKey(subject), this.deps.authLimitPerMin);
  }

  private orgLimit(orgId: string): Promise<number> {
    return this.cachedLimit(orgId, DEFAULT_API_RATE_LIMIT_PER_MIN, () => this.deps.orgLimitPerMin(orgId));
  }

  private async cachedLimit(
    key: string,
    fallback: number,
    read: () => Promise<number | undefined> | undefined,
  ): Promise<number> {
    const cached = this.cache.get(key);
    if (cached && cached.expiresAt > this.now()) return cached.limit;
    const limit = (await read()) ?? fallback;
    if (this.ttlMs > 0) this.cache.set(key, { limit, expiresAt: this.now() + this.ttlMs });
    return limit;
  }
}

const authKey = (subject: AuthRateLimitSubject): string => `ip:${subject.clientIp}:auth`;
