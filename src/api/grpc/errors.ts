import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { AppError, isAppError, type ErrorKind } from '../../app/errors.js';

/** The one table from error kind to gRPC status (the REST edge has its twin, HTTP_STATUS). */
export const GRPC_STATUS: Record<ErrorKind, status> = {
  auth: status.UNAUTHENTICATED,
  forbidden: status.PERMISSION_DENIED,
  validation: status.INVALID_ARGUMENT,
  not_found: status.NOT_FOUND,
  // A conflict is a refusal given the current state (an overlap, a transition, a sign-off).
  conflict: status.FAILED_PRECONDITION,
  rate_limited: status.RESOURCE_EXHAUSTED,
  unavailable: status.UNAVAILABLE,
  internal: status.INTERNAL,
};

/**
 * The gRPC error of a failure: an AppError keeps its message, with `amss-reason`, `amss-request-id`
 * and the field problems (`amss-details`, JSON) in the trailing metadata; anything else is
 * INTERNAL with no detail (the log has it).
 */
export function grpcErrorOf(error: unknown, requestId: string): ServiceError {
  const appError = isAppError(error)
    ? error
    : new AppError('internal', 'INTERNAL', 'internal error; the request id identifies it in the server log');
  const metadata = new Metadata();
  metadata.set('amss-reason', appError.reason);
  metadata.set('amss-request-id', requestId);
  if (appError.details?.length) metadata.set('amss-details', JSON.stringify(appError.details));
  const retryAfter = appError.headers?.['Retry-After'];
  if (retryAfter !== undefined) metadata.set('retry-after', retryAfter);
  return Object.assign(new Error(appError.message), {
    code: GRPC_STATUS[appError.kind],
    details: appError.message,
    metadata,
  });
}
