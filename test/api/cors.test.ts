import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';

const preflight = (t: TestApp, origin: string) =>
  t.app.inject({
    method: 'OPTIONS',
    url: '/api/v1/aircraft',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization',
    },
  });

describe('CORS switched off (the default)', () => {
  let t: TestApp;
  beforeAll(async () => (t = await createTestApp()));
  afterAll(() => t.close());

  it('gives a browser on another origin no CORS headers, so it cannot read answers', async () => {
    const response = await t.request(undefined, 'GET', '/health', undefined, {
      origin: 'https://app.example.com',
    });

    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(
      (await preflight(t, 'https://app.example.com')).headers['access-control-allow-origin'],
    ).toBeUndefined();
  });
});

describe('CORS with CORS_ALLOWED_ORIGINS', () => {
  let t: TestApp;
  beforeAll(async () => (t = await createTestApp({ CORS_ALLOWED_ORIGINS: 'https://app.example.com' })));
  afterAll(() => t.close());

  it('allows a listed origin, exposing the request id, paging and rate-limit headers', async () => {
    const response = await t.request(undefined, 'GET', '/health', undefined, {
      origin: 'https://app.example.com',
    });

    expect(response.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(String(response.headers['access-control-expose-headers'])).toMatch(
      /X-Request-Id.*Link.*X-RateLimit-Limit/,
    );
    expect((await preflight(t, 'https://app.example.com')).statusCode).toBe(204);
  });

  it('gives an origin that is not listed no CORS headers', async () => {
    const response = await t.request(undefined, 'GET', '/health', undefined, {
      origin: 'https://evil.example.net',
    });

    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });
});
