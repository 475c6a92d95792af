import type { AttemptOutcome, AttemptResult } from '../domain/webhook.js';

/** A due delivery claimed for sending, with everything its attempt needs. */
export interface ClaimedDelivery {
  id: string;
  orgId: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  /** The event's stored JSON text, sent as is: the signature covers these exact bytes. */
  payload: string;
  url: string;
  secret: string;
  /** The webhook was deleted after the delivery was created: it is failed without a request. */
  webhookDeleted: boolean;
  /** Attempts made before this one. */
  attemptCount: number;
  /** The org's `max_webhook_attempts` (10 without a policy). */
  maxAttempts: number;
  lastResponseCode: number | null;
  lastResponseBody: string | null;
}

/** What to record for one claimed delivery after its attempt (or its cancellation). */
export interface DeliveryOutcome {
  deliveryId: string;
  outcome: AttemptOutcome;
}

/** The webhook deliveries as the dispatcher sees them: due ones to claim, and their outcomes to record. */
export interface DeliveryQueue {
  /**
   * Claims up to `limit` due pending deliveries, earliest due first, for `workerId` (`FOR UPDATE
   * SKIP LOCKED`, so dispatchers running side by side never claim the same row); a claim older
   * than `leaseMs` is treated as left by a dead worker and claimed again.
   */
  claim(input: { workerId: string; limit: number; leaseMs: number; now: Date }): Promise<ClaimedDelivery[]>;
  /**
   * Writes the outcomes of a batch in one statement and hands their claims back. Only deliveries
   * `workerId` still holds and that are still pending are written; returns their ids.
   */
  recordOutcomes(workerId: string, outcomes: DeliveryOutcome[]): Promise<string[]>;
  /** Hands back the pending deliveries `workerId` still holds, so another worker takes them at once. */
  release(workerId: string): Promise<number>;
  /**
   * Renews the lease of the pending deliveries `workerId` still holds (their claim time becomes
   * `now`), so a batch that takes longer than one lease — an endpoint that hangs until the timeout,
   * wave after wave — is not taken over while its worker is alive; returns how many.
   */
  renew(workerId: string, now: Date): Promise<number>;
}

/** One signed delivery attempt as it goes on the wire. */
export interface WebhookRequest {
  url: string;
  /** The signed headers (src/domain/webhook.ts, `signedHeaders`). */
  headers: Record<string, string>;
  body: string;
}

/** Outbound HTTP for webhook deliveries. */
export interface WebhookSender {
  /** The longest one attempt (connect, answer and body) may take. */
  readonly timeoutMs: number;
  /**
   * POSTs the request without following redirects. Never throws: an answer is a `response`
   * (with the start of its body), anything that kept one from coming is an `error`.
   */
  send(request: WebhookRequest): Promise<AttemptResult>;
  /** Closes the sender's connections; sending afterwards is an error. */
  close(): Promise<void>;
}
