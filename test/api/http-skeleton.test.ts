import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('HTTP skeleton', () => {
  it('answers /health with ok and a request id', async () => {
    const response = await t.request(undefined, 'GET', '/health');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps a sane X-Request-Id from the caller and replaces an unsafe one', async () => {
    const kept = await t.request(undefined, 'GET', '/health', undefined, { 'x-request-id': 'abc-123' });
    expect(kept.headers['x-request-id']).toBe('abc-123');
    const replaced = await t.request(undefined, 'GET', '/health', undefined, {
      'x-request-id': 'bad id\u0001',
    });
    expect(replaced.headers['x-request-id']).not.toContain('bad');
  });

  it('reports PostgreSQL and Redis as ready', async () => {
    const response = await t.request(undefined, 'GET', '/ready');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok', checks: { postgres: 'ok', redis: 'ok' } });
  });

  it('answers an unknown route with the 404 envelope', async () => {
    const response = await t.request(undefined, 'GET', '/api/v1/nothing-here');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'not_found', reason: 'ROUTE_NOT_FOUND' });
    expect(response.json<{ request_id: string }>().request_id).toBe(response.headers['x-request-id']);
  });

  it('answers a wrong method on a known path with 405 and Allow', async () => {
    const response = await t.request(undefined, 'DELETE', '/health');
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET');
    expect(response.json()).toMatchObject({ code: 'validation', reason: 'METHOD_NOT_ALLOWED' });
  });
});
