/** A WebSocket client for the live events tests, and a way to put events on a test app's stream. */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import type { ClaimedEvent } from '../../src/app/outbox.js';
import { RedisEventStream } from '../../src/infra/streams/event-stream.js';
import type { TestApp } from './app.js';

/** A server message as the client parses it. */
export interface WsMessage {
  id: string | null;
  type: string;
  occurred_at: string;
  data: Record<string, unknown>;
}

/** A connected (or refused) client: the messages received, and how the socket closed. */
export interface WsClient {
  socket: WebSocket;
  /** Every message received so far, in order. */
  messages: WsMessage[];
  /** The first message (after those already taken) for which `match` holds. */
  next(match?: (message: WsMessage) => boolean): Promise<WsMessage>;
  /** Resolves with the close code and reason once the socket closed. */
  closed: Promise<{ code: number; reason: string }>;
  /** The subprotocol the server chose. */
  protocol(): string;
  send(message: unknown): void;
  close(): void;
}

/** Starts the app's HTTP server (once) and returns its `ws://` base. */
export async function wsBase(t: TestApp): Promise<string> {
  if (!t.app.server.listening) await t.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = t.app.server.address() as AddressInfo;
  return `ws://127.0.0.1:${port}`;
}

/** Opens `/api/v1/ws` (with `query`), offering `token` as `bearer, <token>` when given. */
export async function connect(
  t: TestApp,
  options: {
    token?: string;
    query?: string;
    headers?: Record<string, string>;
    protocols?: string[];
    autoPong?: boolean;
  } = {},
): Promise<WsClient> {
  const base = await wsBase(t);
  const protocols = options.protocols ?? (options.token !== undefined ? ['bearer', options.token] : []);
  const socket = new WebSocket(`${base}/api/v1/ws${options.query ? `?${options.query}` : ''}`, protocols, {
    headers: options.headers,
    autoPong: options.autoPong ?? true,
  });
  const messages: WsMessage[] = [];
  let taken = 0;
  const waiters: (() => void)[] = [];
  socket.on('message', (raw) => {
    messages.push(JSON.parse((raw as Buffer).toString('utf8')) as WsMessage);
    for (const waiter of waiters.splice(0)) waiter();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on('close', (code, reason) => {
      resolve({ code, reason: String(reason) });
      for (const waiter of waiters.splice(0)) waiter();
    });
  });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`unexpected response ${response.statusCode}`)),
    );
    socket.once('close', () => resolve());
  });
  const client: WsClient = {
    socket,
    messages,
    closed,
    protocol: () => socket.protocol,
    send: (message) => socket.send(JSON.stringify(message)),
    close: () => socket.close(),
    async next(match = () => true) {
      for (;;) {
        while (taken < messages.length) {
          const message = messages[taken++]!;
          if (match(message)) return message;
        }
        if (socket.readyState === WebSocket.CLOSED) throw new Error('the socket closed');
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
  return client;
}

/** An authenticated client: waits for the `authenticated` message. */
export async function connectAs(
  t: TestApp,
  token: string,
  options: { query?: string; autoPong?: boolean } = {},
): Promise<WsClient> {
  const client = await connect(t, { token, ...options });
  await client.next((m) => m.type === 'authenticated');
  return client;
}

/** A stream of the test's own, so parallel test files never read each other's events. */
export const testStream = (): string => `amss-test:ws:${randomUUID()}`;

/** Publishes events on `stream` as the outbox publisher does; returns their stream ids. */
export async function publish(
  t: TestApp,
  stream: string,
  events: { orgId: string; type: string; data: Record<string, unknown> }[],
  maxLength = 10_000,
): Promise<string[]> {
  const eventStream = new RedisEventStream(t.redis, maxLength, { events: stream, dlq: `${stream}:dlq` });
  const claimed: ClaimedEvent[] = events.map((event) => {
    const id = randomUUID();
    return {
      id,
      orgId: event.orgId,
      eventType: event.type,
      dedupeKey: `${event.type}:${event.orgId}:${id}`,
      payload: JSON.stringify({
        version: 1,
        event_type: event.type,
        org_id: event.orgId,
        aggregate_type: 'test',
        aggregate_id: id,
        occurred_at: new Date().toISOString(),
        data: event.data,
      }),
      attemptCount: 0,
      createdAt: new Date(),
    };
  });
  await eventStream.publish(claimed);
  const entries = (await t.redis.xrevrange(stream, '+', '-', 'COUNT', events.length)) as [string, string[]][];
  return entries.map(([id]) => id).reverse();
}
