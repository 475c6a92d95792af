import { duplicateClient, type RedisClient } from '../redis/client.js';
import type { LiveEntry, LiveFeed, MissedEntries } from '../../app/live-feed.js';
import type { Logger } from '../../observability/logger.js';
import { compareStreamIds, EVENTS_STREAM, type InProcessEventStream } from './event-stream.js';

type RawEntry = [id: string, fields: string[]];

const entryOf = ([id, flat]: RawEntry): LiveEntry => {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return { id, fields };
};

/** Listeners of one feed, each called in turn; one that throws does not stop the others. */
class Listeners {
  private readonly set = new Set<(entries: LiveEntry[]) => void>();
  constructor(private readonly logger: Pick<Logger, 'error'>) {}
  add(listener: (entries: LiveEntry[]) => void): () => void {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }
  emit(entries: LiveEntry[]): void {
    if (entries.length === 0) return;
    for (const listener of this.set) {
      try {
        listener(entries);
      } catch (error) {
        this.logger.error({ err: error }, 'live feed: a listener failed');
      }
    }
  }
}

export interface RedisLiveFeedOptions {
  /** A client for XRANGE/XINFO; the blocking XREAD runs on a duplicate of it. */
  redis: RedisClient;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** The stream (default `amss.events`); tests use one of their own. */
  stream?: string;
  /** How long one XREAD waits (default 5 s): also how long `close` may wait for it. */
  blockMs?: number;
  /** Entries read at once (default 500). */
  count?: number;
}

/**
 * The live feed on Redis: this process's own XREAD … BLOCK loop over `amss.events` on a connection
 * of its own, from the newest entry at start (resolved to its id, so no entry is skipped between two
 * reads as `$` would). A Redis outage is logged once and retried with backoff; reading continues
 * from the last id seen, so clients miss nothing the stream still holds.
 */
export class RedisLiveFeed implements LiveFeed {
  private readonly stream: string;
  private readonly blockMs: number;
  private readonly count: number;
  private readonly listeners: Listeners;
  private blocking: RedisClient | undefined;
  private loop: Promise<void> | undefined;
  private stopped = false;
  private lastId = '0-0';

  constructor(private readonly options: RedisLiveFeedOptions) {
    this.stream = options.stream ?? EVENTS_STREAM;
    this.blockMs = options.blockMs ?? 5_000;
    this.count = options.count ?? 500;
    this.listeners = new Listeners(options.logger);
  }

  subscribe(listener: (entries: LiveEntry[]) => void): () => void {
    return this.listeners.add(listener);
  }

  async start(): Promise<void> {
    if (this.loop) return;
    this.lastId = await this.newestId().catch(() => '$');
    this.blocking = duplicateClient(this.options.redis, { maxRetriesPerRequest: null });
    this.blocking.on('error', () => undefined);
    this.loop = this.run();
  }

  async after(id: string, limit: number): Promise<MissedEntries> {
    const { redis } = this.options;
    const info = await this.info();
    if (!info) return { entries: [], trimmed: id !== '0-0' };
    // An id the stream never produced (a client of another Redis, or of a stream since deleted).
    if (compareStreamIds(id, info.lastGeneratedId) > 0) return { entries: [], trimmed: true };
    // Entries were dropped (trimming, or XDEL past the id) and the oldest kept one comes after the id:
    // what followed the id may be among the dropped ones.
    const trimmed =
      (info.dropped && info.firstId !== undefined && compareStreamIds(id, info.firstId) < 0) ||
      (info.maxDeletedId !== undefined && compareStreamIds(id, info.maxDeletedId) < 0);
    if (trimmed) return { entries: [], trimmed };
    const raw = (await redis.xrange(this.stream, `(${id}`, '+', 'COUNT', limit + 1)) as RawEntry[];
    // More than a client may be sent at once: it reloads instead.
    if (raw.length > limit) return { entries: [], trimmed: true };
    return { entries: raw.map(entryOf), trimmed: false };
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.blocking?.disconnect();
    await this.loop;
    this.loop = undefined;
  }

  private async newestId(): Promise<string> {
    const newest = (await this.options.redis.xrevrange(this.stream, '+', '-', 'COUNT', 1)) as RawEntry[];
    return newest[0]?.[0] ?? '0-0';
  }

  private async info(): Promise<
    | {
        lastGeneratedId: string;
        maxDeletedId: string | undefined;
        firstId: string | undefined;
        dropped: boolean;
      }
    | undefined
  > {
    let flat: unknown[];
    try {
      flat = (await this.options.redis.xinfo('STREAM', this.stream)) as unknown[];
    } catch (error) {
      if (error instanceof Error && /no such key/i.test(error.message)) return undefined;
      throw error;
    }
    const fields = new Map<string, unknown>();
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), flat[i + 1]);
    const maxDeleted = fields.get('max-deleted-entry-id');
    const lastGenerated = fields.get('last-generated-id');
    const firstRecorded = fields.get('recorded-first-entry-id');
    return {
      lastGeneratedId: typeof lastGenerated === 'string' ? lastGenerated : '0-0',
      maxDeletedId: typeof maxDeleted === 'string' && maxDeleted !== '0-0' ? maxDeleted : undefined,
      firstId: typeof firstRecorded === 'string' && firstRecorded !== '0-0' ? firstRecorded : undefined,
      // XTRIM/MAXLEN leave max-deleted-entry-id alone: more added than kept says entries were dropped.
      dropped: Number(fields.get('entries-added') ?? 0) > Number(fields.get('length') ?? 0),
    };
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        const result = await this.blocking!.xread(
          'COUNT',
          this.count,
          'BLOCK',
          this.blockMs,
          'STREAMS',
          this.stream,
          this.lastId,
        );
        if (failures > 0) this.options.logger.info('live feed: reading amss.events again');
        failures = 0;
        const raw = result?.[0]?.[1] ?? [];
        if (raw.length === 0) {
          if (this.lastId === '$') this.lastId = await this.newestId();
          continue;
        }
        this.lastId = raw.at(-1)![0];
        this.listeners.emit(raw.map(entryOf));
      } catch (error) {
        if (this.stopped) break;
        if (failures === 0) this.options.logger.warn({ err: error }, 'live feed: reading the stream failed');
        failures += 1;
        await new Promise((resolve) => setTimeout(resolve, Math.min(200 * 2 ** failures, 10_000)));
        // `$` resolved late: once Redis answers, start from what it holds now.
        if (this.lastId === '$') this.lastId = await this.newestId().catch(() => '$');
      }
    }
  }
}

/**
 * The live feed of `amss dev` without Redis: the in-process stream that the worker publishes to in
 * the same process, subscribed to directly.
 */
export class InProcessLiveFeed implements LiveFeed {
  private readonly listeners: Listeners;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly stream: InProcessEventStream,
    logger: Pick<Logger, 'error'>,
  ) {
    this.listeners = new Listeners(logger);
  }

  async start(): Promise<void> {
    this.unsubscribe ??= this.stream.subscribe((messages) => this.listeners.emit(messages), 'events');
  }

  subscribe(listener: (entries: LiveEntry[]) => void): () => void {
    return this.listeners.add(listener);
  }

  async after(id: string, limit: number): Promise<MissedEntries> {
    if (compareStreamIds(id, this.stream.lastId()) > 0) return { entries: [], trimmed: true };
    const { messages, trimmed } = this.stream.after(id);
    if (trimmed || messages.length > limit) return { entries: [], trimmed: true };
    return { entries: messages, trimmed: false };
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}
