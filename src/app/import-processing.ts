import { rowCells, type Import, type ImportStatus, type RowOutcome } from '../domain/import.js';
import { AppError, type ErrorKind } from './errors.js';
import {
  IMPORT_PROCESSOR_ACTOR,
  importEffects,
  type ImportBatchRunner,
  type ImportRowChecker,
  type SettledRow,
  type StagedRow,
} from './imports.js';
import {
  applyProgramBatch,
  applyRow,
  insertAircraftBatch,
  planAircraftBatch,
  rowServices,
  updateAircraftBatch,
  type BulkOutcome,
  type CheckedRow,
} from './import-rows.js';
import { applyPartsBatch } from './import-parts.js';
import { mutate, type MutationContext } from './mutation.js';
import type { Repositories, UnitOfWork } from './ports.js';

/** Thrown when a worker finds that its lease on an import has passed to another worker: it stops at once. */
export class ImportLeaseLost extends Error {
  constructor(importId: string) {
    super(`the lease on import ${importId} has passed to another worker`);
    this.name = 'ImportLeaseLost';
  }
}

/** A CSV record as the parser read it: its 1-based number after the header, and its cells. */
export interface CsvRecord {
  rowNumber: number;
  cells: string[];
}

/** What the processing needs; `now` is the clock (tests move it to expire leases). */
export interface ImportProcessingDeps {
  uow: UnitOfWork;
  batches: ImportBatchRunner;
  rows: ImportRowChecker;
  workerId: string;
  now?: () => Date;
  /** How long a claim lasts without being renewed; every batch renews it. */
  leaseMs?: number;
  /** Rows applied per transaction. */
  applyBatchSize?: number;
  /** Claims of one import before it is failed (a file that keeps crashing workers). */
  maxAttempts?: number;
}

export const DEFAULT_IMPORT_LEASE_MS = 60_000;
export const DEFAULT_APPLY_BATCH_SIZE = 1_000;
export const DEFAULT_MAX_IMPORT_ATTEMPTS = 5;

/** Row failures that belong to the row (bad data, taken names, missing references); anything else stops the batch. */
const ROW_ERROR_KINDS: ReadonlySet<ErrorKind> = new Set(['validation', 'conflict', 'not_found', 'forbidden']);

/**
 * The database side of the import processor: claiming imports under a lease, staging validated
 * rows, applying valid rows batch by batch, and finishing. Every step checks the lease inside its
 * own transaction, so a worker whose lease passed to another one never writes again, and every
 * step can be repeated after a crash: staged rows are skipped, applied rows are never re-read.
 */
export class ImportProcessing {
  private readonly now: () => Date;
  readonly leaseMs: number;
  private readonly applyBatchSize: number;
  readonly maxAttempts: number;

  constructor(private readonly deps: ImportProcessingDeps) {
    this.now = deps.now ?? (() => new Date());
    this.leaseMs = deps.leaseMs ?? DEFAULT_IMPORT_LEASE_MS;
    this.applyBatchSize = deps.applyBatchSize ?? DEFAULT_APPLY_BATCH_SIZE;
    this.maxAttempts = deps.maxAttempts ?? DEFAULT_MAX_IMPORT_ATTEMPTS;
  }

  get workerId(): string {
    return this.deps.workerId;
  }

  /** Claims this import, or the oldest claimable one; undefined when another worker holds it or none waits. */
  claim(importId?: string): Promise<Import | undefined> {
    return this.deps.uow.repos.imports.claim({
      workerId: this.deps.workerId,
      now: this.now(),
      leaseMs: this.leaseMs,
      importId,
    });
  }

  /** Moves a claimed import to `validating` or `applying`. */
  advance(imp: Import, status: Extract<ImportStatus, 'validating' | 'applying'>): Promise<Import> {
    return this.underLease(imp, (tx) => tx.imports.setStatus(imp.orgId, imp.id, status));
  }

  /** The last row staged before (0 on a first run): a resumed validation starts after it. */
  lastStagedRow(imp: Import): Promise<number> {
    return this.deps.uow.repos.imports.lastStagedRow(imp.orgId, imp.id);
  }

  /** Checks records against the import's type and stages them, valid or invalid with their errors. */
  async stage(imp: Import, header: readonly string[], records: readonly CsvRecord[]): Promise<void> {
    const now = this.now();
    const rows = records.map((record): StagedRow => {
      const { raw, problem } = rowCells(header, record.cells);
      const errors = problem ? [problem] : this.deps.rows.check(imp.type, raw, now).problems;
      return { rowNumber: record.rowNumber, raw, errors };
    });
    await this.underLease(imp, (tx) => tx.imports.stageRows(imp.orgId, imp.id, rows));
  }

  /**
   * Applies the next batch of valid rows in one transaction. Rows that can go together are applied
   * with a few set-based statements (see `applyAircraftInBulk`, `applyProgramBatch`,
   * `applyPartsBatch`); every other row goes through the services, in a savepoint of its own so
   * a refused row becomes invalid with its error while the others commit. Every row gets the
   * entity, audit row and events its REST request would. Returns how many rows it settled (0:
   * nothing left).
   */
  async applyBatch(imp: Import): Promise<number> {
    const now = this.now();
    return this.deps.batches.run(async ({ unit }) => {
      const tx = unit.repos;
      if (!(await tx.imports.holdLease(imp.orgId, imp.id, this.deps.workerId, now, this.leaseMs))) {
        throw new ImportLeaseLost(imp.id);
      }
      const rows = await tx.imports.pendingValidRows(imp.orgId, imp.id, this.applyBatchSize);
      const settled: SettledRow[] = [];
      const checked: CheckedRow[] = [];
      for (const row of rows) {
        // Checked again: a rule may depend on the time (an expiry that has passed since).
        const { value, problems } = this.deps.rows.check(imp.type, row.raw, now);
        if (problems.length > 0)
          settled.push({
            id: row.id,
            rowNumber: row.rowNumber,
            status: 'invalid',
            errors: problems,
            outcome: null,
          });
        else checked.push({ id: row.id, rowNumber: row.rowNumber, value });
      }
      let oneByOne: CheckedRow[];
      if (imp.type === 'aircraft') {
        const bulk = await applyAircraftInBulk(unit, imp, checked);
        settled.push(...bulk.settled);
        oneByOne = bulk.oneByOne;
      } else {
        const applyTogether = imp.type === 'programs' ? applyProgramBatch : applyPartsBatch;
        const bulk = await inBulk(unit, checked, (repos) =>
          applyTogether(repos, imp.orgId, checked, (row) => rowContext(imp, row), now),
        );
        settled.push(...bulk.settled);
        oneByOne = bulk.oneByOne;
      }
      const services = rowServices(unit, this.now);
      for (const row of oneByOne) {
        try {
          const outcome = await unit.transaction((repos) =>
            applyRow(imp.type, row.value, { orgId: imp.orgId, ctx: rowContext(imp, row), services, repos }),
          );
          settled.push(applied(row, outcome));
        } catch (error) {
          if (!(error instanceof AppError) || !ROW_ERROR_KINDS.has(error.kind)) throw error;
          settled.push(refused(row, error));
        }
      }
      await tx.imports.settleRows(imp.orgId, imp.id, settled);
      return rows.length;
    });
  }

  /** Finishes an import that has no valid rows left: completed, with its summary (audited, `import_completed`). */
  complete(imp: Import): Promise<Import> {
    return this.finish(imp, 'completed', null);
  }

  /** Fails an import with a message for its owner (audited, `import_failed`); its staged rows stay readable. */
  fail(imp: Import, error: string): Promise<Import> {
    return this.finish(imp, 'failed', error);
  }

  /** Hands the import back (a worker shutting down) so another worker continues at once. */
  release(imp: Import): Promise<void> {
    return this.deps.uow.repos.imports.release(imp.orgId, imp.id, this.deps.workerId);
  }

  private async finish(imp: Import, status: 'completed' | 'failed', error: string | null): Promise<Import> {
    const at = this.now();
    return mutate(this.deps.uow, { actor: IMPORT_PROCESSOR_ACTOR }, async (tx) => {
      const before = await this.holdLease(tx, imp);
      const counts = await tx.imports.rowCounts(imp.orgId, imp.id);
      const finished = await tx.imports.finish(imp.orgId, imp.id, {
        status,
        error,
        summary: summaryOf(counts),
        at,
      });
      const type = status === 'completed' ? 'import_completed' : 'import_failed';
      return { result: finished, ...importEffects(finished, 'state_change', type, before) };
    });
  }

  private underLease<T>(imp: Import, work: (tx: Repositories) => Promise<T>): Promise<T> {
    return this.deps.uow.transaction(async (tx) => {
      await this.holdLease(tx, imp);
      return work(tx);
    });
  }

  private async holdLease(tx: Repositories, imp: Import): Promise<Import> {
    const held = await tx.imports.holdLease(imp.orgId, imp.id, this.deps.workerId, this.now(), this.leaseMs);
    if (!held) throw new ImportLeaseLost(imp.id);
    return held;
  }
}

/** The summary of a finished import: its row counts by status and what the applied rows did. */
function summaryOf(counts: Record<string, number>): Record<string, number> {
  const of = (key: string) => counts[key] ?? 0;
  const invalid = of('invalid');
  const applied = of('applied');
  return {
    total: of('valid') + invalid + applied + of('pending'),
    applied,
    rejected: invalid,
    created: of('created'),
    updated: of('updated'),
    unchanged: of('unchanged'),
  };
}

const applied = (row: CheckedRow, outcome: RowOutcome): SettledRow => ({
  id: row.id,
  rowNumber: row.rowNumber,
  status: 'applied',
  errors: [],
  outcome,
});

/**
 * The aircraft rows of a batch that can be applied together (see `planAircraftBatch`): new tail
 * numbers inserted in one go, row-only changes written in another, each in a savepoint of its
 * own. Returns what they settled, and the rows left to go one by one — in row order, so a tail
 * number repeated in the batch ends as its last row says.
 */
async function applyAircraftInBulk(
  unit: UnitOfWork,
  imp: Import,
  checked: CheckedRow[],
): Promise<{ settled: SettledRow[]; oneByOne: CheckedRow[] }> {
  const plan = await planAircraftBatch(unit.repos, imp.orgId, checked);
  const context = (row: CheckedRow) => rowContext(imp, row);
  const settled = [
    ...plan.refused.map(({ row, error }) => refused(row, error)),
    ...plan.unchanged.map((row) => applied(row, 'unchanged')),
  ];
  const oneByOne = [...plan.oneByOne];
  if (plan.inserts.length > 0) {
    const inserts = await inBulk(unit, plan.inserts, async (repos) => {
      await insertAircraftBatch(repos, imp.orgId, plan.inserts, context);
      return {
        applied: plan.inserts.map((row) => ({ row, outcome: 'created' as const })),
        refused: [],
        oneByOne: [],
      };
    });
    settled.push(...inserts.settled);
    oneByOne.push(...inserts.oneByOne);
  }
  if (plan.updates.length > 0) {
    const updates = await inBulk(
      unit,
      plan.updates.map(({ row }) => row),
      (repos) => updateAircraftBatch(repos, imp.orgId, plan.updates, context),
    );
    settled.push(...updates.settled);
    oneByOne.push(...updates.oneByOne);
  }
  return { settled, oneByOne: oneByOne.sort((a, b) => a.rowNumber - b.rowNumber) };
}

/**
 * Applies `rows` together with `apply`, in a savepoint: what it settled, and the rows it left to
 * go one by one (in row order). A row the database refuses (a tail number taken meanwhile, a
 * deadlock with a concurrent change) spoils the statement that carried it, so then all of `rows`
 * go one by one instead, each with its own outcome or error. Any other failure stops the batch.
 */
async function inBulk(
  unit: UnitOfWork,
  rows: CheckedRow[],
  apply: (repos: Repositories) => Promise<BulkOutcome>,
): Promise<{ settled: SettledRow[]; oneByOne: CheckedRow[] }> {
  try {
    const outcome = await unit.transaction(apply);
    return {
      settled: [
        ...outcome.applied.map(({ row, outcome: what }) => applied(row, what)),
        ...outcome.refused.map(({ row, error }) => refused(row, error)),
      ],
      oneByOne: outcome.oneByOne.sort((a, b) => a.rowNumber - b.rowNumber),
    };
  } catch (error) {
    if (!(error instanceof AppError) || !ROW_ERROR_KINDS.has(error.kind)) throw error;
    return { settled: [], oneByOne: rows };
  }
}

const refused = (row: CheckedRow, error: AppError): SettledRow => ({
  id: row.id,
  rowNumber: row.rowNumber,
  status: 'invalid',
  errors: [describeRefusal(error)],
  outcome: null,
});

/** Who writes a row, and the request id that leads from its audit rows back to the import and the row. */
const rowContext = (imp: Import, row: CheckedRow): MutationContext => ({
  actor: IMPORT_PROCESSOR_ACTOR,
  request: { requestId: `import:${imp.id}:${row.rowNumber}` },
});

/** A refused row's error as one line: the reason, the message and the fields named. */
function describeRefusal(error: AppError): string {
  const fields = (error.details ?? []).map((d) => `${d.field.replace(/^body\./, '')} ${d.message}`);
  return `${error.reason}: ${error.message}${fields.length > 0 ? ` (${fields.join('; ')})` : ''}`;
}
