import type { Redis } from 'ioredis';
import type { ClaimedEvent, DeadLetter, EventStream } from '../../app/outbox.js';

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
    private readonly redis: Redis,
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

/**
 * The stand-in for `amss dev` without Redis: keeps the last `capacity` entries of each stream in
 * memory, so the outbox drains and webhooks are delivered exactly as with Redis.
 */
export class InProcessEventStream implements EventStream {
  readonly available = true;
  readonly events: ClaimedEvent[] = [];
  readonly deadLetters: DeadLetter[] = [];

  constructor(private readonly capacity = 10_000) {}

  async publish(events: ClaimedEvent[]): Promise<(Error | undefined)[]> {
    this.events.push(...events);
    this.events.splice(0, Math.max(0, this.events.length - this.capacity));
    return events.map(() => undefined);
  }

  async deadLetter(letters: DeadLetter[]): Promise<void> {
    this.deadLetters.push(...letters);
    this.deadLetters.splice(0, Math.max(0, this.deadLetters.length - this.capacity));
  }
}
