import { Metadata, type handleUnaryCall, type ServerUnaryCall } from '@grpc/grpc-js';
import type { Actor } from '../../app/actor.js';
import { AppError } from '../../app/errors.js';
import type { MutationContext } from '../../app/mutation.js';
import type { Logger } from '../../observability/logger.js';
import { requestIdFrom } from '../rest/plugins/request-id.js';
import { grpcErrorOf } from './errors.js';

/** A unary method of a generated service definition (its path and codecs). */
export interface MethodDefinition<Req, Res> {
  path: string;
  requestSerialize(value: Req): Buffer;
  responseSerialize(value: Res): Buffer;
  responseDeserialize(value: Buffer): Res;
}

/** What every interceptor and handler of one call sees. */
export interface CallContext {
  /** The full method path, e.g. `/amss.v1.TaskService/CreateTask`. */
  method: string;
  requestId: string;
  metadata: Metadata;
  peer: string;
  logger: Logger;
  /** Who calls: a signed-in user, or an AMSS job with a service token; set by the auth interceptor. */
  actor?: Actor;
  /** Codecs of the method, for interceptors that store or hash messages. */
  definition: MethodDefinition<unknown, unknown>;
}

/** Wraps the rest of the call (the next interceptors and the handler), as grpc-go's unary interceptors do. */
export type Interceptor = (
  request: unknown,
  context: CallContext,
  next: () => Promise<unknown>,
) => Promise<unknown>;

export interface CallOptions {
  logger: Logger;
  /** Outermost first. */
  interceptors: Interceptor[];
  /** Turns adapter errors (PostgreSQL's) into AppErrors before they are answered. */
  translateError: (error: unknown) => unknown;
}

/** The first value of a metadata key, as text. */
export function metadataValue(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return value === undefined ? undefined : value.toString();
}

/** Who calls (the auth interceptor ran first). */
export function actorOf(context: CallContext): Actor {
  if (!context.actor) throw AppError.unauthenticated();
  return context.actor;
}

/** Who acts and through which call, for the audit rows a mutation writes. */
export const mutationContext = (context: CallContext): MutationContext => ({
  actor: actorOf(context),
  request: {
    requestId: context.requestId,
    ip: context.peer,
    userAgent: metadataValue(context.metadata, 'user-agent'),
  },
});

/**
 * A grpc-js unary handler running `handler` inside the interceptors: the call gets a request id
 * (the caller's `x-request-id` when sane), echoed in the response metadata; a failure becomes the
 * gRPC status of its error kind.
 */
export function unary<Req, Res>(
  definition: MethodDefinition<Req, Res>,
  handler: (request: Req, context: CallContext) => Promise<Res>,
  options: CallOptions,
): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback) => {
    const requestId = requestIdFrom(metadataValue(call.metadata, 'x-request-id'));
    const context: CallContext = {
      method: definition.path,
      requestId,
      metadata: call.metadata,
      peer: call.getPeer(),
      logger: options.logger,
      definition,
    };
    const responseMetadata = new Metadata();
    responseMetadata.set('x-request-id', requestId);
    call.sendMetadata(responseMetadata);

    const run = options.interceptors.reduceRight<() => Promise<unknown>>(
      (next, interceptor) => () => interceptor(call.request, context, next),
      // Innermost: adapter errors become AppErrors here, so every interceptor sees the real kind.
      async () => {
        try {
          return await handler(call.request, context);
        } catch (error) {
          throw options.translateError(error);
        }
      },
    );
    run().then(
      (response) => callback(null, response as Res),
      (error: unknown) => callback(grpcErrorOf(error, requestId)),
    );
  };
}
