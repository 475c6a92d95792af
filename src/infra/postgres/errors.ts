import { AppError, type ErrorKind } from '../../app/errors.js';

/** The fields of a PostgreSQL error that matter here (node-postgres and PGlite's adapter both carry them). */
interface PgError {
  code: string;
  constraint?: string;
  detail?: string;
  message: string;
}

const isPgError = (error: unknown): error is PgError =>
  typeof error === 'object' &&
  error !== null &&
  typeof (error as { code?: unknown }).code === 'string' &&
  /^[0-9A-Z]{5}$/.test((error as { code: string }).code);

/** How a named constraint's violation reads to a client. */
export interface ConstraintRule {
  kind: ErrorKind;
  reason: string;
  message: string;
  /** The request field to name in `details`. */
  field?: string;
}

/**
 * Every constraint AMSS relies on, by name, with what its violation means to the caller.
 * A violation of a constraint not listed here still becomes a 4xx through the SQLSTATE rules below.
 */
const CONSTRAINTS: Record<string, ConstraintRule> = {};

/** Registers what a constraint's violation means (each bounded context registers its own). */
export function registerConstraints(rules: Record<string, ConstraintRule>): void {
  Object.assign(CONSTRAINTS, rules);
}

const NUL_CHARACTER: Omit<ConstraintRule, 'field'> = {
  kind: 'validation',
  reason: 'NUL_CHARACTER',
  message: 'a text value contains a NUL character (\\u0000), which cannot be stored',
};

/** SQLSTATE → error when no constraint rule applies. */
const SQLSTATES: Record<string, Omit<ConstraintRule, 'field'>> = {
  '23505': {
    kind: 'conflict',
    reason: 'DUPLICATE',
    message: 'a record with the same unique value already exists',
  },
  '23P01': { kind: 'conflict', reason: 'CONFLICT', message: 'the change conflicts with an existing record' },
  '23503': {
    kind: 'validation',
    reason: 'REFERENCE_NOT_FOUND',
    message: 'a referenced record does not exist in this organization',
  },
  '23502': { kind: 'validation', reason: 'MISSING_VALUE', message: 'a required value is missing' },
  '23514': { kind: 'validation', reason: 'CONSTRAINT_VIOLATION', message: 'a value breaks a data rule' },
  '22P02': { kind: 'validation', reason: 'INVALID_VALUE', message: 'a value has the wrong format' },
  '22007': { kind: 'validation', reason: 'INVALID_DATETIME', message: 'a date or time has the wrong format' },
  '22008': { kind: 'validation', reason: 'INVALID_DATETIME', message: 'a date or time is out of range' },
  '22003': { kind: 'validation', reason: 'OUT_OF_RANGE', message: 'a number is out of range' },
  '22001': { kind: 'validation', reason: 'VALUE_TOO_LONG', message: 'a value is too long' },
  '22023': { kind: 'validation', reason: 'INVALID_VALUE', message: 'a value is invalid' },
  // A NUL in text ("invalid byte sequence for encoding UTF8: 0x00") or in jsonb ("unsupported
  // Unicode escape sequence"): the edges refuse it first; this is the last line of defence.
  '22021': NUL_CHARACTER,
  '22P05': NUL_CHARACTER,
  AM001: {
    kind: 'conflict',
    reason: 'ALREADY_SIGNED_OFF',
    message: 'the compliance item is signed off and can no longer change',
  },
  AM002: { kind: 'conflict', reason: 'AUDIT_LOG_IMMUTABLE', message: 'audit log entries can never change' },
  AM003: {
    kind: 'conflict',
    reason: 'COMPLIANCE_RECORD_IMMUTABLE',
    message: 'directive compliance records are signed and can never change',
  },
  AM004: {
    kind: 'conflict',
    reason: 'SCHEDULE_HISTORY_IMMUTABLE',
    message: 'task schedule history can never change',
  },
  AM005: {
    kind: 'conflict',
    reason: 'ALERT_ALREADY_RESOLVED',
    message: 'the alert is resolved and can no longer change',
  },
  '40001': {
    kind: 'conflict',
    reason: 'CONCURRENT_UPDATE',
    message: 'the record was changed concurrently; retry the request',
  },
  '40P01': {
    kind: 'conflict',
    reason: 'CONCURRENT_UPDATE',
    message: 'the record was changed concurrently; retry the request',
  },
  '55P03': { kind: 'unavailable', reason: 'LOCK_TIMEOUT', message: 'the record is busy; retry shortly' },
  '57014': { kind: 'unavailable', reason: 'QUERY_CANCELLED', message: 'the database cancelled a slow query' },
};

/** Socket errors of a database that cannot be reached. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

/**
 * True when the database itself is away, not the statement wrong: a refused or broken
 * connection, a server shutting down or out of connections (SQLSTATE classes 08, 57P0x, 53300),
 * or node-postgres giving up on a connection.
 */
function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (UNREACHABLE.has(code) || /^(08...|57P0[1-3]|53300)$/.test(code)))
    return true;
  return (
    typeof message === 'string' &&
    /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/.test(
      message,
    )
  );
}

/**
 * Turns a PostgreSQL error into an AppError, so a constraint violation is never a 500 and an
 * unreachable database is a 503 the client may retry.
 * Anything that is not a PostgreSQL error (or not one we understand) is returned unchanged.
 */
export function translateDatabaseError(error: unknown): unknown {
  if (error instanceof AppError) return error;
  if (isDatabaseUnavailable(error)) {
    return new AppError(
      'unavailable',
      'DATABASE_UNAVAILABLE',
      'the database is unavailable; retry shortly',
      undefined,
      {
        'Retry-After': '5',
      },
    );
  }
  if (!isPgError(error)) return error;
  const rule: ConstraintRule | undefined =
    (error.constraint !== undefined ? CONSTRAINTS[error.constraint] : undefined) ?? SQLSTATES[error.code];
  if (!rule) return error;
  if (error.code === '23503' && error.detail?.includes('is still referenced')) {
    return new AppError('conflict', 'STILL_REFERENCED', 'the record is still referenced by other records');
  }
  const details = rule.field !== undefined ? [{ field: rule.field, message: rule.message }] : undefined;
  // P0001 and custom SQLSTATEs carry a message written for people; keep the real reason.
  const message = error.code.startsWith('AM') || error.code === 'P0001' ? error.message : rule.message;
  return new AppError(rule.kind, rule.reason, message, details);
}
