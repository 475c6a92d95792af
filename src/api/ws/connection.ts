import type { WebSocket } from 'ws';
import type { UserActor } from '../../app/actor.js';
import { CLOSE, CLOSE_REASON, compareIds, type CloseCode, type ServerMessage } from './protocol.js';

/** What a connection needs of its hub. */
export interface ConnectionLimits {
  /** Unsent bytes past which a client is dropped (4429). */
  maxBufferedBytes: number;
  now: () => number;
}

/**
 * One client of the live channel: who it is (once authenticated), the token that says so and when
 * that expires, what it has been sent, and the events held back while it catches up on a resume.
 */
export class LiveConnection {
  actor: UserActor | undefined;
  token: string | undefined;
  /** When the token expires (ms); undefined for an API key, which does not. */
  expiresAt: number | undefined;
  /** The id of the newest event sent: what the client resumes from. */
  lastSentId: string | undefined;
  /** Live events queued while the missed ones are sent (in order after them). */
  held: { id: string; json: string | Buffer }[] | undefined;
  /** A ping went out and no pong came back yet. */
  awaitingPong = false;
  closed = false;
  private expiryTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly socket: WebSocket,
    private readonly limits: ConnectionLimits,
    private readonly onClosed: (connection: LiveConnection) => void,
  ) {
    socket.on('close', () => this.forget());
    socket.on('pong', () => (this.awaitingPong = false));
  }

  /** Sends a message, or drops a client whose unsent messages passed the bound. */
  send(message: ServerMessage | string | Buffer, id?: string): void {
    if (this.closed || this.socket.readyState !== this.socket.OPEN) return;
    if (this.socket.bufferedAmount > this.limits.maxBufferedBytes) {
      this.close(CLOSE.TOO_SLOW);
      return;
    }
    const data = typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message);
    this.socket.send(data, { binary: false });
    if (id !== undefined) this.lastSentId = id;
  }

  /** Sends an event now, or holds it while the connection catches up. */
  deliver(id: string, json: string | Buffer): void {
    if (this.held) this.held.push({ id, json });
    // Already sent among the missed events of a resume.
    else if (this.lastSentId !== undefined && compareIds(id, this.lastSentId) <= 0) return;
    else this.send(json, id);
  }

  /** Sets who the connection speaks for and closes it (4001) when the token expires. */
  authenticated(actor: UserActor, token: string, expiresAt: number | undefined): void {
    this.actor = actor;
    this.token = token;
    this.expiresAt = expiresAt;
    clearTimeout(this.expiryTimer);
    if (expiresAt === undefined) return;
    const check = () => {
      if (this.expiresAt === undefined || this.closed) return;
      const left = this.expiresAt - this.limits.now();
      if (left <= 0) this.close(CLOSE.TOKEN_EXPIRED);
      // Timers fire at most 2^31-1 ms ahead; a later expiry is checked again then.
      else this.expiryTimer = setTimeout(check, Math.min(left, 2 ** 31 - 1));
    };
    check();
  }

  close(code: CloseCode): void {
    if (this.closed) return;
    this.forget();
    this.socket.close(code, CLOSE_REASON[code]);
  }

  private forget(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.expiryTimer);
    this.onClosed(this);
  }
}
