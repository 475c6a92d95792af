/** The closed set of error kinds; each maps to exactly one HTTP and one gRPC status at the edge. */
export type ErrorKind =
  | 'auth'
  | 'forbidden'
  | 'validation'
  | 'not_found'
  | 'conflict'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

/** One problem with one field of a request, as shown in the error envelope's `details`. */
export interface FieldProblem {
  field: string;
  message: string;
  /** MECHANIC_NOT_QUALIFIED: what is missing — its kind, type id, name and reason. */
  kind?: string;
  type_id?: string | null;
  /** MECHANIC_NOT_QUALIFIED: the missing item's name; ORG_ID_REQUIRED: the organization's name. */
  name?: string;
  reason?: string;
  /** ORG_ID_REQUIRED: an organization the email and password both open. */
  org_id?: string;
}

/**
 * The one error type of AMSS. `reason` is a stable machine-readable code (`TASK_OVERLAP`,
 * `INVALID_TRANSITION`, ...); `message` is what a person reads and keeps the real cause.
 */
export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly reason: string,
    message: string,
    readonly details?: FieldProblem[],
    /** Extra response headers, such as `Retry-After` for rate limits and in-progress idempotency keys. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
  }

  static validation(message: string, details?: FieldProblem[], reason = 'VALIDATION_FAILED'): AppError {
    return new AppError('validation', reason, message, details);
  }

  static notFound(entity: string, reason = 'NOT_FOUND'): AppError {
    return new AppError('not_found', reason, `${entity} not found`);
  }

  static conflict(reason: string, message: string, details?: FieldProblem[]): AppError {
    return new AppError('conflict', reason, message, details);
  }

  static forbidden(message = 'your role does not allow this action', reason = 'FORBIDDEN'): AppError {
    return new AppError('forbidden', reason, message);
  }

  static unauthenticated(message = 'authentication required', reason = 'UNAUTHENTICATED'): AppError {
    return new AppError('auth', reason, message);
  }

  static rateLimited(retryAfterSeconds: number, message = 'too many requests'): AppError {
    return new AppError('rate_limited', 'RATE_LIMITED', message, undefined, {
      'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))),
    });
  }
}

export const isAppError = (error: unknown): error is AppError => error instanceof AppError;
