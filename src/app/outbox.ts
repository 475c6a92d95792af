/** An outbox event claimed for publishing. `payload` is the stored JSON text, sent as is. */
export interface ClaimedEvent {
  id: string;
  orgId: string;
  eventType: string;
  dedupeKey: string;
  payload: string;
  attemptCount: number;
  createdAt: Date;
}

/** A failed publish attempt: the event and what went wrong. */
export interface PublishFailure {
  id: string;
  error: string;
}

/** The outcome of a failed attempt as stored: `final` when the event exhausted its attempts. */
export interface RecordedFailure {
  id: string;
  orgId: string;
  eventType: string;
  attemptCount: number;
  error: string;
  final: boolean;
}

/** The outbox as the publisher sees it: due events to claim, and their outcomes to record. */
export interface OutboxQueue {
  /**
   * Claims up to `limit` due events, oldest first, for `workerId` (`FOR UPDATE SKIP LOCKED`, so
   * publishers running side by side never claim the same row); a claim older than `leaseMs` is
   * treated as left by a dead worker and claimed again.
   */
  claim(input: { workerId: string; limit: number; leaseMs: number; now: Date }): Promise<ClaimedEvent[]>;
  /**
   * Marks events published and, in the same transaction, creates their webhook deliveries: one per
   * live webhook of the event's org subscribed to its type (or `*`), exactly once per (webhook, event).
   */
  markPublished(ids: string[], now: Date): Promise<{ published: number; deliveries: number }>;
  /**
   * Counts a failed attempt per event with its error and the next attempt time (exponential backoff
   * computed in SQL, capped at an hour); an event reaching `maxAttempts` is marked failed and kept.
   */
  recordFailures(
    failures: PublishFailure[],
    input: { maxAttempts: number; now: Date },
  ): Promise<RecordedFailure[]>;
  /** Hands back the events `workerId` still holds, so another worker takes them at once. */
  release(workerId: string): Promise<number>;
}

/** A message for the dead-letter stream: something AMSS gave up on, kept in PostgreSQL too. */
export interface DeadLetter {
  kind: 'outbox_event' | 'webhook_delivery';
  id: string;
  orgId: string;
  eventType: string;
  error: string;
}

/** The event stream (`amss.events`) and its dead-letter stream (`amss.dlq`). */
export interface EventStream {
  /** False while the stream cannot be reached: the publisher then waits instead of spending attempts. */
  readonly available: boolean;
  /** Appends the events in order; returns, per event, the error that stopped it or undefined. */
  publish(events: ClaimedEvent[]): Promise<(Error | undefined)[]>;
  deadLetter(letters: DeadLetter[]): Promise<void>;
}
