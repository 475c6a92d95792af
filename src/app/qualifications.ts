import { randomUUID } from 'node:crypto';
import type { DomainEvent, EventType } from '../domain/events.js';
import {
  checkQualification,
  describeMissing,
  type PersonFacts,
  type QualificationPurpose,
  type QualificationResult,
  type SkillRequirement,
  type WorkWindow,
} from '../domain/qualification.js';
import type { Role } from '../domain/roles.js';
import type { TaskType } from '../domain/task.js';
import { authorize, resolveOrgScope, type OrgScope } from './access.js';
import type { Actor } from './actor.js';
import type { AuditAction, AuditEntry } from './audit.js';
import { AppError, type FieldProblem } from './errors.js';
import { entityEffects, mutate, type MutationContext } from './mutation.js';
import { pageOf, type Page, type PageOf, type SortKey } from './pagination.js';
import type { SignerQualificationCheck } from './compliance.js';
import type { Repositories, UnitOfWork } from './ports.js';

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------

/** A task skill requirement as the API, audit rows and events show it. */
export type SkillRequirementView = {
  id: string;
  org_id: string;
  task_type: TaskType;
  aircraft_type_id: string | null;
  program_id: string | null;
  certification_type_id: string | null;
  type_rating_required: boolean;
  skill_type_id: string | null;
  min_proficiency: number | null;
  min_recency_hours: number | null;
  recency_window_days: number | null;
  certifying: boolean;
  inspection: boolean;
  description: string | null;
  created_at: string;
  updated_at: string;
};

export const skillRequirementView = (r: SkillRequirement): SkillRequirementView => ({
  id: r.id,
  org_id: r.orgId,
  task_type: r.taskType,
  aircraft_type_id: r.aircraftTypeId,
  program_id: r.programId,
  certification_type_id: r.certificationTypeId,
  type_rating_required: r.typeRatingRequired,
  skill_type_id: r.skillTypeId,
  min_proficiency: r.minProficiency,
  min_recency_hours: r.minRecencyHours,
  recency_window_days: r.recencyWindowDays,
  certifying: r.certifying,
  inspection: r.inspection,
  description: r.description,
  created_at: r.createdAt.toISOString(),
  updated_at: r.updatedAt.toISOString(),
});

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/** The fields a requirement list sorts by. */
export const SKILL_REQUIREMENT_SORT_FIELDS = ['created_at', 'task_type'] as const;
export type SkillRequirementSortField = (typeof SKILL_REQUIREMENT_SORT_FIELDS)[number];

export interface SkillRequirementFilter {
  taskType?: TaskType | undefined;
  aircraftTypeId?: string | undefined;
  programId?: string | undefined;
}

/** The writable fields of a requirement. */
export interface SkillRequirementFields {
  taskType: TaskType;
  aircraftTypeId: string | null;
  programId: string | null;
  certificationTypeId: string | null;
  typeRatingRequired: boolean;
  skillTypeId: string | null;
  minProficiency: number | null;
  minRecencyHours: number | null;
  recencyWindowDays: number | null;
  certifying: boolean;
  inspection: boolean;
  description: string | null;
}

export interface CreateSkillRequirementInput extends OrgScope, Partial<SkillRequirementFields> {
  taskType: TaskType;
}

/** Unset fields stay; null clears an optional one. */
export type SkillRequirementPatch = {
  [K in keyof SkillRequirementFields]?: SkillRequirementFields[K] | undefined;
};

/** The work to check people against: a task, or a task type on an aircraft type and program. */
export interface WorkQuery extends OrgScope {
  taskId?: string | undefined;
  taskType?: TaskType | undefined;
  aircraftTypeId?: string | undefined;
  programId?: string | undefined;
  startTime?: Date | undefined;
  endTime?: Date | undefined;
  purpose?: QualificationPurpose | undefined;
}

/** The work a check was made against, as resolved. */
export interface ResolvedWork {
  taskId: string | null;
  taskType: TaskType;
  aircraftTypeId: string | null;
  programId: string | null;
  window: WorkWindow;
  purpose: QualificationPurpose;
}

/** One person's result. */
export interface PersonCheck {
  userId: string;
  email: string;
  result: QualificationResult;
  /** Other active tasks of the person overlapping the window. */
  overlappingTaskIds: string[];
}

// ---------------------------------------------------------------------------------------------
// Repository
// ---------------------------------------------------------------------------------------------

/** The requirements matching some work and the aircraft type they were matched on. */
export interface WorkRequirements {
  aircraftTypeId: string | null;
  aircraftTypeName: string | null;
  /** Every live matching requirement, whatever its purpose. */
  requirements: SkillRequirement[];
}

/** A person's facts with who they are and where else they are booked. */
export interface PersonFactsRow extends PersonFacts {
  email: string;
  role: Role;
  /** Other live scheduled or in-progress tasks of theirs whose window overlaps the busy window. */
  overlappingTaskIds: string[];
}

/** What to load people's facts for. */
export interface PeopleQuery {
  /** These users (live users of the org), or every live mechanic of the org when unset. */
  userIds?: string[] | undefined;
  aircraftTypeId: string | null;
  window: WorkWindow;
  /** The recency windows (in days) the requirements ask about. */
  recencyDays: number[];
  /** A task to leave out of the overlap search (the task being checked). */
  excludeTaskId?: string | undefined;
  /**
   * Reads the certification, rating and skill rows FOR SHARE: a concurrent change to them
   * (a revocation) waits for this transaction, or this read waits for it and sees its result.
   */
  lock?: boolean | undefined;
}

/** Task skill requirements and the facts of the qualification check, in PostgreSQL. */
export interface QualificationRepository {
  insertRequirement(orgId: string, fields: SkillRequirementFields): Promise<SkillRequirement>;
  findRequirement(
    orgId: string,
    id: string,
    options?: { lock?: boolean },
  ): Promise<SkillRequirement | undefined>;
  listRequirements(
    orgId: string,
    filter: SkillRequirementFilter,
    sort: SortKey<SkillRequirementSortField>[],
    page: Page,
  ): Promise<SkillRequirement[]>;
  updateRequirement(
    orgId: string,
    id: string,
    fields: SkillRequirementFields,
  ): Promise<SkillRequirement | undefined>;
  softDeleteRequirement(orgId: string, id: string): Promise<SkillRequirement | undefined>;
  /**
   * The live requirements matching a task type with an aircraft type (given, or the type of
   * `aircraftId`) and a program — one query.
   */
  requirementsFor(
    orgId: string,
    work: {
      taskType: TaskType;
      aircraftId?: string | undefined;
      aircraftTypeId?: string | null | undefined;
      programId: string | null;
    },
  ): Promise<WorkRequirements>;
  /** Everything the check needs about a set of people — one query, whatever their number. */
  peopleFacts(orgId: string, query: PeopleQuery): Promise<PersonFactsRow[]>;
  /** Logs hours on an aircraft type for a completed task. */
  insertRecencyEntry(input: {
    orgId: string;
    userId: string;
    aircraftTypeId: string;
    hours: number;
    performedAt: Date;
    taskId: string;
    notes: string | null;
  }): Promise<RecencyEntryRow | undefined>;
}

/** A recency entry row as written from a completed task. */
export type RecencyEntryRow = {
  id: string;
  org_id: string;
  user_id: string;
  aircraft_type_id: string;
  hours: number;
  performed_at: string;
  task_id: string | null;
  notes: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
};

// ---------------------------------------------------------------------------------------------
// Checking one person inside a change (the task service, sign-offs, inspections)
// ---------------------------------------------------------------------------------------------

/** The task facts a check inside a change needs; `id` is null for a task not created yet. */
export interface TaskForCheck {
  id: string | null;
  orgId: string;
  aircraftId: string;
  programId: string | null;
  type: TaskType;
}

/**
 * Refuses (409 MECHANIC_NOT_QUALIFIED, `details` naming each thing missing) unless `userId` meets
 * the requirements of `purpose` for the task over `window`; with `busy`, also refuses (409
 * MECHANIC_BUSY) when another active task of theirs overlaps the window. Reads the person's
 * certifications, ratings and skills FOR SHARE inside the caller's transaction, so a revocation
 * racing this change either waits for it or is seen by it. Two queries at most (one when nothing
 * applies). Answers the requirements it matched, with the task aircraft's type.
 */
export async function assertQualified(
  tx: Repositories,
  input: {
    task: TaskForCheck;
    userId: string;
    purpose: QualificationPurpose;
    window: WorkWindow;
    /** The request field to name in the 409's details. */
    field?: string;
    busy?: boolean;
  },
): Promise<WorkRequirements> {
  const { task, userId, purpose, window } = input;
  const work = await tx.qualifications.requirementsFor(task.orgId, {
    taskType: task.type,
    aircraftId: task.aircraftId,
    programId: task.programId,
  });
  const binding = work.requirements.filter((r) => appliesTo(r, purpose));
  if (binding.length === 0 && purpose !== 'inspect' && !input.busy) return work;
  const [person] = await tx.qualifications.peopleFacts(task.orgId, {
    userIds: [userId],
    aircraftTypeId: work.aircraftTypeId,
    window,
    recencyDays: recencyDaysOf(binding),
    excludeTaskId: task.id ?? undefined,
    lock: true,
  });
  const facts: PersonFacts = person ?? {
    userId,
    certifications: [],
    typeRatings: [],
    skills: [],
    recency: [],
  };
  const result = checkQualification({
    requirements: binding,
    person: facts,
    aircraftTypeId: work.aircraftTypeId,
    aircraftTypeName: work.aircraftTypeName,
    window,
    purpose,
  });
  if (!result.qualified) throw notQualified(userId, purpose, result, input.field);
  const [other] = person?.overlappingTaskIds ?? [];
  if (input.busy && other !== undefined) throw mechanicBusy(userId, other, window, input.field);
  return work;
}

/**
 * The check of a compliance sign-off's signer (purpose `certify`: the task's certifying
 * requirements) and of an independent inspector (purpose `inspect`: its inspection requirements
 * plus any inspection authority), for the compliance service. The window runs from the task's
 * start to the later of its end and the signature: the licence must hold while the work is signed.
 */
export const signerQualifications: SignerQualificationCheck = {
  async assertQualified(tx, input) {
    const task = await tx.tasks.findById(input.orgId, input.taskId);
    if (!task) return;
    const end = task.endTime.getTime() < input.at.getTime() ? input.at : task.endTime;
    await assertQualified(tx, {
      task,
      userId: input.userId,
      purpose: input.purpose,
      window: { start: task.startTime, end },
      field: input.purpose === 'inspect' ? 'inspector' : 'signer',
    });
  },
};

/** The 409 of a mechanic booked on another active task in the window. */
export function mechanicBusy(
  userId: string,
  otherTaskId: string,
  window: WorkWindow,
  field?: string,
): AppError {
  return AppError.conflict(
    'MECHANIC_BUSY',
    `mechanic ${userId} is already assigned to task ${otherTaskId}, whose window overlaps ${window.start.toISOString()} to ${window.end.toISOString()}`,
    [
      {
        field: field ?? 'body.assigned_mechanic_id',
        message: `is assigned to overlapping task ${otherTaskId}`,
      },
    ],
  );
}

const VERB: Record<QualificationPurpose, string> = {
  perform: 'perform',
  certify: 'certify (sign off)',
  inspect: 'independently inspect',
};

/** The 409 of a person who does not meet the requirements. */
export function notQualified(
  userId: string,
  purpose: QualificationPurpose,
  result: QualificationResult,
  field?: string,
): AppError {
  const details: FieldProblem[] = result.missing.map((item) => ({
    field: field ?? 'assigned_mechanic_id',
    message: item.message,
    kind: item.kind,
    type_id: item.type_id,
    name: item.name,
    reason: item.reason,
  }));
  return AppError.conflict(
    'MECHANIC_NOT_QUALIFIED',
    `user ${userId} is not qualified to ${VERB[purpose]} this task: ${describeMissing(result.missing)}`,
    details,
  );
}

const appliesTo = (r: SkillRequirement, purpose: QualificationPurpose): boolean =>
  purpose === 'perform'
    ? !r.certifying && !r.inspection
    : purpose === 'certify'
      ? r.certifying
      : r.inspection;

const recencyDaysOf = (requirements: SkillRequirement[]): number[] => [
  ...new Set(requirements.flatMap((r) => (r.recencyWindowDays === null ? [] : [r.recencyWindowDays]))),
];

// ---------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------

export interface QualificationServiceDeps {
  uow: UnitOfWork;
}

/**
 * Task skill requirements (tenant admins manage them, every role reads them) and the
 * qualification check on demand: one person, or every mechanic of the org with whether they are
 * free in the window.
 */
export class QualificationService {
  constructor(private readonly deps: QualificationServiceDeps) {}

  async createRequirement(
    ctx: MutationContext,
    input: CreateSkillRequirementInput,
  ): Promise<SkillRequirement> {
    authorize(ctx.actor, 'skill_requirements', 'create');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, input);
    const fields: SkillRequirementFields = {
      taskType: input.taskType,
      aircraftTypeId: input.aircraftTypeId ?? null,
      programId: input.programId ?? null,
      certificationTypeId: input.certificationTypeId ?? null,
      typeRatingRequired: input.typeRatingRequired ?? false,
      skillTypeId: input.skillTypeId ?? null,
      minProficiency: input.minProficiency ?? null,
      minRecencyHours: input.minRecencyHours ?? null,
      recencyWindowDays: input.recencyWindowDays ?? null,
      certifying: input.certifying ?? false,
      inspection: input.inspection ?? false,
      description: input.description ?? null,
    };
    refuseShape(fields);
    return mutate(this.deps.uow, ctx, async (tx) => {
      await checkRequirementReferences(tx, orgId, fields);
      const requirement = await tx.qualifications.insertRequirement(orgId, fields);
      return {
        result: requirement,
        ...requirementEffects({
          action: 'create',
          type: 'skill_requirement_created',
          after: requirement,
          occurredAt: requirement.createdAt,
        }),
      };
    });
  }

  async getRequirement(actor: Actor, id: string, scope: OrgScope = {}): Promise<SkillRequirement> {
    authorize(actor, 'skill_requirements', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, scope);
    return (await repos.qualifications.findRequirement(orgId, id)) ?? requirementNotFound();
  }

  async listRequirements(
    actor: Actor,
    filter: SkillRequirementFilter & OrgScope,
    sort: SortKey<SkillRequirementSortField>[],
    page: Page,
  ): Promise<PageOf<SkillRequirement>> {
    authorize(actor, 'skill_requirements', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, filter);
    const { taskType, aircraftTypeId, programId } = filter;
    return pageOf(
      await repos.qualifications.listRequirements(orgId, { taskType, aircraftTypeId, programId }, sort, page),
      page,
    );
  }

  async updateRequirement(
    ctx: MutationContext,
    id: string,
    patch: SkillRequirementPatch,
    scope: OrgScope = {},
  ): Promise<SkillRequirement> {
    authorize(ctx.actor, 'skill_requirements', 'update');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    const changeId = randomUUID();
    return mutate(this.deps.uow, ctx, async (tx) => {
      const before =
        (await tx.qualifications.findRequirement(orgId, id, { lock: true })) ?? requirementNotFound();
      const fields: SkillRequirementFields = { ...fieldsOf(before) };
      for (const [key, value] of Object.entries(patch) as [keyof SkillRequirementFields, never][]) {
        if (value !== undefined) fields[key] = value;
      }
      // Clearing the skill clears its minimum with it.
      if (patch.skillTypeId === null && patch.minProficiency === undefined) fields.minProficiency = null;
      refuseShape(fields);
      await checkRequirementReferences(tx, orgId, fields);
      const after = (await tx.qualifications.updateRequirement(orgId, id, fields)) ?? requirementNotFound();
      return {
        result: after,
        ...requirementEffects({
          action: 'update',
          type: 'skill_requirement_updated',
          before,
          after,
          changeId,
          occurredAt: after.updatedAt,
        }),
      };
    });
  }

  async deleteRequirement(ctx: MutationContext, id: string, scope: OrgScope = {}): Promise<void> {
    authorize(ctx.actor, 'skill_requirements', 'delete');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    const changeId = randomUUID();
    await mutate(this.deps.uow, ctx, async (tx) => {
      const before =
        (await tx.qualifications.findRequirement(orgId, id, { lock: true })) ?? requirementNotFound();
      const gone = (await tx.qualifications.softDeleteRequirement(orgId, id)) ?? requirementNotFound();
      return {
        result: undefined,
        ...requirementEffects({
          action: 'delete',
          type: 'skill_requirement_deleted',
          before,
          changeId,
          occurredAt: gone.updatedAt,
        }),
      };
    });
  }

  /**
   * `GET /users/{id}/qualification-check`: one person against some work. A mechanic may check
   * only themselves; the user must be a live user of the org (404 otherwise).
   */
  async checkPerson(
    actor: Actor,
    userId: string,
    query: WorkQuery,
  ): Promise<{ work: ResolvedWork; check: PersonCheck }> {
    authorize(actor, 'qualification_checks', 'read');
    if (actor.kind === 'user' && actor.role === 'mechanic' && actor.userId !== userId) {
      throw AppError.forbidden('a mechanic may check only their own qualifications', 'NOT_OWN_RECORD');
    }
    const { orgId, work, requirements } = await this.resolveWork(actor, query);
    const [person] = await this.deps.uow.repos.qualifications.peopleFacts(orgId, {
      userIds: [userId],
      aircraftTypeId: requirements.aircraftTypeId,
      window: work.window,
      recencyDays: recencyDaysOf(requirements.requirements),
      excludeTaskId: work.taskId ?? undefined,
    });
    if (!person) throw AppError.notFound('user', 'USER_NOT_FOUND');
    return { work, check: judge(person, work, requirements) };
  }

  /**
   * `GET /qualified-mechanics`: every live mechanic of the org against some work, with whether
   * they are free in its window; qualified and free first. Two or three queries in all.
   */
  async qualifiedMechanics(
    actor: Actor,
    query: WorkQuery,
  ): Promise<{ work: ResolvedWork; mechanics: PersonCheck[] }> {
    authorize(actor, 'qualification_checks', 'list');
    const { orgId, work, requirements } = await this.resolveWork(actor, query);
    const people = await this.deps.uow.repos.qualifications.peopleFacts(orgId, {
      aircraftTypeId: requirements.aircraftTypeId,
      window: work.window,
      recencyDays: recencyDaysOf(requirements.requirements),
      excludeTaskId: work.taskId ?? undefined,
    });
    const rank = (check: PersonCheck): number =>
      (check.result.qualified ? 0 : 2) + (check.overlappingTaskIds.length === 0 ? 0 : 1);
    const mechanics = people
      .map((person) => judge(person, work, requirements))
      .sort((a, b) => rank(a) - rank(b) || (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
    return { work, mechanics };
  }

  /** The work a query names, with the requirements matching it (one or two queries). */
  private async resolveWork(
    actor: Actor,
    query: WorkQuery,
  ): Promise<{ orgId: string; work: ResolvedWork; requirements: WorkRequirements }> {
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, query);
    const purpose = query.purpose ?? 'perform';
    if (query.taskId !== undefined) {
      const named = ['task_type', 'aircraft_type_id', 'program_id', 'start_time', 'end_time'].filter(
        (field) => query[camel(field)] !== undefined,
      );
      if (named.length > 0) {
        throw AppError.validation(
          'give either task_id or the task fields, not both',
          named.map((field) => ({
            field: `querystring.${field}`,
            message: 'must not be given with task_id',
          })),
          'TASK_ID_WITH_FIELDS',
        );
      }
      const task = await repos.tasks.findById(orgId, query.taskId);
      if (!task) {
        throw new AppError('not_found', 'TASK_NOT_FOUND', 'maintenance task not found', [
          { field: 'querystring.task_id', message: 'no live task with this id in the organization' },
        ]);
      }
      const requirements = await repos.qualifications.requirementsFor(orgId, {
        taskType: task.type,
        aircraftId: task.aircraftId,
        programId: task.programId,
      });
      return {
        orgId,
        requirements: onlyPurpose(requirements, purpose),
        work: {
          taskId: task.id,
          taskType: task.type,
          aircraftTypeId: requirements.aircraftTypeId,
          programId: task.programId,
          window: { start: task.startTime, end: task.endTime },
          purpose,
        },
      };
    }
    const problems: FieldProblem[] = [];
    for (const field of ['task_type', 'start_time', 'end_time'] as const) {
      if (query[camel(field)] === undefined)
        problems.push({ field: `querystring.${field}`, message: 'is required without task_id' });
    }
    if (query.startTime && query.endTime && query.endTime <= query.startTime)
      problems.push({ field: 'querystring.end_time', message: 'must be after start_time' });
    if (problems.length > 0) {
      throw AppError.validation(
        `give task_id, or task_type, start_time and end_time: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
        problems,
      );
    }
    await checkWorkReferences(repos, orgId, query);
    const requirements = await repos.qualifications.requirementsFor(orgId, {
      taskType: query.taskType!,
      aircraftTypeId: query.aircraftTypeId ?? null,
      programId: query.programId ?? null,
    });
    return {
      orgId,
      requirements: onlyPurpose(requirements, purpose),
      work: {
        taskId: null,
        taskType: query.taskType!,
        aircraftTypeId: query.aircraftTypeId ?? null,
        programId: query.programId ?? null,
        window: { start: query.startTime!, end: query.endTime! },
        purpose,
      },
    };
  }
}

/**
 * The aircraft type and program a check names must exist (the program as a live one of the org):
 * 404 REFERENCE_NOT_FOUND naming each field, never a check against requirements nothing matches.
 */
async function checkWorkReferences(repos: Repositories, orgId: string, query: WorkQuery): Promise<void> {
  const missing: FieldProblem[] = [];
  if (
    query.aircraftTypeId !== undefined &&
    !(await repos.referenceData.findAircraftType(query.aircraftTypeId))
  )
    missing.push({ field: 'querystring.aircraft_type_id', message: 'no aircraft type with this id' });
  if (query.programId !== undefined && !(await repos.programs.findById(orgId, query.programId)))
    missing.push({
      field: 'querystring.program_id',
      message: 'no live maintenance program with this id in the organization',
    });
  if (missing.length === 0) return;
  throw new AppError(
    'not_found',
    'REFERENCE_NOT_FOUND',
    `not found in this organization: ${missing.map((p) => p.field.replace('querystring.', '')).join(', ')}`,
    missing,
  );
}

const camel = (field: string): keyof WorkQuery =>
  field.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()) as keyof WorkQuery;

const onlyPurpose = (work: WorkRequirements, purpose: QualificationPurpose): WorkRequirements => ({
  ...work,
  requirements: work.requirements.filter((r) => appliesTo(r, purpose)),
});

function judge(person: PersonFactsRow, work: ResolvedWork, requirements: WorkRequirements): PersonCheck {
  return {
    userId: person.userId,
    email: person.email,
    overlappingTaskIds: person.overlappingTaskIds,
    result: checkQualification({
      requirements: requirements.requirements,
      person,
      aircraftTypeId: requirements.aircraftTypeId,
      aircraftTypeName: requirements.aircraftTypeName,
      window: work.window,
      purpose: work.purpose,
    }),
  };
}

const requirementNotFound = (): never => {
  throw AppError.notFound('task skill requirement', 'SKILL_REQUIREMENT_NOT_FOUND');
};

const fieldsOf = (r: SkillRequirement): SkillRequirementFields => ({
  taskType: r.taskType,
  aircraftTypeId: r.aircraftTypeId,
  programId: r.programId,
  certificationTypeId: r.certificationTypeId,
  typeRatingRequired: r.typeRatingRequired,
  skillTypeId: r.skillTypeId,
  minProficiency: r.minProficiency,
  minRecencyHours: r.minRecencyHours,
  recencyWindowDays: r.recencyWindowDays,
  certifying: r.certifying,
  inspection: r.inspection,
  description: r.description,
});

/** Refuses (400) a requirement that asks for nothing or half of something, naming the fields. */
function refuseShape(fields: SkillRequirementFields): void {
  const problems: FieldProblem[] = [];
  if (
    fields.certificationTypeId === null &&
    fields.skillTypeId === null &&
    fields.minRecencyHours === null &&
    !fields.typeRatingRequired
  ) {
    problems.push({
      field: 'body',
      message:
        'requires nothing: give certification_type_id, skill_type_id, min_recency_hours or type_rating_required',
    });
  }
  if (fields.minProficiency !== null && fields.skillTypeId === null)
    problems.push({ field: 'body.min_proficiency', message: 'needs skill_type_id' });
  if ((fields.minRecencyHours === null) !== (fields.recencyWindowDays === null)) {
    const missing = fields.minRecencyHours === null ? 'min_recency_hours' : 'recency_window_days';
    problems.push({
      field: `body.${missing}`,
      message: 'min_recency_hours and recency_window_days go together',
    });
  }
  if (problems.length === 0) return;
  throw AppError.validation(
    `invalid requirement: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
    problems,
    'INVALID_REQUIREMENT',
  );
}

/**
 * The program must be a live one of the org; the types must exist and be global or the org's own
 * (404 naming the field). The program and an own certification or skill type are read locked
 * (the type FOR KEY SHARE, see TypeLock `use`), so a concurrent delete of either waits for this
 * change and then finds the requirement naming it (409 …_IN_USE), or gets there first and this
 * change finds it gone.
 */
async function checkRequirementReferences(
  tx: Repositories,
  orgId: string,
  fields: SkillRequirementFields,
): Promise<void> {
  const missing: FieldProblem[] = [];
  if (fields.programId !== null && !(await tx.programs.findById(orgId, fields.programId, { lock: true })))
    missing.push({
      field: 'body.program_id',
      message: 'no live maintenance program with this id in the organization',
    });
  if (fields.aircraftTypeId !== null && !(await tx.referenceData.findAircraftType(fields.aircraftTypeId)))
    missing.push({ field: 'body.aircraft_type_id', message: 'no aircraft type with this id' });
  if (
    fields.certificationTypeId !== null &&
    !(await tx.referenceData.findCertificationType(orgId, fields.certificationTypeId, { lock: 'use' }))
  )
    missing.push({
      field: 'body.certification_type_id',
      message: 'no certification type with this id visible to the organization',
    });
  if (
    fields.skillTypeId !== null &&
    !(await tx.referenceData.findSkillType(orgId, fields.skillTypeId, { lock: 'use' }))
  )
    missing.push({
      field: 'body.skill_type_id',
      message: 'no skill type with this id visible to the organization',
    });
  if (missing.length === 0) return;
  throw new AppError(
    'not_found',
    'REFERENCE_NOT_FOUND',
    `not found in this organization: ${missing.map((p) => p.field.replace('body.', '')).join(', ')}`,
    missing,
  );
}

interface RequirementChange {
  action: AuditAction;
  type: EventType;
  before?: SkillRequirement;
  after?: SkillRequirement;
  changeId?: string;
  occurredAt: Date;
}

function requirementEffects(change: RequirementChange): { audit: AuditEntry; events: DomainEvent[] } {
  const subject = (change.after ?? change.before)!;
  const data = skillRequirementView(subject);
  return entityEffects({
    orgId: subject.orgId,
    entityType: 'task_skill_requirement',
    entityId: subject.id,
    action: change.action,
    before: change.before && skillRequirementView(change.before),
    after: change.after && data,
    event: { type: change.type, discriminator: change.changeId, data, occurredAt: change.occurredAt },
  });
}
