import { EventEmitter } from 'node:events';
import { duplicateClient, type RedisClient } from './client.js';
import type { Revocations, RevocationSubject } from '../../app/principals.js';
import type { Logger } from '../../observability/logger.js';

/** Revocation announcements, and the connection they arrive on (closed with the process). */
export interface RevocationChannel extends Revocations {
  close(): Promise<void>;
}

export interface RevocationChannelOptions {
  /** Every replica's Redis; undefined (embedded mode, one process) keeps announcements in process. */
  redis: RedisClient | undefined;
  /** Prefix of the channel name, so parallel test runs never hear each other. */
  keyPrefix: string;
  logger: Pick<Logger, 'warn'>;
}

const EVENT = 'revoked';

/**
 * Announces principal changes to every server process: over Redis pub/sub when Redis is
 * configured (a subscriber connection of its own, as Redis requires), in process otherwise.
 * Delivery is best effort by design: an announcement missed while Redis is away is made up for
 * by the principal cache's TTL, so nothing waits for Redis and nothing fails with it.
 */
export function createRevocationChannel(options: RevocationChannelOptions): RevocationChannel {
  const local = new EventEmitter();
  const deliver = (subject: RevocationSubject) => local.emit(EVENT, subject);
  const subscribe = (listener: (subject: RevocationSubject) => void) => {
    local.on(EVENT, listener);
  };
  const { redis, logger } = options;
  if (!redis) {
    return {
      async announce(subject) {
        deliver(subject);
      },
      subscribe,
      async close() {
        local.removeAllListeners();
      },
    };
  }

  const channel = `${options.keyPrefix}:auth-revocations`;
  const subscriber = duplicateClient(redis);
  // The connection's own errors are reported by the main client's handler; reconnects resubscribe.
  subscriber.on('error', () => undefined);
  subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) return;
    const subject = parseSubject(message);
    if (subject) deliver(subject);
  });
  subscriber.subscribe(channel).catch((error: unknown) => {
    logger.warn(
      { err: error },
      'revocations: could not subscribe; other replicas apply them after the cache TTL',
    );
  });
  return {
    async announce(subject) {
      // This process at once, whatever Redis does; the others through Redis.
      deliver(subject);
      try {
        await redis.publish(channel, JSON.stringify(subject));
      } catch (error) {
        logger.warn(
          { err: error },
          'revocations: could not announce; other replicas apply it after the cache TTL',
        );
      }
    },
    subscribe,
    async close() {
      local.removeAllListeners();
      subscriber.disconnect();
    },
  };
}

function parseSubject(message: string): RevocationSubject | undefined {
  try {
    const value = JSON.parse(message) as Partial<RevocationSubject>;
    if (typeof value.orgId !== 'string') return undefined;
    // Keep the narrowest subject: dropping a key's or user's id would flush the whole organization.
    return {
      orgId: value.orgId,
      ...(typeof value.userId === 'string' ? { userId: value.userId } : {}),
      ...(typeof value.apiKeyId === 'string' ? { apiKeyId: value.apiKeyId } : {}),
    };
  } catch {
    return undefined;
  }
}
