import type { Aircraft } from '../domain/aircraft.js';
import type { DomainEvent, EventType } from '../domain/events.js';
import type { PartDefinition, PartItem } from '../domain/part.js';
import {
  importProgress,
  type Import,
  type ImportColumns,
  type ImportRow,
  type ImportRowStatus,
  type ImportStatus,
  type ImportType,
  type RowOutcome,
} from '../domain/import.js';
import { importAction } from '../domain/rbac.js';
import { authorize, resolveOrgScope, type OrgScope } from './access.js';
import type { NewAircraft } from './aircraft.js';
import { systemActor, type Actor, type UserActor } from './actor.js';
import type { AuditAction, AuditEntry } from './audit.js';
import { AppError } from './errors.js';
import { entityEffects, mutate, type MutationContext } from './mutation.js';
import { pageOf, type Page, type PageOf } from './pagination.js';
import type { UnitOfWork } from './ports.js';

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------

/** An import as the API, audit rows and events show it. */
export type ImportView = {
  id: string;
  org_id: string;
  type: ImportType;
  status: ImportStatus;
  file_name: string;
  created_by: string;
  total_rows: number;
  valid_rows: number;
  invalid_rows: number;
  applied_rows: number;
  summary: Record<string, unknown>;
  error: string | null;
  progress: {
    phase: ImportStatus;
    rows_processed: number;
    rows_total: number | null;
    percent: number | null;
  };
  attempt_count: number;
  started_at: string | null;
  finished_at: string | null;
  created_at: string;
  updated_at: string;
};

/** The view of an import (the stored file's path and the worker's lease stay internal). */
export function importView(imp: Import): ImportView {
  const progress = importProgress(imp);
  return {
    id: imp.id,
    org_id: imp.orgId,
    type: imp.type,
    status: imp.status,
    file_name: imp.fileName,
    created_by: imp.createdBy,
    total_rows: imp.counts.total,
    valid_rows: imp.counts.valid,
    invalid_rows: imp.counts.invalid,
    applied_rows: imp.counts.applied,
    summary: imp.summary,
    error: imp.error,
    progress: {
      phase: progress.phase,
      rows_processed: progress.rowsProcessed,
      rows_total: progress.rowsTotal,
      percent: progress.percent,
    },
    attempt_count: imp.attemptCount,
    started_at: imp.startedAt?.toISOString() ?? null,
    finished_at: imp.finishedAt?.toISOString() ?? null,
    created_at: imp.createdAt.toISOString(),
    updated_at: imp.updatedAt.toISOString(),
  };
}

/** A staged row as the API shows it. */
export type ImportRowView = {
  id: string;
  import_id: string;
  row_number: number;
  raw: Record<string, string>;
  status: ImportRowStatus;
  errors: string[];
  outcome: RowOutcome | null;
  created_at: string;
  updated_at: string;
};

export const importRowView = (row: ImportRow): ImportRowView => ({
  id: row.id,
  import_id: row.importId,
  row_number: row.rowNumber,
  raw: row.raw,
  status: row.status,
  errors: row.errors,
  outcome: row.outcome,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
});

// ---------------------------------------------------------------------------------------------
// Ports
// ---------------------------------------------------------------------------------------------

/** Narrows an import list; unset fields do not filter. */
export interface ImportFilter {
  status?: ImportStatus | undefined;
  type?: ImportType | undefined;
}

/** Narrows a row list to one status. */
export interface ImportRowFilter {
  status?: ImportRowStatus | undefined;
}

/** A row as validation stages it: valid when it has no errors. */
export interface StagedRow {
  rowNumber: number;
  raw: Record<string, string>;
  errors: string[];
}

/** What applying one staged row did. */
export interface SettledRow {
  id: string;
  rowNumber: number;
  status: 'applied' | 'invalid';
  errors: string[];
  outcome: RowOutcome | null;
}

/** How a worker asks for an import to process. */
export interface ClaimRequest {
  workerId: string;
  now: Date;
  leaseMs: number;
  /** This import only (a message from the queue); otherwise the oldest claimable one. */
  importId?: string | undefined;
}

/** Every field a row-only aircraft update may change, as the aircraft is to be after it (see `isRowOnlyUpdate`). */
export type AircraftRowUpdate = Pick<
  Aircraft,
  'id' | 'model' | 'status' | 'statusSource' | 'capacitySlots' | 'lastMaintenance' | 'nextDue'
>;

/** A new part definition as the bulk path of parts imports inserts it (name and category trimmed). */
export type NewPartDefinition = Pick<
  PartDefinition,
  'orgId' | 'name' | 'category' | 'minStockLevel' | 'reorderPoint' | 'leadTimeDays'
>;

/** The fields of a definition a parts row may change, as the definition is to be after it. */
export type PartDefinitionSettings = Pick<
  PartDefinition,
  'id' | 'category' | 'minStockLevel' | 'reorderPoint' | 'leadTimeDays'
>;

/** A new part item as the bulk path of parts imports inserts it (serial number trimmed). */
export type NewPartItem = Pick<
  PartItem,
  'orgId' | 'partDefinitionId' | 'serialNumber' | 'status' | 'expiryDate'
>;

/** Imports and their staged rows in PostgreSQL. */
export interface ImportRepository {
  insert(input: {
    id: string;
    orgId: string;
    type: ImportType;
    fileName: string;
    filePath: string;
    createdBy: string;
  }): Promise<Import>;
  findById(orgId: string, id: string): Promise<Import | undefined>;
  /** Newest first; fetches `page.limit + 1` rows. */
  list(orgId: string, filter: ImportFilter, page: Page): Promise<Import[]>;
  /** By row number; fetches `page.limit + 1` rows. */
  listRows(orgId: string, importId: string, filter: ImportRowFilter, page: Page): Promise<ImportRow[]>;
  /**
   * Takes the lease of an unfinished import that no live lease holds (FOR UPDATE SKIP LOCKED, so
   * two workers never take the same one) and counts the attempt; undefined when there is none.
   */
  claim(request: ClaimRequest): Promise<Import | undefined>;
  /**
   * Extends `workerId`'s lease and locks the import row until the transaction ends, so no other
   * worker can take it over meanwhile; undefined when the worker no longer holds the lease.
   */
  holdLease(
    orgId: string,
    id: string,
    workerId: string,
    now: Date,
    leaseMs: number,
  ): Promise<Import | undefined>;
  /** Gives the lease back so another worker may continue at once. */
  release(orgId: string, id: string, workerId: string): Promise<void>;
  setStatus(orgId: string, id: string, status: ImportStatus): Promise<Import>;
  /** The highest row number staged so far (0 when none). */
  lastStagedRow(orgId: string, importId: string): Promise<number>;
  /** Stages rows not staged yet (a resumed validation skips the others) and counts them on the import. */
  stageRows(orgId: string, importId: string, rows: StagedRow[]): Promise<void>;
  /** Valid rows not applied yet, by row number. */
  pendingValidRows(orgId: string, importId: string, limit: number): Promise<ImportRow[]>;
  /** Records what applying rows did, set-based, and counts them on the import. */
  settleRows(orgId: string, importId: string, rows: SettledRow[]): Promise<void>;
  /** Rows by status and outcome, for the summary. */
  rowCounts(orgId: string, importId: string): Promise<Record<string, number>>;
  /** Sets a final status (completed or failed) and clears the lease. */
  finish(
    orgId: string,
    id: string,
    input: {
      status: 'completed' | 'failed';
      error: string | null;
      summary: Record<string, unknown>;
      at: Date;
    },
  ): Promise<Import>;
  /** The live aircraft of the organization with these (normalized) tail numbers. */
  findAircraftByTailNumbers(orgId: string, tailNumbers: string[]): Promise<Aircraft[]>;
  /** Inserts new aircraft in one statement (the bulk path of aircraft imports). */
  insertAircraft(rows: NewAircraft[]): Promise<Aircraft[]>;
  /** Locks these live aircraft of the organization, in id order, and returns them as they are now. */
  lockAircraft(orgId: string, ids: string[]): Promise<Aircraft[]>;
  /** Writes row-only updates of aircraft in one statement (the bulk path of changed aircraft), stamped `at`. */
  updateAircraft(orgId: string, rows: AircraftRowUpdate[], at: Date): Promise<Aircraft[]>;
  /** The live part definitions with these (trimmed) names: name and id of each found. */
  findDefinitionIdsByNames(orgId: string, names: string[]): Promise<{ name: string; id: string }[]>;
  /** The live part items with these (trimmed) serial numbers. */
  findItemsBySerials(orgId: string, serialNumbers: string[]): Promise<PartItem[]>;
  /** Inserts new part definitions in one statement (the bulk path of parts imports); none has items yet. */
  insertPartDefinitions(rows: NewPartDefinition[]): Promise<PartDefinition[]>;
  /** Writes the category and stock settings of live definitions in one statement, stamped `at`; how many it wrote. */
  updatePartDefinitions(orgId: string, rows: PartDefinitionSettings[], at: Date): Promise<number>;
  /** Inserts new part items in one statement (the bulk path of parts imports). */
  insertPartItems(rows: NewPartItem[]): Promise<PartItem[]>;
  /** Live entities by their natural keys, for the upsert rules. */
  findDefinitionIdByName(orgId: string, name: string): Promise<string | undefined>;
  findItemBySerial(
    orgId: string,
    serialNumber: string,
  ): Promise<{ id: string; partDefinitionId: string } | undefined>;
  findProgramId(orgId: string, name: string, aircraftId: string | null): Promise<string | undefined>;
  /**
   * `findProgramId` for many keys in one query: the program each key names (the oldest live one
   * with that normalized name on that aircraft, or among templates for a null aircraft), in the
   * order of `keys`.
   */
  findProgramIds(
    orgId: string,
    keys: { name: string; aircraftId: string | null }[],
  ): Promise<(string | undefined)[]>;
}

/** Wakes a worker for a new import (the Redis stream `import.jobs`). */
export interface ImportQueue {
  /**
   * Enqueues the import; never throws. False when the queue is unreachable: a worker's sweep
   * still finds the pending import in PostgreSQL.
   */
  enqueue(job: { importId: string; orgId: string }): Promise<boolean>;
}

/**
 * Tells a worker about new imports as they are enqueued (the consumer side of `ImportQueue`).
 * Only a wake-up: the worker's sweep finds every import in PostgreSQL anyway.
 */
export interface ImportWakeUps {
  /** Calls `onImport` with each enqueued import's id until stopped. */
  start(onImport: (importId: string) => Promise<void>): void;
  /** Stops listening; lets the wake-up in hand finish. */
  stop(): Promise<void>;
}

/**
 * Checks one CSV row against its type: the cells become the JSON body the REST create endpoint
 * takes (empty cells left out), checked with that endpoint's schema and the domain's rules.
 */
export interface ImportRowChecker {
  columns(type: ImportType): ImportColumns;
  /** The typed fields (dates as Date) and every problem found, one message each. */
  check(
    type: ImportType,
    raw: Record<string, string>,
    now: Date,
  ): { value: Record<string, unknown>; problems: string[] };
}

/**
 * One transaction for a batch of rows, with a unit of work whose transactions are savepoints of it:
 * a row that fails rolls back its own writes only, and the batch still commits as one.
 */
export interface ImportBatchRunner {
  run<T>(work: (batch: { unit: UnitOfWork }) => Promise<T>): Promise<T>;
}

// ---------------------------------------------------------------------------------------------
// The API side
// ---------------------------------------------------------------------------------------------

/** What the import service needs. */
export interface ImportServiceDeps {
  uow: UnitOfWork;
  queue: ImportQueue;
}

/**
 * CSV imports of one organization: uploads become pending imports (audited, `import_created`)
 * that the import processor validates and applies; their status, counts and rows can be read.
 */
export class ImportService {
  constructor(private readonly deps: ImportServiceDeps) {}

  /**
   * Checks, before the file is stored, that the actor may import this type into the organization
   * in scope: imports.create and the type's own entry (imports.create_<type>). Imports are recorded as
   * created by a user of the organization, so they are made inside the actor's own one.
   */
  async authorizeUpload(actor: UserActor, type: ImportType, scope: OrgScope = {}): Promise<string> {
    authorize(actor, 'imports', 'create');
    authorize(actor, 'imports', importAction(type));
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, actor, scope);
    if (orgId !== actor.orgId) {
      throw AppError.forbidden(
        'imports are made inside your own organization; sign in as a user of that organization',
        'ORG_SCOPE_FORBIDDEN',
      );
    }
    return orgId;
  }

  /** Records an uploaded, checked file as a pending import and wakes a worker for it. */
  async create(
    ctx: MutationContext & { actor: UserActor },
    input: { id: string; orgId: string; type: ImportType; fileName: string; filePath: string },
  ): Promise<Import> {
    const orgId = await this.authorizeUpload(ctx.actor, input.type, { orgId: input.orgId });
    const imp = await mutate(this.deps.uow, ctx, async (tx) => {
      const created = await tx.imports.insert({
        id: input.id,
        orgId,
        type: input.type,
        fileName: input.fileName,
        filePath: input.filePath,
        createdBy: ctx.actor.userId,
      });
      return { result: created, ...importEffects(created, 'create', 'import_created') };
    });
    await this.deps.queue.enqueue({ importId: imp.id, orgId: imp.orgId });
    return imp;
  }

  /** One import of the organization in scope (404 otherwise). */
  async get(actor: Actor, id: string, scope: OrgScope = {}): Promise<Import> {
    authorize(actor, 'imports', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, scope);
    return (await repos.imports.findById(orgId, id)) ?? importNotFound();
  }

  /** Imports of the organization, newest first. */
  async list(actor: Actor, filter: ImportFilter & OrgScope, page: Page): Promise<PageOf<Import>> {
    authorize(actor, 'imports', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, filter);
    return pageOf(await repos.imports.list(orgId, { status: filter.status, type: filter.type }, page), page);
  }

  /** The staged rows of an import, by row number. */
  async listRows(
    actor: Actor,
    id: string,
    filter: ImportRowFilter & OrgScope,
    page: Page,
  ): Promise<PageOf<ImportRow>> {
    const imp = await this.get(actor, id, filter);
    const rows = await this.deps.uow.repos.imports.listRows(
      imp.orgId,
      imp.id,
      { status: filter.status },
      page,
    );
    return pageOf(rows, page);
  }
}

/** The actor of everything the import processor writes; see docs/imports.md. */
export const IMPORT_PROCESSOR_ACTOR = systemActor('import-processor');

export const importNotFound = (): never => {
  throw AppError.notFound('import', 'IMPORT_NOT_FOUND');
};

/** The audit entry and the event of a change to an import. */
export function importEffects(
  imp: Import,
  action: AuditAction,
  type: EventType,
  before?: Import,
): { audit: AuditEntry; events: DomainEvent[] } {
  const view = importView(imp);
  return entityEffects({
    orgId: imp.orgId,
    entityType: 'import',
    entityId: imp.id,
    action,
    before: before && importView(before),
    after: view,
    event: { type, data: view, occurredAt: imp.updatedAt },
  });
}
