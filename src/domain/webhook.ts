import { createHmac } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { EVENT_TYPES, type EventType } from './events.js';

/** Where a delivery stands: waiting for its next attempt, received by the endpoint, or given up on. */
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Subscribes a webhook to every event type, present and future. */
export const ALL_EVENTS = '*';

/** What a webhook may subscribe to: a known event type, or `*` for all of them. */
export type WebhookEventFilter = EventType | typeof ALL_EVENTS;

/** A subscription of an organization: where to POST which events. The secret is never part of it. */
export interface Webhook {
  id: string;
  orgId: string;
  url: string;
  events: WebhookEventFilter[];
  createdAt: Date;
  updatedAt: Date;
  /** Set once the webhook is deleted; its delivery history stays readable. */
  deletedAt: Date | null;
}

/** One event on its way to one webhook, with the state of its attempts. */
export interface WebhookDelivery {
  id: string;
  orgId: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attemptCount: number;
  nextAttemptAt: Date;
  lastResponseCode: number | null;
  lastResponseBody: string | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  deliveredAt: Date | null;
}

/** Which targets a webhook URL may have. */
export interface WebhookUrlRules {
  /**
   * Production rules: https only, and no private, loopback, link-local, unique-local, CGNAT,
   * unspecified or otherwise non-public addresses. Elsewhere http and local targets are allowed.
   */
  publicHttpsOnly: boolean;
}

/** A URL accepted by the rules: the normalized text and, when the host is a name, that name. */
export interface AcceptedUrl {
  url: string;
  /** The host name to resolve and check (undefined when the host is a literal address). */
  hostname?: string;
}

/** Longest URL a webhook may have. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** Checks a webhook URL against the rules; returns why it is refused, or the accepted URL. */
export function checkWebhookUrl(raw: string, rules: WebhookUrlRules): AcceptedUrl | { problem: string } {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return { problem: 'must be an absolute http(s) URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { problem: 'must use http or https' };
  if (url.username !== '' || url.password !== '')
    return { problem: 'must not carry a user name or password' };
  if (rules.publicHttpsOnly && url.protocol !== 'https:') return { problem: 'must use https in production' };
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (ipaddr.isValid(host)) {
    const refusal = rules.publicHttpsOnly ? addressRefusal(host) : undefined;
    return refusal ? { problem: `must not target ${refusal}` } : { url: url.href };
  }
  return { url: url.href, hostname: host };
}

/**
 * Why a connection to `address` is refused under the production rules (e.g. "a private address
 * (10.0.0.5)"), or undefined when it is a public unicast address. IPv4-mapped IPv6 addresses are
 * judged as the IPv4 address they carry.
 */
export function addressRefusal(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return `an address that is not an IP address (${address})`;
  const range = ipaddr.process(address).range();
  if (range === 'unicast') return undefined;
  return `${RANGE_NAMES[range] ?? `a reserved address (${range})`} (${address})`;
}

const RANGE_NAMES: Record<string, string> = {
  private: 'a private address',
  loopback: 'a loopback address',
  linkLocal: 'a link-local address',
  uniqueLocal: 'a unique-local address',
  carrierGradeNat: 'a carrier-grade NAT address',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  broadcast: 'a broadcast address',
};

/** Checks the subscribed event types: each known or `*`, at least one; duplicates collapse, order kept. */
export function normalizeWebhookEvents(
  events: readonly string[],
): { events: WebhookEventFilter[] } | { problems: string[] } {
  const unknown = events.filter((event) => event !== ALL_EVENTS && !isEventType(event));
  if (unknown.length > 0) {
    return { problems: unknown.map((event) => `unknown event type ${JSON.stringify(event)}`) };
  }
  if (events.length === 0) return { problems: ['subscribe to at least one event type, or "*"'] };
  return { events: [...new Set(events)] as WebhookEventFilter[] };
}

const isEventType = (value: string): value is EventType => (EVENT_TYPES as readonly string[]).includes(value);

// ---------------------------------------------------------------------------------------------
// Signing (DESIGN.md, "Webhook signature")
// ---------------------------------------------------------------------------------------------

/** The signature scheme's version, the prefix of `X-Webhook-Signature`. */
export const SIGNATURE_VERSION = 'v1';

/** `hex(hmac_sha256(secret, timestamp + "." + rawBody))`, as `X-Webhook-Signature` carries it after `v1=`. */
export const webhookSignature = (secret: string, timestampMs: string, rawBody: string): string =>
  createHmac('sha256', secret).update(`${timestampMs}.${rawBody}`).digest('hex');

/** The headers of one signed delivery attempt. */
export function signedHeaders(input: {
  secret: string;
  rawBody: string;
  eventType: string;
  deliveryId: string;
  at: Date;
}): Record<string, string> {
  const timestamp = String(input.at.getTime());
  return {
    'content-type': 'application/json',
    'x-webhook-timestamp': timestamp,
    'x-webhook-signature': `${SIGNATURE_VERSION}=${webhookSignature(input.secret, timestamp, input.rawBody)}`,
    'x-webhook-event': input.eventType,
    'x-webhook-delivery-id': input.deliveryId,
  };
}

// ---------------------------------------------------------------------------------------------
// Retries
// ---------------------------------------------------------------------------------------------

/** The first retry waits about this long; each further one doubles it. */
export const RETRY_BASE_MS = 5_000;
/** No retry waits longer than this, whatever the attempt count or Retry-After says. */
export const MAX_RETRY_DELAY_MS = 3_600_000;

/**
 * How long to wait after the `attempt`-th failed attempt (1-based): exponential from
 * RETRY_BASE_MS, capped at an hour, with equal jitter (between half and all of it) so that
 * deliveries failing together do not come back together.
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const exponential = Math.min(MAX_RETRY_DELAY_MS, RETRY_BASE_MS * 2 ** Math.min(attempt - 1, 30));
  return Math.round(exponential / 2 + (exponential / 2) * random());
}

/**
 * The wait a `Retry-After` header asks for, in delay-seconds or as an HTTP date, bounded to
 * [0, MAX_RETRY_DELAY_MS]; undefined when absent or unreadable.
 */
export function retryAfterMs(header: string | undefined, now: Date): number | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  let delay: number;
  if (/^\d+$/.test(value)) {
    delay = Number(value) * 1000;
  } else {
    const at = Date.parse(value);
    if (Number.isNaN(at)) return undefined;
    delay = at - now.getTime();
  }
  return Math.min(MAX_RETRY_DELAY_MS, Math.max(0, delay));
}

/** What happened when a delivery was attempted. */
export type AttemptResult =
  | { kind: 'response'; statusCode: number; body: string; retryAfter?: string | undefined }
  | { kind: 'error'; error: string };

/** Where a delivery goes after an attempt, with what to record about it. */
export interface AttemptOutcome {
  status: DeliveryStatus;
  /** `retry` for a failed attempt that will be tried again; the metric's label. */
  result: 'delivered' | 'retry' | 'failed';
  attemptCount: number;
  nextAttemptAt: Date;
  deliveredAt: Date | null;
  lastResponseCode: number | null;
  lastResponseBody: string | null;
  lastError: string | null;
}

/** Stored response bodies are cut to this many characters. */
export const MAX_STORED_BODY_CHARS = 4096;

/**
 * Decides a delivery's next state after one more attempt: 2xx is delivered; 429 waits for
 * `Retry-After` (else the backoff); anything else, a network error or a timeout waits for the
 * backoff. Every attempt counts, and the attempt that reaches `maxAttempts` fails the delivery.
 */
export function attemptOutcome(input: {
  result: AttemptResult;
  previousAttempts: number;
  maxAttempts: number;
  now: Date;
  random?: () => number;
}): AttemptOutcome {
  const { result, now } = input;
  const attemptCount = input.previousAttempts + 1;
  const response = result.kind === 'response' ? result : undefined;
  const lastResponseCode = response?.statusCode ?? null;
  const lastResponseBody = response ? storableBody(response.body) : null;
  if (response && response.statusCode >= 200 && response.statusCode < 300) {
    return {
      status: 'delivered',
      result: 'delivered',
      attemptCount,
      nextAttemptAt: now,
      deliveredAt: now,
      lastResponseCode,
      lastResponseBody,
      lastError: null,
    };
  }
  const lastError = response ? httpError(response.statusCode) : result.kind === 'error' ? result.error : null;
  const final = attemptCount >= input.maxAttempts;
  const delay =
    (response?.statusCode === 429 ? retryAfterMs(response.retryAfter, now) : undefined) ??
    retryDelayMs(attemptCount, input.random);
  return {
    status: final ? 'failed' : 'pending',
    result: final ? 'failed' : 'retry',
    attemptCount,
    nextAttemptAt: final ? now : new Date(now.getTime() + delay),
    deliveredAt: null,
    lastResponseCode,
    lastResponseBody,
    lastError: final ? `${lastError}; gave up after ${attemptCount} attempts` : lastError,
  };
}

const httpError = (statusCode: number): string =>
  statusCode === 429
    ? 'the endpoint answered 429 Too Many Requests'
    : statusCode >= 300 && statusCode < 400
      ? `the endpoint answered ${statusCode} (redirects are not followed)`
      : `the endpoint answered ${statusCode}`;

/** A response body as it can be stored: at most MAX_STORED_BODY_CHARS, without NUL characters. */
export const storableBody = (body: string): string =>
  // eslint-disable-next-line no-control-regex -- PostgreSQL text cannot hold NUL
  body.replace(/\u0000/g, '').slice(0, MAX_STORED_BODY_CHARS);
