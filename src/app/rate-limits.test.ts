import { describe, expect, it } from 'vitest';
import {
  ApiRateLimits,
  importLimitPerMin,
  rateLimitCategory,
  type ApiRateLimiter,
  type RateLimitState,
} from './rate-limits.js';

describe('rateLimitCategory', () => {
  it.each([
    ['GET', '/api/v1/aircraft', 'read'],
    ['HEAD', '/api/v1/aircraft/:id', 'read'],
    ['POST', '/api/v1/aircraft', 'write'],
    ['PATCH', '/api/v1/maintenance-tasks/:id/state', 'write'],
    ['PUT', '/api/v1/webhooks/:id', 'write'],
    ['DELETE', '/api/v1/users/:id', 'write'],
    ['POST', '/api/v1/imports/csv', 'import'],
    ['GET', '/api/v1/imports/:id', 'read'],
    ['POST', '/api/v1/auth/login', 'auth'],
    ['GET', '/api/v1/auth/me', 'auth'],
    ['GET', '/api/v1/authors', 'read'],
    ['POST', '/api/v1/importsx', 'write'],
  ])('%s %s is %s', (method, path, category) => {
    expect(rateLimitCategory(method, path)).toBe(category);
  });
});

describe('importLimitPerMin', () => {
  it('is a tenth of the org limit, never below 1', () => {
    expect([100, 105, 10, 9, 1].map(importLimitPerMin)).toEqual([10, 10, 1, 1, 1]);
  });
});

/** A limiter that allows everything and remembers what it was asked. */
function recordingLimiter() {
  const calls: [string, number][] = [];
  const peeks: [string, number][] = [];
  const state = (limit: number): RateLimitState => ({
    allowed: true,
    limit,
    remaining: limit - 1,
    resetAt: 0,
    retryAfterSeconds: 1,
  });
  const limiter: ApiRateLimiter = {
    consume: async (key, limit) => {
      calls.push([key, limit]);
      return state(limit);
    },
    peek: async (key, limit) => {
      peeks.push([key, limit]);
      return state(limit);
    },
  };
  return { limiter, calls, peeks };
}

describe('ApiRateLimits', () => {
  it('counts org categories by org; auth by client address, and only its failures', async () => {
    const { limiter, calls, peeks } = recordingLimiter();
    const limits = new ApiRateLimits({ limiter, orgLimitPerMin: async () => 50, authLimitPerMin: 60 });
    await limits.admit({ category: 'read', orgId: 'o1' });
    await limits.admit({ category: 'write', orgId: 'o1' });
    await limits.admit({ category: 'import', orgId: 'o1' });
    await limits.admit({ category: 'auth', clientIp: '10.0.0.1' });
    expect(calls).toEqual([
      ['o1:read', 50],
      ['o1:write', 50],
      ['o1:import', 5],
    ]);
    expect(peeks).toEqual([['ip:10.0.0.1:auth', 60]]);
    await limits.countFailure({ category: 'auth', clientIp: '10.0.0.1' });
    expect(calls.at(-1)).toEqual(['ip:10.0.0.1:auth', 60]);
  });

  it('caches an org’s limit for the cache time only, so a policy change applies within it', async () => {
    const { limiter, calls } = recordingLimiter();
    let policy = 100;
    let now = 0;
    const limits = new ApiRateLimits({
      limiter,
      orgLimitPerMin: async () => policy,
      authLimitPerMin: 60,
      policyCacheTtlMs: 5_000,
      now: () => now,
    });
    await limits.admit({ category: 'read', orgId: 'o1' });
    policy = 3;
    now = 4_999;
    await limits.admit({ category: 'read', orgId: 'o1' });
    now = 5_000;
    await limits.admit({ category: 'read', orgId: 'o1' });
    expect(calls.map(([, limit]) => limit)).toEqual([100, 100, 3]);
  });

  it('uses the spec default of 100 for an org without a policy', async () => {
    const { limiter, calls } = recordingLimiter();
    const limits = new ApiRateLimits({ limiter, orgLimitPerMin: async () => undefined, authLimitPerMin: 60 });
    await limits.admit({ category: 'write', orgId: 'gone' });
    expect(calls).toEqual([['gone:write', 100]]);
  });
});
