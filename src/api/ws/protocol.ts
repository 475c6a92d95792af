/**
 * The live events protocol of `GET /api/v1/ws` (docs/API_GUIDE.md, "Live events"): what the server
 * sends, what a client may send, and the close codes.
 */

/** Close codes of the live events socket. 4xxx are AMSS's own; 1001/1008/1013 are the standard ones used. */
export const CLOSE = {
  /** The server is shutting down (standard "going away"); reconnect to another replica. */
  GOING_AWAY: 1001,
  /** The client sent something that is not a message of this protocol (not JSON, unknown type). */
  PROTOCOL_ERROR: 4400,
  /** No token, or one that is not a valid access token or API key. */
  UNAUTHENTICATED: 4401,
  /** The client did not authenticate within the auth timeout after connecting. */
  AUTH_TIMEOUT: 4408,
  /** The client reads too slowly: its unsent messages passed the buffer bound. Reconnect with `last_id`. */
  TOO_SLOW: 4429,
  /** The access token expired (at connect, or while connected without a new `auth`). */
  TOKEN_EXPIRED: 4001,
  /** The token or key was valid but its principal no longer may use it (revoked, signed out, deleted). */
  TOKEN_REVOKED: 4002,
  /** The client did not answer the server's pings (a dead connection). */
  NO_PONG: 4003,
} as const;

export type CloseCode = (typeof CLOSE)[keyof typeof CLOSE];

/** The reason text sent with each close code (at most 123 bytes, as the protocol allows). */
export const CLOSE_REASON: Record<CloseCode, string> = {
  [CLOSE.GOING_AWAY]: 'server shutting down',
  [CLOSE.PROTOCOL_ERROR]: 'not a message of this protocol',
  [CLOSE.UNAUTHENTICATED]: 'a valid access token or API key is required',
  [CLOSE.AUTH_TIMEOUT]: 'no auth message in time',
  [CLOSE.TOO_SLOW]: 'client too slow: send buffer full',
  [CLOSE.TOKEN_EXPIRED]: 'access token expired',
  [CLOSE.TOKEN_REVOKED]: 'access token or API key revoked',
  [CLOSE.NO_PONG]: 'no pong',
};

/** The subprotocol a browser offers beside its token (`bearer, <token>`) and the server answers with. */
export const BEARER_SUBPROTOCOL = 'bearer';

/**
 * The event types sent to clients (the rest — users, webhooks, keys, audit — are not): tasks,
 * scheduling, aircraft, compliance, directives, part stock and alerts.
 */
export const LIVE_EVENT_TYPES: ReadonlySet<string> = new Set([
  'task_created',
  'task_updated',
  'task_deleted',
  'task_state_changed',
  'program_task_generated',
  'task_rescheduled',
  'task_dependency_added',
  'task_dependency_removed',
  'aircraft_created',
  'aircraft_updated',
  'aircraft_deleted',
  'aircraft_status_updated',
  'aircraft_usage_recorded',
  'compliance_item_created',
  'compliance_item_updated',
  'compliance_item_deleted',
  'compliance_signed',
  'compliance_item_inspected',
  'directive_created',
  'directive_updated',
  'directive_deleted',
  'directive_fleet_scanned',
  'directive_compliance_recorded',
  'directive_status_changed',
  'directive_overdue',
  'part_stock_low',
  'part_out_of_stock',
  'part_stock_replenished',
  'alert_raised',
  'alert_level_changed',
  'alert_escalated',
  'alert_acknowledged',
  'alert_resolved',
]);

/** A message to a client. Events carry their stream id; control messages (`heartbeat`, …) `null`. */
export interface ServerMessage {
  id: string | null;
  type: string;
  occurred_at: string;
  data: Record<string, unknown>;
}

/** A message from a client: a token (first, or later to extend the session). */
export interface AuthMessage {
  type: 'auth';
  token: string;
  /** The last event id the client saw, to receive what it missed (only on the first `auth`). */
  last_id?: string;
}

const STREAM_ID = /^\d{1,20}(-\d{1,20})?$/;

/** Whether `id` looks like a stream id (`<ms>-<seq>` or `<ms>`). */
export const isStreamId = (id: unknown): id is string => typeof id === 'string' && STREAM_ID.test(id);

/** The client message in `text`, or undefined when it is not one of this protocol. */
export function parseClientMessage(text: string): AuthMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const message = value as Record<string, unknown>;
  if (message.type !== 'auth' || typeof message.token !== 'string' || message.token.length === 0)
    return undefined;
  if (message.last_id !== undefined && !isStreamId(message.last_id)) return undefined;
  return {
    type: 'auth',
    token: message.token,
    ...(message.last_id !== undefined ? { last_id: message.last_id } : {}),
  };
}

/** Orders two stream ids (`<ms>-<seq>`): negative, zero or positive. */
export function compareIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}
