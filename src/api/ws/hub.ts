import { decodeJwt } from 'jose';
import type { WebSocket } from 'ws';
import type { UserActor } from '../../app/actor.js';
import type { RequestAuthenticator } from '../../app/authentication.js';
import type { LiveEntry, LiveFeed } from '../../app/live-feed.js';
import type { Revocations, RevocationSubject } from '../../app/principals.js';
import { isApiKeySecret } from '../../domain/api-key.js';
import type { Logger } from '../../observability/logger.js';
import { LiveConnection } from './connection.js';
import { liveEventOf, type LiveEvent } from './filter.js';
import { CLOSE, compareIds, parseClientMessage, type CloseCode, type ServerMessage } from './protocol.js';

/** What the hub needs: the feed, who authenticates, and the optional dashboard. */
export interface LiveHubDeps {
  feed: LiveFeed;
  /** The REST authenticator (API keys, revocation, principal state). */
  authenticator: RequestAuthenticator;
  /** Verifies a token's signature alone: tells a revoked token (valid signature) from a forged one. */
  verifier: { verifyAccessToken(token: string): Promise<unknown> };
  /** Principal changes: connections of a revoked principal are closed (4002) at once. */
  revocations: Pick<Revocations, 'subscribe'>;
  /** The mechanic assigned to a task (null: nobody, or no such task), for events that name a task. */
  taskMechanic: (orgId: string, taskId: string) => Promise<string | null>;
  /**
   * The dashboard metrics of an actor, sent every `dashboardMs` to each organization with
   * clients; without it no `dashboard` messages are sent.
   */
  dashboard?: ((actor: UserActor) => Promise<object>) | undefined;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
}

/** The hub's timings and bounds; the defaults are the protocol's, tests shorten them. */
export interface LiveHubOptions {
  /** Ping + `heartbeat` message interval; a client that has not answered the previous ping is closed (default 30 s). */
  heartbeatMs: number;
  /** `dashboard` message interval (default 30 s). */
  dashboardMs: number;
  /** Time a client has to authenticate after connecting (default 5 s). */
  authTimeoutMs: number;
  /** Unsent bytes past which a client is dropped (default 1 MiB). */
  maxBufferedBytes: number;
  /** Missed events replayed at most on a resume; more is a `resync` (default 10,000). */
  resumeLimit: number;
  now: () => number;
}

export const DEFAULT_LIVE_HUB_OPTIONS: LiveHubOptions = {
  heartbeatMs: 30_000,
  dashboardMs: 30_000,
  authTimeoutMs: 5_000,
  maxBufferedBytes: 1024 * 1024,
  resumeLimit: 10_000,
  now: Date.now,
};

/** How a client offered its token at connect time, and the id it resumes from. */
export interface ConnectOffer {
  /** From `Sec-WebSocket-Protocol: bearer, <token>` or an `Authorization: Bearer` header; else the first message. */
  token: string | undefined;
  lastId: string | undefined;
}

const controlMessage = (type: string, now: number, data: Record<string, unknown> = {}): ServerMessage => ({
  id: null,
  type,
  occurred_at: new Date(now).toISOString(),
  data,
});

/**
 * The live events hub of one server process: follows the events stream through its feed (started
 * with the first client), authenticates clients, and sends each event of an organization to that
 * organization's clients — all of them to every role but mechanics, who receive the events of
 * their own tasks and alerts. It pings, sends heartbeats and dashboard metrics, closes clients whose
 * token expires or is revoked and clients too slow to read.
 */
export class LiveHub {
  readonly options: LiveHubOptions;
  private readonly byOrg = new Map<string, Set<LiveConnection>>();
  private readonly pending = new Set<LiveConnection>();
  private started: Promise<void> | undefined;
  /** Live batches are handled one after another, so each client receives events in stream order. */
  private queue: Promise<void> = Promise.resolve();
  private readonly timers: NodeJS.Timeout[] = [];
  private closing = false;

  constructor(
    private readonly deps: LiveHubDeps,
    options: Partial<LiveHubOptions> = {},
  ) {
    this.options = { ...DEFAULT_LIVE_HUB_OPTIONS, ...options };
    deps.revocations.subscribe((subject) => this.revoked(subject));
  }

  /** Clients authenticated, per organization (for metrics and tests). */
  connectionCount(orgId?: string): number {
    if (orgId !== undefined) return this.byOrg.get(orgId)?.size ?? 0;
    let count = 0;
    for (const set of this.byOrg.values()) count += set.size;
    return count;
  }

  /** Takes a new socket: authenticates it from the offer or its first message, then resumes or starts it. */
  accept(socket: WebSocket, offer: ConnectOffer): void {
    const connection = new LiveConnection(
      socket,
      { maxBufferedBytes: this.options.maxBufferedBytes, now: this.options.now },
      (closed) => this.remove(closed),
    );
    if (this.closing) return connection.close(CLOSE.GOING_AWAY);
    this.pending.add(connection);
    let lastId = offer.lastId;
    let authenticating: Promise<void> | undefined;
    const timeout = setTimeout(() => {
      if (!connection.actor && !authenticating) connection.close(CLOSE.AUTH_TIMEOUT);
    }, this.options.authTimeoutMs);
    socket.on('close', () => clearTimeout(timeout));
    const authenticate = (token: string) => {
      authenticating = this.authenticate(connection, token, lastId).finally(() => {
        authenticating = undefined;
        clearTimeout(timeout);
      });
      authenticating.catch((error: unknown) => {
        this.deps.logger.error({ err: error }, 'live events: authenticating a client failed');
        connection.close(CLOSE.UNAUTHENTICATED);
      });
    };
    socket.on('message', (raw, isBinary) => {
      const message = isBinary
        ? undefined
        : parseClientMessage(
            Buffer.isBuffer(raw)
              ? raw.toString('utf8')
              : Buffer.concat([raw].flat() as Buffer[]).toString('utf8'),
          );
      if (!message) return connection.close(CLOSE.PROTOCOL_ERROR);
      // One authentication at a time; a second `auth` while the first runs is a protocol error.
      if (authenticating) return connection.close(CLOSE.PROTOCOL_ERROR);
      if (!connection.actor && message.last_id !== undefined) lastId = message.last_id;
      authenticate(message.token);
    });
    if (offer.token !== undefined) authenticate(offer.token);
  }

  /** Stops the timers and the feed, and closes every client with 1001 (going away). */
  async close(): Promise<void> {
    this.closing = true;
    for (const timer of this.timers) clearInterval(timer);
    for (const connection of [...this.pending, ...this.allConnections()]) connection.close(CLOSE.GOING_AWAY);
    await this.queue;
    if (this.started) await this.deps.feed.close();
  }

  /** The actor of a token and when it expires, or the close code that refuses it. */
  private async identify(
    token: string,
  ): Promise<{ actor: UserActor; expiresAt: number | undefined } | { refused: CloseCode }> {
    const apiKey = isApiKeySecret(token);
    const exp = apiKey ? undefined : expiryOf(token);
    try {
      const actor = await this.deps.authenticator.authenticate(`Bearer ${token}`);
      if (exp !== undefined && exp <= this.options.now()) return { refused: CLOSE.TOKEN_EXPIRED };
      return { actor, expiresAt: exp };
    } catch {
      if (apiKey) return { refused: CLOSE.UNAUTHENTICATED };
      // An expired token says so (its `exp` is all it shows, signed or not); a validly signed
      // one refused anyway was revoked; anything else is simply not a token of ours.
      if (exp !== undefined && exp <= this.options.now()) return { refused: CLOSE.TOKEN_EXPIRED };
      const signed = await this.deps.verifier.verifyAccessToken(token).then(
        () => true,
        () => false,
      );
      return { refused: signed ? CLOSE.TOKEN_REVOKED : CLOSE.UNAUTHENTICATED };
    }
  }

  private async authenticate(
    connection: LiveConnection,
    token: string,
    lastId: string | undefined,
  ): Promise<void> {
    const outcome = await this.identify(token);
    if (connection.closed) return;
    if ('refused' in outcome) return connection.close(outcome.refused);
    const { actor, expiresAt } = outcome;
    const previous = connection.actor;
    // A later `auth` extends the session of the same person; it cannot switch to someone else.
    if (previous && (previous.orgId !== actor.orgId || previous.userId !== actor.userId)) {
      return connection.close(CLOSE.PROTOCOL_ERROR);
    }
    connection.authenticated(actor, token, expiresAt);
    if (connection.closed) return;
    const welcome = controlMessage('authenticated', this.options.now(), {
      org_id: actor.orgId,
      user_id: actor.userId,
      role: actor.role,
      expires_at: expiresAt === undefined ? null : new Date(expiresAt).toISOString(),
    });
    if (previous) return connection.send(welcome);
    await this.start();
    if (connection.closed) return;
    this.pending.delete(connection);
    // Registered before `authenticated` is sent: every event published after it reaches the client.
    connection.held = lastId === undefined ? undefined : [];
    let set = this.byOrg.get(actor.orgId);
    if (!set) this.byOrg.set(actor.orgId, (set = new Set()));
    set.add(connection);
    connection.send(welcome);
    if (lastId !== undefined) await this.resume(connection, lastId);
  }

  /** Sends what a client missed after `lastId` (or `resync`), then the events held meanwhile. */
  private async resume(connection: LiveConnection, lastId: string): Promise<void> {
    try {
      const missed = await this.deps.feed.after(lastId, this.options.resumeLimit);
      if (missed.trimmed) {
        connection.send(
          controlMessage('resync', this.options.now(), {
            last_id: lastId,
            reason: 'the events after last_id are no longer kept: reload the state you show',
          }),
        );
      } else {
        for (const entry of missed.entries) {
          const event = liveEventOf(entry);
          if (event && (await this.receives(connection, event))) {
            connection.send(JSON.stringify(event.message), event.message.id!);
          }
          // Keep the resume point moving even over entries this client does not receive.
          connection.lastSentId = entry.id;
        }
      }
    } finally {
      const held = connection.held ?? [];
      connection.held = undefined;
      const after = connection.lastSentId;
      for (const { id, json } of held) {
        if (after === undefined || compareIds(id, after) > 0) connection.send(json, id);
      }
    }
  }

  private start(): Promise<void> {
    this.started ??= (async () => {
      this.deps.feed.subscribe((entries) => {
        this.queue = this.queue
          .then(() => this.dispatch(entries))
          .catch((error: unknown) => {
            this.deps.logger.error({ err: error }, 'live events: dispatching failed');
          });
      });
      await this.deps.feed.start();
      this.timers.push(setInterval(() => this.heartbeat(), this.options.heartbeatMs).unref());
      if (this.deps.dashboard) {
        this.timers.push(setInterval(() => void this.sendDashboards(), this.options.dashboardMs).unref());
      }
    })();
    return this.started;
  }

  private async dispatch(entries: LiveEntry[]): Promise<void> {
    for (const entry of entries) {
      const event = liveEventOf(entry);
      if (!event) continue;
      const connections = this.byOrg.get(event.orgId);
      if (!connections || connections.size === 0) continue;
      // Encoded once for every client of the organization.
      const json = Buffer.from(JSON.stringify(event.message));
      let mechanic: string | null | undefined;
      for (const connection of connections) {
        if (connection.actor?.role !== 'mechanic') {
          connection.deliver(entry.id, json);
          continue;
        }
        mechanic ??= await this.mechanicOf(event);
        if (mechanic !== null && mechanic === connection.actor.userId) connection.deliver(entry.id, json);
      }
    }
  }

  /** Whether a client receives an event: every role but mechanics, who receive their own. */
  private async receives(connection: LiveConnection, event: LiveEvent): Promise<boolean> {
    const actor = connection.actor;
    if (!actor || actor.orgId !== event.orgId) return false;
    if (actor.role !== 'mechanic') return true;
    return (await this.mechanicOf(event)) === actor.userId;
  }

  /** The mechanic an event concerns, looking up its task's assignee when the event does not say. */
  private async mechanicOf(event: LiveEvent): Promise<string | null> {
    const audience = event.mechanic;
    if (audience.kind === 'user') return audience.userId;
    if (audience.kind === 'none') return null;
    try {
      return await this.deps.taskMechanic(event.orgId, audience.taskId);
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'live events: looking up a task mechanic failed');
      return null;
    }
  }

  private heartbeat(): void {
    const now = this.options.now();
    const message = JSON.stringify(controlMessage('heartbeat', now));
    for (const connection of this.allConnections()) {
      if (connection.awaitingPong) {
        connection.close(CLOSE.NO_PONG);
        continue;
      }
      connection.awaitingPong = true;
      connection.socket.ping();
      connection.send(message);
    }
  }

  /** One dashboard per organization for its managers, one per mechanic (their view adds their tasks). */
  private async sendDashboards(): Promise<void> {
    const dashboard = this.deps.dashboard;
    if (!dashboard) return;
    for (const [orgId, connections] of this.byOrg) {
      const views = new Map<string, Promise<object>>();
      for (const connection of connections) {
        const actor = connection.actor;
        if (!actor) continue;
        const key = actor.role === 'mechanic' ? `mechanic:${actor.userId}` : 'org';
        let view = views.get(key);
        if (!view) views.set(key, (view = dashboard(actor)));
        try {
          const data = (await view) as Record<string, unknown>;
          connection.send(controlMessage('dashboard', this.options.now(), data));
        } catch (error) {
          this.deps.logger.warn({ err: error, org_id: orgId }, 'live events: computing the dashboard failed');
          break;
        }
      }
    }
  }

  /** Closes (4002) the connections a revocation makes invalid, once the authenticator says so. */
  private revoked(subject: RevocationSubject): void {
    for (const connection of this.byOrg.get(subject.orgId) ?? []) {
      const actor = connection.actor;
      if (!actor || !connection.token) continue;
      if (subject.apiKeyId !== undefined && actor.apiKey?.id !== subject.apiKeyId) continue;
      if (subject.userId !== undefined && subject.apiKeyId === undefined && actor.userId !== subject.userId)
        continue;
      const token = connection.token;
      this.deps.authenticator.authenticate(`Bearer ${token}`).then(
        (current) => {
          // Still valid: the role may have changed, and filtering follows it.
          if (connection.token === token) connection.actor = current;
        },
        () => {
          if (connection.token === token) connection.close(CLOSE.TOKEN_REVOKED);
        },
      );
    }
  }

  private remove(connection: LiveConnection): void {
    this.pending.delete(connection);
    const orgId = connection.actor?.orgId;
    if (orgId === undefined) return;
    const set = this.byOrg.get(orgId);
    set?.delete(connection);
    if (set?.size === 0) this.byOrg.delete(orgId);
  }

  private *allConnections(): Iterable<LiveConnection> {
    for (const set of this.byOrg.values()) yield* set;
  }
}

/** A token's `exp` in milliseconds, read without verifying it, or undefined when it has none. */
function expiryOf(token: string): number | undefined {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
