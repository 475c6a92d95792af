import type { RedisClient } from '../redis/client.js';
import type { ClaimedEvent, DeadLetter, EventStream } from '../../app/outbox.js';
import type { StreamMessage } from './consumer.js';

/** The stream names of the specification. */
export const EVENTS_STREAM = 'amss.events';
export const DLQ_STREAM = 'amss.dlq';
/** The consumer group of AMSS's own consumers of `amss.events`. */
export const EVENTS_CONSUMER_GROUP = 'amss.workers';

export interface StreamNames {
  events: string;
  dlq: string;
}

/**
 * The event stream on Redis Streams. Each event is one entry with `event_id`, `org_id`,
 * `event_type`, `dedupe_key` and `payload` (the stored JSON); the stream is trimmed to about
 * `maxLength` entries (`MAXLEN ~`), which PostgreSQL's outbox outlives.
 */
export class RedisEventStream implements EventStream {
  constructor(
    private readonly redis: RedisClient,
    private readonly maxLength: number,
    private readonly names: StreamNames = { events: EVENTS_STREAM, dlq: DLQ_STREAM },
  ) {}

  get available(): boolean {
    return this.redis.status === 'ready';
  }

  async publish(events: ClaimedEvent[]): Promise<(Error | undefined)[]> {
    const pipeline = this.redis.pipeline();
    for (const event of events) {
      pipeline.xadd(
        this.names.events,
        'MAXLEN',
        '~',
        this.maxLength,
        '*',
        'event_id',
        event.id,
        'org_id',
        event.orgId,
        'event_type',
        event.eventType,
        'dedupe_key',
        event.dedupeKey,
        'payload',
        event.payload,
      );
    }
    const results = await pipeline.exec();
    if (!results) return events.map(() => new Error('the Redis pipeline was discarded'));
    return results.map(([error]) => error ?? undefined);
  }

  async deadLetter(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const letter of letters) {
      pipeline.xadd(
        this.names.dlq,
        'MAXLEN',
        '~',
        this.maxLength,
        '*',
        'kind',
        letter.kind,
        'id',
        letter.id,
        'org_id',
        letter.orgId,
        'event_type',
        letter.eventType,
        'error',
        letter.error,
      );
    }
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }
}

/** Called with the entries just added to an in-process stream, in order. */
export type StreamListener = (messages: StreamMessage[]) => void;

/**
 * The stand-in for `amss dev` without Redis: keeps the last `capacity` entries of each stream in
 * memory, so the outbox drains and webhooks are delivered exactly as with Redis. Entries carry
 * Redis-style ids (`<ms>-<seq>`, increasing) and the same fields as on Redis, so the consumers
 * inside the process (the WebSocket hub, the alert triggers) read them as they would read
 * `amss.events` and `amss.dlq`: by subscribing, and by reading what followed an id they saw.
 */
export class InProcessEventStream implements EventStream {
  readonly available = true;
  readonly events: ClaimedEvent[] = [];
  readonly deadLetters: DeadLetter[] = [];
  private readonly entries: Record<keyof StreamNames, StreamMessage[]> = { events: [], dlq: [] };
  private readonly listeners: Record<keyof StreamNames, Set<StreamListener>> = {
    events: new Set(),
    dlq: new Set(),
  };
  /** The newest entry dropped for capacity, per stream: a reader behind it has missed entries. */
  private readonly lastDropped: Record<keyof StreamNames, string | undefined> = {
    events: undefined,
    dlq: undefined,
  };
  private lastMs = 0;
  private lastSeq = 0;

  constructor(private readonly capacity = 10_000) {}

  async publish(events: ClaimedEvent[]): Promise<(Error | undefined)[]> {
    this.events.push(...events);
    this.events.splice(0, Math.max(0, this.events.length - this.capacity));
    this.append(
      'events',
      events.map((event) => ({
        event_id: event.id,
        org_id: event.orgId,
        event_type: event.eventType,
        dedupe_key: event.dedupeKey,
        payload: event.payload,
      })),
    );
    return events.map(() => undefined);
  }

  async deadLetter(letters: DeadLetter[]): Promise<void> {
    this.deadLetters.push(...letters);
    this.deadLetters.splice(0, Math.max(0, this.deadLetters.length - this.capacity));
    this.append(
      'dlq',
      letters.map((letter) => ({
        kind: letter.kind,
        id: letter.id,
        org_id: letter.orgId,
        event_type: letter.eventType,
        error: letter.error,
      })),
    );
  }

  /** Calls `listener` with every entry added to `stream` from now on; returns the unsubscribe. */
  subscribe(listener: StreamListener, stream: keyof StreamNames = 'events'): () => void {
    this.listeners[stream].add(listener);
    return () => this.listeners[stream].delete(listener);
  }

  /**
   * The entries of `stream` after `id`, oldest first; `trimmed` when entries after `id` may have
   * been dropped already (the stream no longer holds `id`'s successor), as XRANGE would tell.
   */
  after(id: string, stream: keyof StreamNames = 'events'): { messages: StreamMessage[]; trimmed: boolean } {
    const entries = this.entries[stream];
    const dropped = this.lastDropped[stream];
    const trimmed = dropped !== undefined && compareStreamIds(id, dropped) < 0;
    return { messages: entries.filter((entry) => compareStreamIds(entry.id, id) > 0), trimmed };
  }

  /** The id of the newest entry of `stream`, or `0-0` when it is empty. */
  lastId(stream: keyof StreamNames = 'events'): string {
    return this.entries[stream].at(-1)?.id ?? '0-0';
  }

  private append(stream: keyof StreamNames, fields: Record<string, string>[]): void {
    if (fields.length === 0) return;
    const added = fields.map((entry) => ({ id: this.nextId(), fields: entry }));
    const entries = this.entries[stream];
    entries.push(...added);
    const excess = entries.splice(0, Math.max(0, entries.length - this.capacity));
    if (excess.length > 0) this.lastDropped[stream] = excess.at(-1)!.id;
    for (const listener of this.listeners[stream]) listener(added);
  }

  /** A Redis-style id: milliseconds and a sequence, increasing even if the clock steps back. */
  private nextId(): string {
    const now = Date.now();
    if (now > this.lastMs) {
      this.lastMs = now;
      this.lastSeq = 0;
    } else {
      this.lastSeq += 1;
    }
    return `${this.lastMs}-${this.lastSeq}`;
  }
}

/** Orders two Redis stream ids (`<ms>-<seq>`): negative, zero or positive. */
export function compareStreamIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}
