import { createHash } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { bearerToken, type RequestAuthenticator } from '../../app/authentication.js';
import { isAppError } from '../../app/errors.js';
import {
  beginIdempotentRequest,
  enterIdempotentAttempt,
  withIdempotency,
  type IdempotencyStore,
} from '../../app/idempotency.js';
import { systemActor } from '../../app/actor.js';
import { nulCharacterError, nulCharacterProblems } from '../../app/text-input.js';
import type { ServiceTokenVerifier } from '../../app/tokens.js';
import { grpcHandled, grpcHandlingSeconds } from '../../observability/metrics.js';
import { actorOf, metadataValue, type Interceptor } from './call.js';
import { GRPC_STATUS } from './errors.js';

const tracer = trace.getTracer('amss.grpc');

/** The gRPC status name of a call's outcome, e.g. `OK` or `NOT_FOUND`. */
function statusName(error: unknown): string {
  if (error === undefined) return 'OK';
  return status[isAppError(error) ? GRPC_STATUS[error.kind] : status.INTERNAL];
}

/** A server span per call, named after the method, with the request id and the outcome. */
export const tracing: Interceptor = (request, context, next) =>
  tracer.startActiveSpan(context.method.slice(1), { kind: SpanKind.SERVER }, async (span) => {
    span.setAttributes({
      'rpc.system': 'grpc',
      'rpc.method': context.method,
      'amss.request_id': context.requestId,
    });
    try {
      return await next();
    } catch (error) {
      span.setAttribute('rpc.grpc.status_code', statusName(error));
      if (!isAppError(error) || error.kind === 'internal') {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      }
      throw error;
    } finally {
      span.end();
    }
  });

/**
 * One log line per call (request id, org, user, method, status, duration), as the REST request
 * log writes, and `grpc_server_handled_total` / `grpc_server_handling_seconds`.
 */
export const observing: Interceptor = async (request, context, next) => {
  const started = performance.now();
  let failure: unknown;
  try {
    return await next();
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    const seconds = (performance.now() - started) / 1000;
    const [service = '', method = ''] = context.method.slice(1).split('/');
    const code = statusName(failure);
    grpcHandled.inc({ grpc_service: service, grpc_method: method, grpc_code: code });
    grpcHandlingSeconds.observe({ grpc_service: service, grpc_method: method }, seconds);
    const line = {
      request_id: context.requestId,
      org_id: context.actor?.kind === 'user' ? context.actor.orgId : undefined,
      user_id: context.actor?.kind === 'user' ? context.actor.userId : undefined,
      api_key_id: context.actor?.kind === 'user' ? context.actor.apiKey?.id : undefined,
      actor: context.actor?.kind === 'system' ? context.actor.name : undefined,
      method: context.method,
      status: code,
      duration_ms: Math.round(seconds * 100_000) / 100,
    };
    if (code === 'INTERNAL') context.logger.error({ ...line, err: failure }, 'grpc call failed');
    else context.logger.info(line, 'grpc call completed');
  }
};

/**
 * Every call needs `authorization: Bearer <token>` metadata: a user's access token (the services
 * check the roles), or, on the methods listed, a service token of an AMSS job, which acts as that
 * job's system actor (as the worker's program generator calls GenerateTasks for every org).
 */
export function authenticating(
  authenticator: RequestAuthenticator,
  services: { verifier: ServiceTokenVerifier; methods: ReadonlySet<string> },
): Interceptor {
  return async (request, context, next) => {
    const authorization = metadataValue(context.metadata, 'authorization');
    try {
      context.actor = await authenticator.authenticate(authorization);
    } catch (error) {
      const token = services.methods.has(context.method) ? bearerToken(authorization) : undefined;
      if (token === undefined) throw error;
      const claims = await services.verifier
        .verifyServiceToken(token)
        .catch(() => Promise.reject(error as Error));
      context.actor = systemActor(claims.job);
    }
    return next();
  };
}

/** A proto field name as the generated code spells it (`aircraftId`) back to the proto's (`aircraft_id`). */
const protoName = (key: string): string => key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/**
 * A NUL character (U+0000) in any text of the request message — a string field, a repeated one, a
 * nested message's, a Struct's keys and values — is INVALID_ARGUMENT NUL_CHARACTER naming each
 * field, before any handler runs: PostgreSQL cannot store it (the REST API's preValidation hook
 * is the twin of this).
 */
export const refusingNul: Interceptor = (request, _context, next) => {
  const error = nulCharacterError(nulCharacterProblems(request, '', protoName));
  if (error) return Promise.reject(error);
  return next();
};

/**
 * `idempotency-key` metadata on the methods listed makes a retry safe, as the REST header does:
 * the same key and request replays the first answer, a different request with the key is refused
 * (IDEMPOTENCY_KEY_REUSED), and a key still running is refused with `retry-after`. The key is
 * scoped to the user and the method; a failed first call frees it unless a change of it
 * committed. A retry whose first call committed changes but stored no answer (it died in
 * between) runs again with those changes answering their recorded results (see `mutate`).
 */
export function idempotent(store: IdempotencyStore, methods: ReadonlySet<string>): Interceptor {
  return async (request, context, next) => {
    const key = metadataValue(context.metadata, 'idempotency-key');
    const actor = actorOf(context);
    // Keys are scoped to a user; system actors (jobs) retry by design and carry none.
    if (key === undefined || !methods.has(context.method) || actor.kind !== 'user') return next();
    const scope = { orgId: actor.orgId, userId: actor.userId, key, endpoint: `grpc ${context.method}` };
    const hash = createHash('sha256').update(context.definition.requestSerialize(request)).digest('hex');
    const decision = await beginIdempotentRequest(store, scope, hash);
    const decode = (body: string) => context.definition.responseDeserialize(Buffer.from(body, 'base64'));
    if (decision.kind === 'replay') return decode(decision.response.body);
    const { attempt } = decision;
    let response: unknown;
    try {
      response = await withIdempotency(() => {
        enterIdempotentAttempt(attempt);
        return next();
      });
    } catch (error) {
      await store.release(attempt.key);
      throw error;
    }
    const ours = {
      statusCode: 200,
      body: context.definition.responseSerialize(response).toString('base64'),
      headers: {},
    };
    // Another attempt at the same call may have answered first: every attempt answers the same.
    const stored = await store.complete(attempt.key, ours);
    return stored === ours ? response : decode(stored.body);
  };
}
