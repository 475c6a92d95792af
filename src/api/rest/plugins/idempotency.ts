import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import stringify from 'safe-stable-stringify';
import { AppError } from '../../../app/errors.js';
import {
  beginIdempotentRequest,
  enterIdempotentAttempt,
  withIdempotency,
  type IdempotencyScope,
  type IdempotencyStore,
  type IdempotentAttempt,
  type StoredResponse,
} from '../../../app/idempotency.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The body is an upload the handler streams itself, so the key cannot be checked before the
     * handler runs: the handler reads the body, then calls `request.beginIdempotency` with its digest.
     */
    idempotencyAfterBody?: boolean;
    /**
     * Top-level body fields left out of the request fingerprint: secrets such as a signature's
     * password, which an unsalted hash over an otherwise known body would store as a guessable copy.
     */
    idempotencyFingerprintOmits?: readonly string[];
  }
  interface FastifyRequest {
    /**
     * Set while this request runs as an attempt at its Idempotency-Key (the first, or a retry
     * recovering a first attempt that crashed after committing); its response gets stored.
     */
    idempotentAttempt?: IdempotentAttempt;
    /**
     * On `idempotencyAfterBody` routes, when the request has an Idempotency-Key: begins it for the
     * body the handler has read (`bodyDigest` identifies it). Resolves to the stored response to
     * replay (send it with `sendReplay`), or undefined to go on; throws the 409s. Unset otherwise.
     */
    beginIdempotency?: (bodyDigest: string) => Promise<StoredResponse | undefined>;
  }
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const VALID_KEY = /^[\x21-\x7e]{1,255}$/;
/** Response headers that belong to the stored response and are replayed with it. */
const REPLAYED_HEADERS = ['content-type', 'location'];

/**
 * SHA-256 of method, path with query, and the body with its keys sorted (so key order does not
 * matter) — or, for a body the handler streams, the digest it computed of it.
 */
export function requestHash(request: FastifyRequest, bodyDigest?: string): string {
  return createHash('sha256')
    .update(`${request.method}\n${request.url}\n${bodyDigest ?? stringify(fingerprinted(request))}`)
    .digest('hex');
}

/** The body as the fingerprint sees it: without the fields the route keeps out of it. */
function fingerprinted(request: FastifyRequest): unknown {
  const body = request.body ?? null;
  const omits = request.routeOptions.config.idempotencyFingerprintOmits;
  if (omits === undefined || typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  return Object.fromEntries(Object.entries(body).filter(([field]) => !omits.includes(field)));
}

/**
 * Responses that are not stored, so the same key may be retried: server errors, and a refused
 * re-authentication or its rate limit (a signature's wrong password wrote nothing; storing the
 * 401 would pin it to the key, storing the 429 would outlive its Retry-After).
 */
const unstored = (status: number): boolean => status >= 500 || status === 401 || status === 429;

/** Sends a stored response again, byte for byte, marked `Idempotent-Replayed: true`. */
export function sendReplay(reply: FastifyReply, { statusCode, body, headers }: StoredResponse): FastifyReply {
  return reply.code(statusCode).headers(headers).header('Idempotent-Replayed', 'true').send(body);
}

/**
 * `Idempotency-Key` on any authenticated mutation: the first request runs and its response is
 * stored; a repeat with the same request gets that response back byte for byte with
 * `Idempotent-Replayed: true`; the same key with a different request, or while the first is still
 * running, is a 409. Server errors (and a refused re-authentication, 401/429) are not stored, so the
 * client can retry them with the same key.
 *
 * The response is stored after it is built, apart from the changes the request made; so each
 * change (`mutate`) also records its result in its own transaction. A repeat that finds the
 * first attempt's changes committed but no response stored (the process died in between, or is
 * just finishing) runs the handler again with those changes answering their recorded results,
 * and so answers what the first attempt would have, marked `Idempotent-Replayed: true`. Whichever
 * attempt stores its response first is the one every later repeat gets.
 */
export function registerIdempotency(app: FastifyInstance, store: IdempotencyStore): void {
  app.addHook('preHandler', async (request, reply) => {
    const header = request.headers['idempotency-key'];
    if (header === undefined || !MUTATING.has(request.method) || !request.actor) return;
    const key = Array.isArray(header) ? header[0] : header;
    if (key === undefined || !VALID_KEY.test(key)) {
      throw AppError.validation('Idempotency-Key must be 1 to 255 visible ASCII characters', [
        { field: 'headers.idempotency-key', message: 'must be 1 to 255 visible ASCII characters' },
      ]);
    }
    const scope: IdempotencyScope = {
      orgId: request.actor.orgId,
      userId: request.actor.userId,
      key,
      endpoint: `${request.method} ${request.url.split('?')[0]}`,
    };
    if (request.routeOptions.config.idempotencyAfterBody) {
      // Called from the handler, inside the slot the next hook opens.
      request.beginIdempotency = async (bodyDigest) => {
        const decision = await beginIdempotentRequest(store, scope, requestHash(request, bodyDigest));
        if (decision.kind === 'replay') return decision.response;
        request.idempotentAttempt = decision.attempt;
        enterIdempotentAttempt(decision.attempt);
        return undefined;
      };
      return;
    }
    const decision = await beginIdempotentRequest(store, scope, requestHash(request));
    if (decision.kind === 'replay') return sendReplay(reply, decision.response);
    request.idempotentAttempt = decision.attempt;
  });

  // `mutate` finds the request's attempt through AsyncLocalStorage, so the handler runs inside
  // the attempt's slot. A callback hook: what `done` starts (the handler) inherits the slot,
  // which an async hook's resolution would not pass on.
  app.addHook('preHandler', (request, _reply, done) => {
    const attempt = request.idempotentAttempt;
    if (attempt === undefined && request.beginIdempotency === undefined) {
      done();
      return;
    }
    withIdempotency(() => {
      if (attempt) enterIdempotentAttempt(attempt);
      done();
    });
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const attempt = request.idempotentAttempt;
    if (!attempt) return payload;
    request.idempotentAttempt = undefined;
    try {
      const body = unstored(reply.statusCode) ? undefined : storableBody(payload);
      if (body === undefined) {
        await store.release(attempt.key);
        return payload;
      }
      const headers: Record<string, string> = {};
      for (const name of REPLAYED_HEADERS) {
        const value = reply.getHeader(name);
        if (value !== undefined) headers[name] = String(value);
      }
      const ours = { statusCode: reply.statusCode, body, headers };
      const stored = await store.complete(attempt.key, ours);
      if (stored !== ours) {
        // Another attempt at this request answered first: every attempt gives the same answer.
        reply.code(stored.statusCode).headers(stored.headers).header('Idempotent-Replayed', 'true');
        return stored.body;
      }
      // A recovering attempt answers for changes the first attempt made.
      if (attempt.recovering) reply.header('Idempotent-Replayed', 'true');
    } catch (error) {
      // The response itself succeeded; failing it now would make the client retry a done request.
      request.log.error({ err: error }, 'could not store the idempotent response');
    }
    return payload;
  });
}

/** The response body as text, or undefined for a stream (which is never stored). */
function storableBody(payload: unknown): string | undefined {
  if (payload === null || payload === undefined) return '';
  if (typeof payload === 'string') return payload;
  if (Buffer.isBuffer(payload)) return payload.toString('utf8');
  return undefined;
}
