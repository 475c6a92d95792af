import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { WebSocket, WebSocketServer } from 'ws';
import { bearerToken } from '../../app/authentication.js';
import { AppError } from '../../app/errors.js';
import { errorResponses } from '../rest/schemas/common.js';
import type { LiveHub } from './hub.js';
import { BEARER_SUBPROTOCOL, CLOSE, CLOSE_REASON, LIVE_EVENT_TYPES } from './protocol.js';

/** Largest message a client may send (an `auth` message with its token). */
const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024;

const Query = Type.Object({
  last_id: Type.Optional(
    Type.String({
      pattern: '^\\d{1,20}(-\\d{1,20})?$',
      description:
        'The `id` of the last event the client received: it is sent what it missed since (or a `resync` message when that is no longer kept). May also be given in the `auth` message.',
    }),
  ),
});

const ProtocolDescription = Type.Object(
  {
    url: Type.String({ description: 'Where to connect: this path, with `ws://` or `wss://`.' }),
    subprotocol: Type.String({
      description: 'Offer `bearer` and the access token as two subprotocols; the server answers `bearer`.',
    }),
    auth_timeout_seconds: Type.Number({
      description:
        'Without a token at connect time, the first message must be `{"type":"auth","token":"…"}` within this time.',
    }),
    heartbeat_seconds: Type.Number({ description: 'Interval of pings and `heartbeat` messages.' }),
    max_buffered_bytes: Type.Number({
      description: 'Unsent bytes past which a slow client is closed (4429).',
    }),
    event_types: Type.Array(Type.String(), { description: 'The event types sent live.' }),
    close_codes: Type.Record(Type.String(), Type.String(), {
      description: 'Each close code the server uses and what it means.',
    }),
  },
  { description: 'The live events protocol, answered to a GET that does not ask for a WebSocket upgrade.' },
);

const DESCRIPTION = `The live events WebSocket. Connect with a WebSocket upgrade and authenticate with an access token
(or API key), either as the subprotocol pair \`bearer, <token>\` in \`Sec-WebSocket-Protocol\` (what a browser can
send; the server answers \`bearer\`), an \`Authorization: Bearer\` header (non-browser clients), or as the first message
\`{"type": "auth", "token": "…"}\` within the auth timeout. **Never in the query string**: a \`token\` or
\`access_token\` query parameter is refused (400 \`TOKEN_IN_QUERY\`). The organization and role come from the token.

Server messages are JSON \`{id, type, occurred_at, data}\`: events (\`id\` = the stream id to resume from, \`type\` = the
event type, \`data\` = the event's data as webhooks receive it) and control messages with \`id: null\`:
\`authenticated\`, \`heartbeat\` (every 30 s, with a ping), \`dashboard\` (every 30 s: the dashboard metrics), \`resync\`
(the events after \`last_id\` are gone: reload). A mechanic receives the events of their own tasks and alerts; every
other role the whole organization's. Send \`{"type": "auth", "token": "…"}\` again before the token expires to keep the
connection. Close codes: ${Object.entries(CLOSE)
  .map(([, code]) => `${code} ${CLOSE_REASON[code]}`)
  .join('; ')}.

A plain GET (no upgrade) answers this protocol's description.`;

/** `GET /api/v1/ws`: the live events WebSocket of `hub`. */
export function liveEventRoutes(hub: LiveHub) {
  return async (app: FastifyInstance): Promise<void> => {
    await app.register(websocket, {
      options: {
        maxPayload: MAX_CLIENT_MESSAGE_BYTES,
        // The token travels beside `bearer`; the server only ever answers `bearer`, never echoing the token.
        handleProtocols: (protocols: Set<string>) =>
          protocols.has(BEARER_SUBPROTOCOL) ? BEARER_SUBPROTOCOL : false,
      },
      preClose(done) {
        const server = this.websocketServer as WebSocketServer;
        void hub.close().finally(() => server.close(() => done()));
      },
    });

    app.route({
      method: 'GET',
      url: '/ws',
      config: { public: true },
      schema: {
        tags: ['live events'],
        summary: 'Live events over a WebSocket (101 Switching Protocols)',
        description: DESCRIPTION,
        querystring: Query,
        response: {
          101: {
            description: 'Switching Protocols: the WebSocket is open; authenticate, then receive messages.',
          },
          200: ProtocolDescription,
          ...errorResponses(400),
        },
      },
      // A token in the URL ends up in access logs and browser history: refused before anything else.
      onRequest: async (request) => {
        const query = request.query as Record<string, unknown>;
        if ('token' in query || 'access_token' in query) {
          throw AppError.validation(
            'a token is never accepted in the URL: send it as the subprotocol pair `bearer, <token>` or in an `auth` message',
            [{ field: 'querystring.token', message: 'is not accepted in the URL' }],
            'TOKEN_IN_QUERY',
          );
        }
      },
      handler: () => ({
        url: '/api/v1/ws',
        subprotocol: BEARER_SUBPROTOCOL,
        auth_timeout_seconds: hub.options.authTimeoutMs / 1000,
        heartbeat_seconds: hub.options.heartbeatMs / 1000,
        max_buffered_bytes: hub.options.maxBufferedBytes,
        event_types: [...LIVE_EVENT_TYPES],
        close_codes: Object.fromEntries(
          Object.values(CLOSE).map((code) => [String(code), CLOSE_REASON[code]]),
        ),
      }),
      wsHandler: (socket: WebSocket, request) => {
        const query = request.query as { last_id?: string };
        hub.accept(socket, { token: offeredToken(request.headers), lastId: query.last_id });
      },
    });
  };
}

/** The token of `Sec-WebSocket-Protocol: bearer, <token>`, or of an `Authorization: Bearer` header. */
function offeredToken(headers: Record<string, string | string[] | undefined>): string | undefined {
  const offered = String(headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((protocol) => protocol.trim())
    .filter(Boolean);
  if (offered.includes(BEARER_SUBPROTOCOL)) {
    return offered.find((protocol) => protocol !== BEARER_SUBPROTOCOL) ?? '';
  }
  const authorization = headers.authorization;
  return typeof authorization === 'string' ? (bearerToken(authorization) ?? '') : undefined;
}
