import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import type { RedisClient } from '../../src/infra/redis/client.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsRegistry } from '../../src/observability/metrics.js';
import { openapiDocument } from '../../scripts/openapi-document.js';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../support/app.js';

/** An org with the given API limit and a tenant admin's token in it. */
async function tenant(app: TestApp, limitPerMin: number) {
  const org = await app.createOrg();
  await setLimit(app, org.id, limitPerMin);
  const user = await app.createUser(org.id, 'tenant_admin');
  return { orgId: org.id, token: await app.tokenFor(user) };
}

const setLimit = (app: TestApp, orgId: string, limitPerMin: number) =>
  app.container.uow.repos.orgPolicies.update(orgId, { apiRateLimitPerMin: limitPerMin });

const readOrg = (app: TestApp, who: { orgId: string; token: string }) =>
  app.request(who.token, 'GET', `/api/v1/organizations/${who.orgId}`);

const renameOrg = (app: TestApp, who: { orgId: string; token: string }) =>
  app.request(who.token, 'PATCH', `/api/v1/organizations/${who.orgId}`, {
    name: `Renamed ${Math.random().toString(36).slice(2)}`,
  });

const limitHeaders = (response: LightMyRequestResponse) => ({
  limit: Number(response.headers['x-ratelimit-limit']),
  remaining: Number(response.headers['x-ratelimit-remaining']),
  reset: Number(response.headers['x-ratelimit-reset']),
});

async function rejections(category: string): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric('rate_limit_rejections_total')!.get();
  return metric.values.find((value) => value.labels.category === category)?.value ?? 0;
}

const waitUntilReady = async (redis: RedisClient) => {
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
};

describe('per-organization API rate limits on Redis', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({}, { rateLimits: { policyCacheTtlMs: 0 } });
    // Counted in Redis from the first request on (before it connects, the limiter counts in memory).
    await waitUntilReady(t.redis);
  });
  afterAll(async () => {
    await t.close();
  });

  it('documents the 429 on the API routes of an app with limits, and not on those of one without, in the same process', async () => {
    type Doc = { paths: Record<string, Record<string, { responses?: Record<string, unknown> }>> };
    const with429 = (doc: Doc) =>
      Object.entries(doc.paths).flatMap(([url, operations]) =>
        Object.entries(operations)
          .filter(([, operation]) => operation.responses && '429' in operation.responses)
          .map(([method]) => `${method} ${url}`),
      );
    // Routes whose response map is one object shared by the module (the people records' deletes) included.
    const shared = 'delete /api/v1/users/{id}/skills/{skillId}';
    expect(with429(t.app.swagger() as unknown as Doc)).toEqual(
      expect.arrayContaining(['get /api/v1/aircraft', shared]),
    );
    // Built after this file's app: the limits' 429 must not have leaked into those shared maps.
    const without = with429((await openapiDocument()) as unknown as Doc);
    expect(without).not.toContain('get /api/v1/aircraft');
    expect(without).not.toContain(shared);
  });

  it('refuses the 4th read in a minute with 429, Retry-After and the X-RateLimit headers', async () => {
    const who = await tenant(t, 3);
    const responses = [];
    for (let i = 0; i < 5; i += 1) responses.push(await readOrg(t, who));

    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 429, 429]);
    expect(responses.map((r) => limitHeaders(r).remaining)).toEqual([2, 1, 0, 0, 0]);
    const refused = responses[3]!;
    expect(refused.json()).toMatchObject({ code: 'rate_limited', reason: 'RATE_LIMITED' });
    const now = Math.floor(Date.now() / 1000);
    expect(limitHeaders(refused).limit).toBe(3);
    expect(limitHeaders(refused).reset).toBeGreaterThan(now);
    expect(limitHeaders(refused).reset).toBeLessThanOrEqual(now + 61);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });

  it('gives writes a bucket of their own', async () => {
    const who = await tenant(t, 3);
    for (let i = 0; i < 3; i += 1) expect((await readOrg(t, who)).statusCode).toBe(200);
    expect((await readOrg(t, who)).statusCode).toBe(429);

    const writes = [];
    for (let i = 0; i < 4; i += 1) writes.push(await renameOrg(t, who));
    expect(writes.map((r) => r.statusCode)).toEqual([200, 200, 200, 429]);
    expect(limitHeaders(writes[0]!)).toMatchObject({ limit: 3, remaining: 2 });
  });

  it('never lets one organization use up another organization’s requests', async () => {
    const [busy, quiet] = [await tenant(t, 2), await tenant(t, 2)];
    for (let i = 0; i < 3; i += 1) await readOrg(t, busy);
    expect((await readOrg(t, busy)).statusCode).toBe(429);

    const response = await readOrg(t, quiet);
    expect(response.statusCode).toBe(200);
    expect(limitHeaders(response)).toMatchObject({ limit: 2, remaining: 1 });
  });

  it('applies a policy change to the next request, counting the requests already made', async () => {
    const who = await tenant(t, 100);
    for (let i = 0; i < 3; i += 1) expect((await readOrg(t, who)).statusCode).toBe(200);

    await setLimit(t, who.orgId, 3);
    expect((await readOrg(t, who)).statusCode).toBe(429);

    await setLimit(t, who.orgId, 10);
    const raised = await readOrg(t, who);
    expect(raised.statusCode).toBe(200);
    expect(limitHeaders(raised)).toMatchObject({ limit: 10, remaining: 6 });
  });

  it('sends the headers with every counted response, errors included', async () => {
    const who = await tenant(t, 5);
    const missing = await t.request(who.token, 'GET', `/api/v1/users/${randomUUID()}`);
    expect(missing.statusCode).toBe(404);
    expect(limitHeaders(missing)).toMatchObject({ limit: 5, remaining: 4 });
  });

  it('never limits /health, /ready, /openapi.json or /docs', async () => {
    const who = await tenant(t, 1);
    await readOrg(t, who);
    for (const url of ['/health', '/health', '/health', '/ready', '/openapi.json', '/docs']) {
      const response = await t.request(who.token, 'GET', url);
      expect(response.statusCode, url).toBeLessThan(400);
      expect(response.headers['x-ratelimit-limit'], url).toBeUndefined();
    }
  });

  it('counts every refusal in rate_limit_rejections_total by category', async () => {
    const who = await tenant(t, 1);
    const [reads, writes] = [await rejections('read'), await rejections('write')];
    for (let i = 0; i < 3; i += 1) await readOrg(t, who);
    await renameOrg(t, who);
    await renameOrg(t, who);
    expect(await rejections('read')).toBe(reads + 2);
    expect(await rejections('write')).toBe(writes + 1);
  });
});

describe('auth endpoints, limited per client address by their failures', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ AUTH_RATE_LIMIT_PER_MIN: '3' }, { rateLimits: {} });
    await waitUntilReady(t.redis);
  });
  afterAll(async () => {
    await t.close();
  });

  const login = (user: { email: string; orgId: string }, remoteAddress: string, password = TEST_PASSWORD) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress,
      payload: { org_id: user.orgId, email: user.email, password },
    });

  it('lets 100 people sign in from one address within a minute', async () => {
    const org = await t.createOrg();
    const shift = await Promise.all(Array.from({ length: 10 }, () => t.createUser(org.id, 'mechanic')));
    const statuses = new Set<number>();
    for (let i = 0; i < 100; i += 1) statuses.add((await login(shift[i % 10]!, '198.51.100.7')).statusCode);
    expect([...statuses]).toEqual([200]);
  });

  it('refuses an address after its failures, a right password too, but not other addresses', async () => {
    const org = await t.createOrg();
    const users = await Promise.all(Array.from({ length: 3 }, () => t.createUser(org.id, 'mechanic')));
    const before = await rejections('auth');
    const refresh = t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      remoteAddress: '198.51.100.9',
      payload: { refresh_token: 'stolen-or-made-up' },
    });
    expect((await refresh).statusCode).toBe(401);
    const failures = [
      await login(users[0]!, '198.51.100.9', 'Wrong-1'),
      await login(users[1]!, '198.51.100.9', 'Wrong-2'),
    ];
    expect(failures.map((r) => r.statusCode)).toEqual([401, 401]);
    expect(limitHeaders(failures[1]!)).toMatchObject({ limit: 3, remaining: 0 });

    const refused = await login(users[2]!, '198.51.100.9');
    expect(refused.statusCode).toBe(429);
    expect(await rejections('auth')).toBe(before + 1);
    const elsewhere = await login(users[2]!, '198.51.100.10');
    expect(elsewhere.statusCode).toBe(200);
    expect(limitHeaders(elsewhere)).toMatchObject({ limit: 3, remaining: 3 });
  });
});

describe('with Redis unreachable', () => {
  let t: TestApp;
  let down: Redis;
  const warnings: string[] = [];
  beforeAll(async () => {
    // Nothing listens on port 1: the client keeps reconnecting and never becomes ready.
    down = new Redis({ host: '127.0.0.1', port: 1, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    down.on('error', () => undefined);
    const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
    t = await createTestApp({}, { rateLimits: { policyCacheTtlMs: 0 }, redis: down, logger });
  });
  afterAll(async () => {
    await t.close();
    down.disconnect();
  });

  it('keeps serving, limits in process memory and logs the outage once', async () => {
    const who = await tenant(t, 3);
    const statuses = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await readOrg(t, who)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(warnings.filter((line) => line.includes('API rate limits'))).toHaveLength(1);
  });
});
