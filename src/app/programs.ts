import { randomUUID } from 'node:crypto';
import type { DomainEvent, EventType } from '../domain/events.js';
import { leadValueOf } from '../domain/program-generation.js';
import {
  nextDue,
  normalizeProgramName,
  programProblems,
  type IntervalType,
  type MaintenanceProgram,
} from '../domain/program.js';
import type { TaskPriority } from '../domain/scheduling.js';
import type { TaskType } from '../domain/task.js';
import { authorize, resolveOrgScope, type OrgScope } from './access.js';
import type { Actor } from './actor.js';
import type { AuditAction, AuditEntry } from './audit.js';
import { AppError } from './errors.js';
import { entityEffects, mutate, type MutationContext } from './mutation.js';
import { pageOf, type Page, type PageOf, type SortKey } from './pagination.js';
import type { Repositories, UnitOfWork } from './ports.js';

/** The fields a program list sorts by. */
export const PROGRAM_SORT_FIELDS = ['name', 'created_at', 'interval_type'] as const;
export type ProgramSortField = (typeof PROGRAM_SORT_FIELDS)[number];

/** Narrows a program list; unset fields do not filter. */
export interface ProgramFilter {
  aircraftId?: string | undefined;
  intervalType?: IntervalType | undefined;
  /** true: templates only (no aircraft); false: programs bound to an aircraft only. */
  template?: boolean | undefined;
}

/** A new program row. */
export interface NewProgram {
  orgId: string;
  aircraftId: string | null;
  name: string;
  intervalType: IntervalType;
  intervalValue: number;
  lastPerformed: Date | null;
  /** Unset: the database defaults (a tenth of the interval, an 8-hour inspection). */
  leadValue?: number | null | undefined;
  taskType?: TaskType | undefined;
  taskDurationMinutes?: number | undefined;
  taskPriority?: TaskPriority | undefined;
}

/** The writable fields of a program; unset ones stay as they are. */
export interface ProgramPatch {
  name?: string | undefined;
  intervalType?: IntervalType | undefined;
  intervalValue?: number | undefined;
  lastPerformed?: Date | null | undefined;
  /** null returns to the default lead (a tenth of the interval). */
  leadValue?: number | null | undefined;
  taskType?: TaskType | undefined;
  taskDurationMinutes?: number | undefined;
  taskPriority?: TaskPriority | undefined;
}

/** Every field a program's update may change but its name, as the program is to be after it. */
export type ProgramRowUpdate = Pick<
  MaintenanceProgram,
  'id' | 'intervalType' | 'intervalValue' | 'lastPerformed' | 'leadValue' | 'taskType' | 'taskDurationMinutes'
> & { taskPriority: TaskPriority };

/** Maintenance programs in PostgreSQL; every read carries the bound aircraft's current counters. */
export interface ProgramRepository {
  insert(input: NewProgram): Promise<MaintenanceProgram>;
  /** Inserts many programs in one statement. */
  insertMany(inputs: NewProgram[]): Promise<MaintenanceProgram[]>;
  /** These live programs of the organization; `lock`: locked in id order, as they are once locked. */
  findMany(orgId: string, ids: string[], options?: { lock?: boolean }): Promise<MaintenanceProgram[]>;
  /** Writes many programs' updates in one statement, stamped `at`. */
  updateMany(orgId: string, rows: ProgramRowUpdate[], at: Date): Promise<MaintenanceProgram[]>;
  /** A live program; `lock` holds its row until the transaction ends (changes and deletes). */
  findById(orgId: string, id: string, options?: { lock?: boolean }): Promise<MaintenanceProgram | undefined>;
  /** Fetches `page.limit + 1` rows so the caller knows whether more follow. */
  list(
    orgId: string,
    filter: ProgramFilter,
    sort: SortKey<ProgramSortField>[],
    page: Page,
  ): Promise<MaintenanceProgram[]>;
  update(orgId: string, id: string, patch: ProgramPatch): Promise<MaintenanceProgram | undefined>;
  softDelete(orgId: string, id: string): Promise<MaintenanceProgram | undefined>;
  /**
   * Records a performance at `at`: sets `last_performed` and copies the bound aircraft's current
   * counters into `last_performed_flight_hours` / `last_performed_cycles`.
   */
  recordPerformed(orgId: string, id: string, at: Date): Promise<MaintenanceProgram | undefined>;
  /** How many live tasks of the program are scheduled or in progress. */
  countActiveTasks(orgId: string, id: string): Promise<number>;
  /** Whether a live aircraft with this id exists in the org; holds it against deletion until commit. */
  lockLiveAircraft(orgId: string, aircraftId: string): Promise<boolean>;
  /** `lockLiveAircraft` for many: the ids of those that are live, each held against deletion until commit. */
  lockLiveAircraftMany(orgId: string, aircraftIds: string[]): Promise<string[]>;
}

/** When a program is next due, as the API shows it (see `NextDue` in the domain). */
export type NextDueView = {
  at: string | null;
  flight_hours: number | null;
  cycles: number | null;
  remaining: number | null;
};

/** A maintenance program as the API, audit rows and events show it. */
export type ProgramView = {
  id: string;
  org_id: string;
  aircraft_id: string | null;
  name: string;
  interval_type: IntervalType;
  interval_value: number;
  last_performed: string | null;
  last_performed_flight_hours: number | null;
  last_performed_cycles: number | null;
  next_due: NextDueView | null;
  lead_value: number | null;
  effective_lead_value: number;
  task_type: TaskType;
  task_duration_minutes: number;
  task_priority: TaskPriority;
  created_at: string;
  updated_at: string;
};

/** The view of a program, with its computed next due point. */
export function programView(program: MaintenanceProgram): ProgramView {
  const due = nextDue(program);
  return {
    id: program.id,
    org_id: program.orgId,
    aircraft_id: program.aircraftId,
    name: program.name,
    interval_type: program.intervalType,
    interval_value: program.intervalValue,
    last_performed: program.lastPerformed?.toISOString() ?? null,
    last_performed_flight_hours: program.lastPerformedFlightHours,
    last_performed_cycles: program.lastPerformedCycles,
    next_due: due
      ? {
          at: due.at?.toISOString() ?? null,
          flight_hours: due.flightHours,
          cycles: due.cycles,
          remaining: due.remaining,
        }
      : null,
    lead_value: program.leadValue,
    effective_lead_value: leadValueOf(program),
    task_type: program.taskType,
    task_duration_minutes: program.taskDurationMinutes,
    task_priority: program.taskPriority ?? 'routine',
    created_at: program.createdAt.toISOString(),
    updated_at: program.updatedAt.toISOString(),
  };
}

/** A new program; `orgId` is an admin's explicit target organization. */
export interface CreateProgramInput extends OrgScope {
  name: string;
  intervalType: IntervalType;
  intervalValue: number;
  aircraftId?: string | undefined;
  lastPerformed?: Date | undefined;
  leadValue?: number | undefined;
  taskType?: TaskType | undefined;
  taskDurationMinutes?: number | undefined;
  taskPriority?: TaskPriority | undefined;
}

/** What the program service needs; `now` is the clock (tests may fix it). */
export interface ProgramServiceDeps {
  uow: UnitOfWork;
  now?: () => Date;
}

/**
 * Maintenance programs of one organization: the actor's own, or for an admin the one named by
 * `org_id`. Schedulers and admins change them; every role reads them.
 */
export class ProgramService {
  private readonly now: () => Date;

  constructor(private readonly deps: ProgramServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Creates a program, bound to a live aircraft of the org (404 AIRCRAFT_NOT_FOUND otherwise) or a template. */
  async create(ctx: MutationContext, input: CreateProgramInput): Promise<MaintenanceProgram> {
    authorize(ctx.actor, 'maintenance_programs', 'create');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, input);
    const fields = newProgram(orgId, input, this.now());
    return mutate(this.deps.uow, ctx, async (tx) => {
      const { aircraftId } = fields;
      if (aircraftId !== null && !(await tx.programs.lockLiveAircraft(orgId, aircraftId))) {
        throw aircraftNotFound();
      }
      const program = await tx.programs.insert(fields);
      return { result: program, ...programCreateEffects(program) };
    });
  }

  /** One live program of the organization in scope (404 otherwise). */
  async get(actor: Actor, id: string, scope: OrgScope = {}): Promise<MaintenanceProgram> {
    authorize(actor, 'maintenance_programs', 'read');
    const repos = this.deps.uow.repos;
    return findProgram(repos, await resolveOrgScope(repos.organizations, actor, scope), id);
  }

  /** Live programs of the organization, filtered and sorted. */
  async list(
    actor: Actor,
    filter: ProgramFilter & OrgScope,
    sort: SortKey<ProgramSortField>[],
    page: Page,
  ): Promise<PageOf<MaintenanceProgram>> {
    authorize(actor, 'maintenance_programs', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, filter);
    const { aircraftId, intervalType, template } = filter;
    const rows = await repos.programs.list(orgId, { aircraftId, intervalType, template }, sort, page);
    return pageOf(rows, page);
  }

  /** Changes the name, interval or last performance date; the aircraft binding never changes. */
  async update(
    ctx: MutationContext,
    id: string,
    patch: ProgramPatch,
    scope: OrgScope = {},
  ): Promise<MaintenanceProgram> {
    authorize(ctx.actor, 'maintenance_programs', 'update');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    const fields = checkedPatch(patch, this.now());
    const changeId = randomUUID();
    return mutate(this.deps.uow, ctx, async (tx) => {
      const before = await findProgram(tx, orgId, id, true);
      const program = (await tx.programs.update(orgId, id, fields)) ?? notFound();
      return { result: program, ...programUpdateEffects({ before, after: program, changeId }) };
    });
  }

  /** Soft-deletes a program; 409 PROGRAM_HAS_ACTIVE_TASKS while any of its tasks is scheduled or in progress. */
  async delete(ctx: MutationContext, id: string, scope: OrgScope = {}): Promise<void> {
    authorize(ctx.actor, 'maintenance_programs', 'delete');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    const changeId = randomUUID();
    await mutate(this.deps.uow, ctx, async (tx) => {
      // Locked first: a task insert referencing the program waits for this transaction, and one
      // that got in before is counted below.
      const before = await findProgram(tx, orgId, id, true);
      const active = await tx.programs.countActiveTasks(orgId, id);
      if (active > 0) {
        throw AppError.conflict(
          'PROGRAM_HAS_ACTIVE_TASKS',
          `the program has ${active} scheduled or in-progress task${active === 1 ? '' : 's'}; complete, cancel or delete them first`,
        );
      }
      const program = (await tx.programs.softDelete(orgId, id)) ?? notFound();
      const effects = programEffects({
        action: 'delete',
        type: 'program_deleted',
        before,
        changeId,
        occurredAt: program.updatedAt,
      });
      return { result: undefined, ...effects };
    });
  }
}

/**
 * Records that a task of the program was performed at `at` (task completion), inside the
 * caller's mutation: sets `last_performed` and the counters of the program's aircraft, and
 * returns the program's audit entry and `program_updated` event. Nothing when the program is gone.
 */
export async function recordProgramPerformed(
  repos: Repositories,
  input: { orgId: string; programId: string; at: Date; changeId: string },
): Promise<{ audit: AuditEntry[]; events: DomainEvent[] }> {
  const before = await repos.programs.findById(input.orgId, input.programId, { lock: true });
  if (!before) return { audit: [], events: [] };
  const after = (await repos.programs.recordPerformed(input.orgId, input.programId, input.at)) ?? before;
  const effects = programEffects({
    action: 'update',
    type: 'program_updated',
    before,
    after,
    changeId: input.changeId,
    occurredAt: after.updatedAt,
    extra: { performed_at: input.at.toISOString() },
  });
  return { audit: [effects.audit], events: effects.events };
}

const notFound = (): never => {
  throw AppError.notFound('maintenance program', 'PROGRAM_NOT_FOUND');
};

const aircraftNotFound = (): AppError =>
  new AppError('not_found', 'AIRCRAFT_NOT_FOUND', 'aircraft not found in this organization', [
    { field: 'body.aircraft_id', message: 'no live aircraft with this id in the organization' },
  ]);

async function findProgram(
  repos: Pick<Repositories, 'programs'>,
  orgId: string,
  id: string,
  lock = false,
): Promise<MaintenanceProgram> {
  return (await repos.programs.findById(orgId, id, { lock })) ?? notFound();
}

/**
 * The row of a new program of `orgId` (name normalized, the database's defaults for what `input`
 * leaves unset); refuses (400) a blank name or a last performance in the future. What `create`
 * checks before it looks anything up, shared with the set-based import.
 */
export function newProgram(orgId: string, input: Omit<CreateProgramInput, 'orgId'>, now: Date): NewProgram {
  refuseProblems({ name: input.name, lastPerformed: input.lastPerformed }, now);
  return {
    orgId,
    aircraftId: input.aircraftId ?? null,
    name: normalizeProgramName(input.name),
    intervalType: input.intervalType,
    intervalValue: input.intervalValue,
    lastPerformed: input.lastPerformed ?? null,
    leadValue: input.leadValue,
    taskType: input.taskType,
    taskDurationMinutes: input.taskDurationMinutes,
    taskPriority: input.taskPriority,
  };
}

/** A program patch as `update` writes it (name normalized); refuses (400) a blank name or a future last performance. */
export function checkedPatch(patch: ProgramPatch, now: Date): ProgramPatch {
  refuseProblems(patch, now);
  return { ...patch, name: patch.name === undefined ? undefined : normalizeProgramName(patch.name) };
}

/** What a program's creation records: its audit row and `program_created`. */
export const programCreateEffects = (program: MaintenanceProgram) =>
  programEffects({
    action: 'create',
    type: 'program_created',
    after: program,
    occurredAt: program.createdAt,
  });

/** What a program's update records: its audit row and `program_updated`. */
export const programUpdateEffects = (change: {
  before: MaintenanceProgram;
  after: MaintenanceProgram;
  changeId: string;
}) =>
  programEffects({
    action: 'update',
    type: 'program_updated',
    ...change,
    occurredAt: change.after.updatedAt,
  });

/** Refuses (400) a blank name or a last performance in the future, naming each field. */
function refuseProblems(
  fields: { name?: string | undefined; lastPerformed?: Date | null | undefined },
  now: Date,
): void {
  const problems = programProblems(fields, now);
  const [first] = problems;
  if (!first) return;
  throw AppError.validation(
    `invalid program: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
    problems.map((p) => ({ field: `body.${p.field}`, message: p.message })),
    first.reason,
  );
}

/** What one change to a program records. */
interface ProgramChange {
  action: AuditAction;
  type: EventType;
  before?: MaintenanceProgram;
  after?: MaintenanceProgram;
  /** Distinguishes this change's event from every other change to the same program (unset for creation). */
  changeId?: string;
  occurredAt: Date;
  extra?: Record<string, unknown>;
}

/** The audit entry and the event of one change to a program. */
function programEffects(change: ProgramChange): { audit: AuditEntry; events: DomainEvent[] } {
  const subject = (change.after ?? change.before)!;
  const data = programView(subject);
  return entityEffects({
    orgId: subject.orgId,
    entityType: 'maintenance_program',
    entityId: subject.id,
    action: change.action,
    before: change.before && programView(change.before),
    after: change.after && data,
    extra: change.extra,
    event: { type: change.type, discriminator: change.changeId, data, occurredAt: change.occurredAt },
  });
}
