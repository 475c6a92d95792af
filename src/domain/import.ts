import { maintenanceDatesProblem } from './aircraft.js';
import { isExpired } from './part.js';
import { programProblems } from './program.js';

/** What a CSV import creates or updates: aircraft, parts (definitions and their items) or maintenance programs. */
export const IMPORT_TYPES = ['aircraft', 'parts', 'programs'] as const;
export type ImportType = (typeof IMPORT_TYPES)[number];

/**
 * The life of an import: `pending` (uploaded, waiting for a worker), `validating` (rows being
 * staged), `applying` (valid rows being written), then `completed`, or `failed` when the file
 * itself is unusable or the import cannot be finished.
 */
export const IMPORT_STATUSES = ['pending', 'validating', 'applying', 'completed', 'failed'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

/** The statuses a worker still has work to do in (and resumes after a crash). */
export const UNFINISHED_IMPORT_STATUSES: readonly ImportStatus[] = ['pending', 'validating', 'applying'];

/** A staged row is `valid` or `invalid` after validation, and `applied` (or `invalid`) after applying. */
export const IMPORT_ROW_STATUSES = ['pending', 'valid', 'invalid', 'applied'] as const;
export type ImportRowStatus = (typeof IMPORT_ROW_STATUSES)[number];

/** What applying a row did: created the entity, changed it, or found it already as the row says. */
export const ROW_OUTCOMES = ['created', 'updated', 'unchanged'] as const;
export type RowOutcome = (typeof ROW_OUTCOMES)[number];

/** Counts of an import's rows, kept up to date while it runs. */
export interface ImportCounts {
  /** Rows staged so far. */
  total: number;
  /** Rows that passed validation and did not fail when applied. */
  valid: number;
  /** Rows that failed validation or failed when applied. */
  invalid: number;
  /** Rows written (created, updated or found unchanged). */
  applied: number;
}

/** One CSV import of an organization. */
export interface Import {
  id: string;
  orgId: string;
  type: ImportType;
  status: ImportStatus;
  fileName: string;
  filePath: string | null;
  createdBy: string;
  counts: ImportCounts;
  summary: Record<string, unknown>;
  error: string | null;
  lockedBy: string | null;
  lockedUntil: Date | null;
  attemptCount: number;
  startedAt: Date | null;
  finishedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** One data row of an import: its cells as read (by column name), its status and its problems. */
export interface ImportRow {
  id: string;
  orgId: string;
  importId: string;
  /** 1 is the first row after the header. */
  rowNumber: number;
  raw: Record<string, string>;
  status: ImportRowStatus;
  errors: string[];
  outcome: RowOutcome | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The columns a CSV of one type has: the required ones must be present, the others may be. */
export interface ImportColumns {
  required: readonly string[];
  optional: readonly string[];
}

/** What is wrong with a header row; every list empty means it is fine. */
export interface HeaderProblems {
  missing: string[];
  unknown: string[];
  duplicate: string[];
}

/** Checks a header row against the columns of its type (names compared after trimming). */
export function headerProblems(header: readonly string[], columns: ImportColumns): HeaderProblems {
  const names = header.map((name) => name.trim());
  const known = new Set([...columns.required, ...columns.optional]);
  const seen = new Set<string>();
  const duplicate = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) duplicate.add(name);
    seen.add(name);
  }
  return {
    missing: columns.required.filter((name) => !seen.has(name)),
    unknown: names.filter((name) => !known.has(name)).map((name) => (name === '' ? '(blank)' : name)),
    duplicate: [...duplicate],
  };
}

/** True when a header check found nothing wrong. */
export const headerIsValid = (problems: HeaderProblems): boolean =>
  problems.missing.length === 0 && problems.unknown.length === 0 && problems.duplicate.length === 0;

/** The header problems as one sentence for a person. */
export function describeHeaderProblems(problems: HeaderProblems, columns: ImportColumns): string {
  const parts: string[] = [];
  if (problems.missing.length > 0) parts.push(`missing column(s): ${problems.missing.join(', ')}`);
  if (problems.unknown.length > 0) parts.push(`unknown column(s): ${problems.unknown.join(', ')}`);
  if (problems.duplicate.length > 0) parts.push(`duplicate column(s): ${problems.duplicate.join(', ')}`);
  const expected = [...columns.required, ...columns.optional.map((name) => `${name}?`)].join(', ');
  return `the header row is wrong: ${parts.join('; ')} (expected: ${expected})`;
}

/**
 * A data row as staged: each header column with its cell. A row whose number of cells differs
 * from the header's is staged too (its cells by position), with the mismatch as its problem.
 */
export function rowCells(
  header: readonly string[],
  cells: readonly string[],
): { raw: Record<string, string>; problem?: string } {
  const raw: Record<string, string> = {};
  header.forEach((name, index) => {
    raw[name.trim()] = cells[index] ?? '';
  });
  if (cells.length === header.length) return { raw };
  cells.slice(header.length).forEach((cell, index) => {
    raw[`_extra_${index + 1}`] = cell;
  });
  return {
    raw,
    problem: `the row has ${cells.length} field(s) but the header has ${header.length}`,
  };
}

/**
 * The domain rules of a row whose fields already have the right types and formats, checked before
 * anything is written: the same rule functions the REST endpoints apply (next_due after
 * last_maintenance, blank program names, last_performed not in the future, expiry_date in the
 * future). Rules that need the database (taken names, existing entities) are met when the row is
 * applied. One message per problem.
 */
export function rowRuleProblems(type: ImportType, row: Record<string, unknown>, now: Date): string[] {
  const text = (name: string) => (typeof row[name] === 'string' ? row[name] : undefined);
  const date = (name: string) => {
    const value = text(name);
    return value === undefined ? null : new Date(value);
  };
  const problems: string[] = [];
  switch (type) {
    case 'aircraft': {
      const dates = maintenanceDatesProblem(date('last_maintenance'), date('next_due'));
      if (dates !== undefined) problems.push(`next_due: ${dates}`);
      break;
    }
    case 'programs':
      for (const problem of programProblems(
        { name: text('name'), lastPerformed: date('last_performed') ?? undefined },
        now,
      )) {
        problems.push(`${problem.field}: ${problem.message}`);
      }
      break;
    case 'parts': {
      const expiryDate = date('expiry_date');
      if (expiryDate !== null && isExpired({ expiryDate }, now)) {
        problems.push('expiry_date: must be in the future');
      }
      if (text('serial_number') === undefined) {
        for (const name of ['status', 'expiry_date']) {
          if (row[name] !== undefined)
            problems.push(`${name}: needs a serial_number (it describes a part item)`);
        }
      }
      break;
    }
  }
  return problems;
}

/** The outcome of a row that touched several entities: created beats updated beats unchanged. */
export function combinedOutcome(outcomes: readonly RowOutcome[]): RowOutcome {
  if (outcomes.includes('created')) return 'created';
  if (outcomes.includes('updated')) return 'updated';
  return 'unchanged';
}

/** How far a running import has come: rows processed of the rows known (unknown while validating). */
export interface ImportProgress {
  phase: ImportStatus;
  rowsProcessed: number;
  rowsTotal: number | null;
  /** 0–100, or null while the total is not known yet. */
  percent: number | null;
}

/**
 * The progress of an import: while validating, the rows staged so far (the total is not known
 * until the file is read); while applying, the rows settled (applied or invalid) of all rows.
 */
export function importProgress(imp: Pick<Import, 'status' | 'counts'>): ImportProgress {
  const { total, applied, invalid } = imp.counts;
  switch (imp.status) {
    case 'pending':
      return { phase: imp.status, rowsProcessed: 0, rowsTotal: null, percent: null };
    case 'validating':
      return { phase: imp.status, rowsProcessed: total, rowsTotal: null, percent: null };
    default: {
      const processed = imp.status === 'applying' ? applied + invalid : total;
      return {
        phase: imp.status,
        rowsProcessed: processed,
        rowsTotal: total,
        percent: total === 0 ? 100 : Math.floor((processed * 100) / total),
      };
    }
  }
}
