import { duplicateClient, type RedisClient } from '../redis/client.js';
import type { Logger } from '../../observability/logger.js';

/** One stream entry: its id and its fields. */
export interface StreamMessage {
  id: string;
  fields: Record<string, string>;
}

/** Handles one message; resolving acknowledges it, throwing leaves it pending for a later retry. */
export type StreamHandler = (message: StreamMessage) => Promise<void>;

/** What a consumer group member needs. */
export interface StreamConsumerOptions {
  /** A client for the short commands (XACK, XAUTOCLAIM, …); blocking reads use a duplicate of it. */
  redis: RedisClient;
  stream: string;
  group: string;
  /** This member's name in the group, e.g. the WORKER_ID; its pending messages survive a restart. */
  consumer: string;
  handler: StreamHandler;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** How long one read waits for new messages (default 5 s). */
  blockMs?: number;
  /** Messages read at once (default 10). */
  count?: number;
  /** A message pending this long (its consumer died, or its handler failed) is taken over (default 60 s). */
  claimIdleMs?: number;
  /** How often pending messages are looked for (default: every `claimIdleMs / 2`). */
  claimEveryMs?: number;
  /** Deliveries after which a message is given up: handed to `onGiveUp` and acknowledged (default 10). */
  maxDeliveries?: number;
  /** Told about a message given up (e.g. to push it to a dead-letter stream); the message is acknowledged after. */
  onGiveUp?: (message: StreamMessage, deliveries: number) => Promise<void>;
  /** Waits after a Redis failure: doubling from `initialMs` to `maxMs` (default 200 ms to 30 s). */
  backoff?: { initialMs: number; maxMs: number };
  /** Name of the blocking connection in `CLIENT LIST` (default `amss:<stream>:<consumer>`). */
  connectionName?: string;
}

type RawEntry = [id: string, fields: string[]] | null;

/**
 * A member of a Redis Streams consumer group. It creates the group (MKSTREAM; an existing group is
 * fine), reads with XREADGROUP … BLOCK on a connection of its own, calls the handler once per
 * message and acknowledges (XACK, once per read) only after the handler succeeded: delivery is at least once, so
 * handlers must be idempotent. Messages left pending by a dead consumer or a failed handler are
 * taken over with XAUTOCLAIM once idle for `claimIdleMs`; after a restart the consumer first
 * re-reads its own pending messages. Redis outages are logged once and retried with backoff; the
 * loop never throws. `stop()` lets the message in hand finish and returns once the loop has ended.
 */
export class StreamConsumer {
  private readonly blockMs: number;
  private readonly count: number;
  private readonly claimIdleMs: number;
  private readonly claimEveryMs: number;
  private readonly maxDeliveries: number;
  private readonly backoff: { initialMs: number; maxMs: number };
  private blocking: RedisClient | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private reading = false;
  private groupReady = false;
  private failing = false;
  private lastClaimAt = 0;
  private wake: (() => void) | undefined;

  constructor(private readonly options: StreamConsumerOptions) {
    this.blockMs = options.blockMs ?? 5_000;
    this.count = options.count ?? 10;
    this.claimIdleMs = options.claimIdleMs ?? 60_000;
    this.claimEveryMs = options.claimEveryMs ?? Math.max(1, Math.floor(this.claimIdleMs / 2));
    this.maxDeliveries = options.maxDeliveries ?? 10;
    this.backoff = options.backoff ?? { initialMs: 200, maxMs: 30_000 };
  }

  /** Starts consuming; a second call does nothing. */
  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.blocking = duplicateClient(this.options.redis, {
      connectionName: this.options.connectionName ?? `amss:${this.options.stream}:${this.options.consumer}`,
    });
    // Errors are reported by the loop, once per outage; this only keeps ioredis from printing them.
    this.blocking.on('error', () => undefined);
    this.loop = this.run();
  }

  /** Stops after the message in hand; messages read but not handled stay pending for the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    // A read blocked in Redis would hold stop() for up to blockMs: closing its connection ends it.
    if (this.reading) this.blocking?.disconnect();
    await this.loop;
    this.blocking?.disconnect();
    this.loop = undefined;
    this.blocking = undefined;
  }

  private async run(): Promise<void> {
    let delayMs = this.backoff.initialMs;
    // After a restart, messages this consumer read but never acknowledged come first.
    let ownPendingFrom: string | undefined = '0';
    while (!this.stopping) {
      try {
        if (!this.groupReady) await this.createGroup();
        if (Date.now() - this.lastClaimAt >= this.claimEveryMs) await this.claimIdle();
        const messages = await this.read(ownPendingFrom ?? '>');
        if (ownPendingFrom !== undefined) {
          ownPendingFrom = messages.length === 0 ? undefined : messages[messages.length - 1]!.id;
        }
        await this.handleAll(messages);
        if (this.failing)
          this.options.logger.info({ stream: this.options.stream }, 'stream consumer recovered');
        this.failing = false;
        delayMs = this.backoff.initialMs;
      } catch (error) {
        if (this.stopping) break;
        if (String((error as Error).message).includes('NOGROUP')) this.groupReady = false;
        if (!this.failing) {
          this.options.logger.warn(
            { err: error, stream: this.options.stream, group: this.options.group },
            'stream consumer cannot reach Redis; retrying with backoff',
          );
        }
        this.failing = true;
        await this.sleep(delayMs);
        delayMs = Math.min(delayMs * 2, this.backoff.maxMs);
      }
    }
  }

  private async createGroup(): Promise<void> {
    const { redis, stream, group } = this.options;
    try {
      await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
    } catch (error) {
      if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
    }
    this.groupReady = true;
  }

  private async read(from: string): Promise<StreamMessage[]> {
    const { stream, group, consumer } = this.options;
    this.reading = true;
    try {
      const reply = (await (from === '>'
        ? this.blocking!.xreadgroup(
            'GROUP',
            group,
            consumer,
            'COUNT',
            this.count,
            'BLOCK',
            this.blockMs,
            'STREAMS',
            stream,
            from,
          )
        : this.blocking!.xreadgroup(
            'GROUP',
            group,
            consumer,
            'COUNT',
            this.count,
            'STREAMS',
            stream,
            from,
          ))) as [string, RawEntry[]][] | null;
      return toMessages(reply?.[0]?.[1] ?? []);
    } finally {
      this.reading = false;
    }
  }

  /**
   * Takes over messages idle for `claimIdleMs` (their consumer died or their handler failed) and
   * handles them; messages delivered `maxDeliveries` times are given up instead.
   */
  private async claimIdle(): Promise<void> {
    const { redis, stream, group, consumer } = this.options;
    this.lastClaimAt = Date.now();
    const pending = (await redis.xpending(stream, group, 'IDLE', this.claimIdleMs, '-', '+', 100)) as [
      string,
      string,
      number,
      number,
    ][];
    const deliveries = new Map(pending.map(([id, , , times]) => [id, times]));
    let cursor = '0-0';
    do {
      const [next, entries] = (await redis.xautoclaim(
        stream,
        group,
        consumer,
        this.claimIdleMs,
        cursor,
        'COUNT',
        this.count,
      )) as [string, RawEntry[]];
      cursor = next;
      const messages = toMessages(entries);
      for (const message of messages) {
        const times = deliveries.get(message.id) ?? 0;
        if (times >= this.maxDeliveries) await this.giveUp(message, times);
      }
      await this.handleAll(
        messages.filter((message) => (deliveries.get(message.id) ?? 0) < this.maxDeliveries),
      );
    } while (cursor !== '0-0' && !this.stopping);
  }

  /**
   * Handles the messages of one read in order and acknowledges those whose handler succeeded with
   * one XACK: a round trip per read instead of one per message. Stopping ends the batch early; the
   * rest stays pending for this consumer's next start or for another member.
   */
  private async handleAll(messages: StreamMessage[]): Promise<void> {
    const handled: string[] = [];
    try {
      for (const message of messages) {
        if (this.stopping) break;
        try {
          await this.options.handler(message);
          handled.push(message.id);
        } catch (error) {
          this.options.logger.error(
            { err: error, stream: this.options.stream, message_id: message.id },
            'stream message handler failed; the message stays pending and is retried',
          );
        }
      }
    } finally {
      if (handled.length > 0)
        await this.options.redis.xack(this.options.stream, this.options.group, ...handled);
    }
  }

  private async giveUp(message: StreamMessage, deliveries: number): Promise<void> {
    this.options.logger.error(
      { stream: this.options.stream, message_id: message.id, deliveries },
      'stream message given up after too many deliveries',
    );
    await this.options.onGiveUp?.(message, deliveries);
    await this.options.redis.xack(this.options.stream, this.options.group, message.id);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

/** Entries as ioredis returns them (flat field lists; null for an entry deleted meanwhile). */
function toMessages(entries: RawEntry[]): StreamMessage[] {
  return entries.flatMap((entry) => {
    if (!entry) return [];
    const [id, flat] = entry;
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < (flat?.length ?? 0); i += 2) fields[flat[i]!] = flat[i + 1]!;
    return [{ id, fields }];
  });
}
