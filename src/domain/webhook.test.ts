import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  addressRefusal,
  attemptOutcome,
  checkWebhookUrl,
  MAX_RETRY_DELAY_MS,
  normalizeWebhookEvents,
  retryAfterMs,
  retryDelayMs,
  signedHeaders,
} from './webhook.js';

const production = { publicHttpsOnly: true };
const local = { publicHttpsOnly: false };
const NOW = new Date('2030-01-01T00:00:00Z');

describe('webhook URLs', () => {
  it('accepts http and local targets outside production', () => {
    expect(checkWebhookUrl('http://127.0.0.1:9000/hook', local)).toEqual({
      url: 'http://127.0.0.1:9000/hook',
    });
    expect(checkWebhookUrl('http://localhost/hook', local)).toMatchObject({ hostname: 'localhost' });
  });

  it('refuses schemes other than http(s), credentials and garbage everywhere', () => {
    for (const url of [
      'ftp://example.com/x',
      'javascript:alert(1)',
      'not a url',
      'https://user:pw@example.com/',
    ]) {
      expect(checkWebhookUrl(url, local)).toHaveProperty('problem');
    }
  });

  it('in production allows only https to public addresses', () => {
    expect(checkWebhookUrl('http://example.com/hook', production)).toEqual({
      problem: 'must use https in production',
    });
    expect(checkWebhookUrl('https://example.com/hook', production)).toMatchObject({
      hostname: 'example.com',
    });
    expect(checkWebhookUrl('https://93.184.216.34/hook', production)).toEqual({
      url: 'https://93.184.216.34/hook',
    });
    for (const host of [
      '10.1.2.3',
      '127.0.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '[::1]',
      '[fd00::1]',
      '[fe80::1]',
      '[::ffff:10.0.0.1]',
      '0x7f000001',
    ]) {
      expect(checkWebhookUrl(`https://${host}/hook`, production), host).toHaveProperty('problem');
    }
  });

  it('names the kind of address it refuses', () => {
    expect(addressRefusal('192.168.1.10')).toBe('a private address (192.168.1.10)');
    expect(addressRefusal('::1')).toBe('a loopback address (::1)');
    expect(addressRefusal('::ffff:127.0.0.1')).toMatch(/^a loopback address/);
    expect(addressRefusal('fc00::5')).toMatch(/^a unique-local address/);
    expect(addressRefusal('100.100.1.1')).toMatch(/^a carrier-grade NAT address/);
    expect(addressRefusal('8.8.8.8')).toBeUndefined();
    expect(addressRefusal('2606:4700:4700::1111')).toBeUndefined();
  });
});

describe('webhook events', () => {
  it('accepts known types and *, collapsing duplicates in order', () => {
    expect(normalizeWebhookEvents(['task_created', '*', 'task_created'])).toEqual({
      events: ['task_created', '*'],
    });
  });

  it('refuses unknown types and an empty list', () => {
    expect(normalizeWebhookEvents(['task_created', 'task_exploded'])).toEqual({
      problems: ['unknown event type "task_exploded"'],
    });
    expect(normalizeWebhookEvents([])).toHaveProperty('problems');
  });
});

describe('signing', () => {
  it('signs timestamp.body with HMAC-SHA256 of the secret, as v1=<hex>', () => {
    const headers = signedHeaders({
      secret: 's3cret',
      rawBody: '{"a":1}',
      eventType: 'task_created',
      deliveryId: 'd-1',
      at: NOW,
    });
    const expected = createHmac('sha256', 's3cret').update(`${NOW.getTime()}.{"a":1}`).digest('hex');
    expect(headers).toEqual({
      'content-type': 'application/json',
      'x-webhook-timestamp': String(NOW.getTime()),
      'x-webhook-signature': `v1=${expected}`,
      'x-webhook-event': 'task_created',
      'x-webhook-delivery-id': 'd-1',
    });
  });
});

describe('retries', () => {
  it('backs off exponentially with jitter between half and all of the step, capped at an hour', () => {
    expect(retryDelayMs(1, () => 0)).toBe(2_500);
    expect(retryDelayMs(1, () => 1)).toBe(5_000);
    expect(retryDelayMs(4, () => 1)).toBe(40_000);
    expect(retryDelayMs(40, () => 1)).toBe(MAX_RETRY_DELAY_MS);
  });

  it('reads Retry-After in seconds or as an HTTP date, bounded to an hour', () => {
    expect(retryAfterMs('30', NOW)).toBe(30_000);
    expect(retryAfterMs(new Date(NOW.getTime() + 90_000).toUTCString(), NOW)).toBe(90_000);
    expect(retryAfterMs('999999', NOW)).toBe(MAX_RETRY_DELAY_MS);
    expect(retryAfterMs('soon', NOW)).toBeUndefined();
    expect(retryAfterMs(undefined, NOW)).toBeUndefined();
  });

  const outcome = (result: Parameters<typeof attemptOutcome>[0]['result'], previousAttempts = 0) =>
    attemptOutcome({ result, previousAttempts, maxAttempts: 3, now: NOW, random: () => 1 });

  it('marks a 2xx delivered', () => {
    expect(outcome({ kind: 'response', statusCode: 204, body: '' })).toMatchObject({
      status: 'delivered',
      attemptCount: 1,
      deliveredAt: NOW,
      lastError: null,
    });
  });

  it('retries a 500 or a network error after the backoff, and fails the attempt that reaches the maximum', () => {
    expect(outcome({ kind: 'response', statusCode: 500, body: 'oops' }, 1)).toMatchObject({
      status: 'pending',
      result: 'retry',
      attemptCount: 2,
      nextAttemptAt: new Date(NOW.getTime() + 10_000),
      lastResponseCode: 500,
      lastResponseBody: 'oops',
      lastError: 'the endpoint answered 500',
    });
    expect(outcome({ kind: 'error', error: 'ECONNREFUSED' }, 2)).toMatchObject({
      status: 'failed',
      result: 'failed',
      attemptCount: 3,
      lastError: 'ECONNREFUSED; gave up after 3 attempts',
    });
  });

  it('waits for Retry-After on a 429, and the backoff without one', () => {
    expect(outcome({ kind: 'response', statusCode: 429, body: '', retryAfter: '120' }).nextAttemptAt).toEqual(
      new Date(NOW.getTime() + 120_000),
    );
    expect(outcome({ kind: 'response', statusCode: 429, body: '' }).nextAttemptAt).toEqual(
      new Date(NOW.getTime() + 5_000),
    );
  });

  it('stores at most 4096 characters of a body, without NUL characters', () => {
    const stored = outcome({
      kind: 'response',
      statusCode: 500,
      body: `\u0000${'x'.repeat(5000)}`,
    }).lastResponseBody;
    expect(stored).toHaveLength(4096);
    expect(stored).not.toContain('\u0000');
  });
});
