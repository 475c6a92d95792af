import type { CalendarDay } from '../domain/directive.js';
import {
  checkQualification,
  describeMissing,
  type MissingQualification,
  type PersonFacts,
  type RecencySum,
  type SkillRequirement,
} from '../domain/qualification.js';
import type { DependencyType } from '../domain/scheduling.js';
import { authorize, resolveOrgScope, type OrgScope } from './access.js';
import type { Actor } from './actor.js';
import { AppError } from './errors.js';
import { refuseEmptyRange, refuseLongRange } from './time-range.js';
import { pageOf, type Page, type PageOf } from './pagination.js';
import type { UnitOfWork } from './ports.js';

// The conflicts view: what is wrong with the schedule in a time range, found in set-based SQL
// (src/infra/postgres/conflicts.ts) and put into words here.

/** The kinds of conflict the view reports. */
export const CONFLICT_TYPES = [
  'dependency_violation',
  'mechanic_overlap',
  'past_due',
  'parts_short',
  'mechanic_unqualified',
] as const;
export type ConflictType = (typeof CONFLICT_TYPES)[number];

/** The default range: now to now + 30 days; the longest: 366 days. */
export const DEFAULT_RANGE_DAYS = 30;
export const MAX_RANGE_DAYS = 366;
const DAY_MS = 86_400_000;

/** A live scheduled or in-progress task as the conflicts name it. */
export interface ConflictTask {
  id: string;
  aircraftId: string;
  tailNumber: string;
  type: string;
  start: Date;
  end: Date;
}

/** A successor scheduled earlier than a (non-void, active) predecessor allows. */
export interface DependencyViolationRow {
  dependencyId: string;
  dependencyType: DependencyType;
  lagMinutes: number;
  predecessor: ConflictTask;
  successor: ConflictTask;
  /** How much later the successor must move (requiredShiftMs), in ms, > 0. */
  shiftMs: number;
}

/** One mechanic on two overlapping active tasks; `first` starts first. */
export interface MechanicOverlapRow {
  mechanicId: string;
  mechanicEmail: string;
  first: ConflictTask;
  second: ConflictTask;
  overlapStart: Date;
  overlapEnd: Date;
}

/** A task that finishes after the due date of its program or of the directive it was booked for. */
export interface PastDueRow {
  task: ConflictTask;
  source: 'program' | 'directive';
  programId: string | null;
  directiveId: string | null;
  aircraftDirectiveId: string | null;
  /** The program's name or the directive's reference number. */
  name: string;
  dueDate: CalendarDay;
}

/** A required part the task will not have at its start. */
export interface PartsShortRow {
  task: ConflictTask;
  partDefinitionId: string;
  partName: string;
  required: number;
  reservedForTask: number;
  /** Free stock now (in stock, unexpired, unreserved). */
  available: number;
  /** Unreserved demand of earlier-starting active tasks for the definition. */
  demandBefore: number;
  short: number;
  /** Now plus the definition's lead time; null when it has none. */
  earliestArrival: Date | null;
}

/** What the qualification check needs of a task with a mechanic and matching requirements. */
export interface QualificationCase {
  task: ConflictTask;
  mechanicId: string;
  aircraftTypeId: string | null;
  aircraftTypeName: string | null;
  requirements: SkillRequirement[];
  /** Hours the mechanic logged on the aircraft type in each requirement's recency window. */
  recency: RecencySum[];
}

/** The facts of the range, each kind read once for the whole range. */
export interface ConflictsRepository {
  dependencyViolations(orgId: string, q: ConflictsQuery): Promise<DependencyViolationRow[]>;
  mechanicOverlaps(orgId: string, q: ConflictsQuery): Promise<MechanicOverlapRow[]>;
  pastDue(orgId: string, q: ConflictsQuery): Promise<PastDueRow[]>;
  partsShort(orgId: string, q: ConflictsQuery): Promise<PartsShortRow[]>;
  qualificationCases(orgId: string, q: ConflictsQuery): Promise<QualificationCase[]>;
}

/** The range the view reads: [from, to), optionally one aircraft, at `now`. */
export interface ConflictsQuery {
  from: Date;
  to: Date;
  now: Date;
  aircraftId?: string | undefined;
}

/** One conflict, ready to show. */
export interface Conflict {
  type: ConflictType;
  /** The tasks involved, the earliest-starting first. */
  taskIds: string[];
  aircraftIds: string[];
  mechanicId: string | null;
  /** The start of the first task (the list's order). */
  start: Date;
  sentence: string;
  /** Type-specific fields, snake_case as shown. */
  details: Record<string, unknown>;
}

export interface ConflictsInput extends OrgScope {
  from?: Date | undefined;
  to?: Date | undefined;
  aircraftId?: string | undefined;
  type?: ConflictType | undefined;
}

export interface ConflictsServiceDeps {
  uow: UnitOfWork;
  now?: () => Date;
}

const iso = (d: Date) => d.toISOString();
const label = (t: ConflictTask) => `${t.type} task ${t.id} on ${t.tailNumber}`;
const MINUTE_MS = 60_000;

/** "2 d 3 h 5 min" — how a planner reads a duration (rounded up to the minute). */
export function duration(ms: number): string {
  let minutes = Math.ceil(ms / MINUTE_MS);
  const days = Math.floor(minutes / 1440);
  minutes -= days * 1440;
  const hours = Math.floor(minutes / 60);
  minutes -= hours * 60;
  const parts = [days ? `${days} d` : '', hours ? `${hours} h` : '', minutes ? `${minutes} min` : ''];
  return parts.filter(Boolean).join(' ') || '0 min';
}

const DEPENDENCY_WORDS: Record<DependencyType, string> = {
  finish_to_start: 'may only start once it has finished',
  start_to_start: 'may only start once it has started',
  finish_to_finish: 'may only finish once it has finished',
};

function dependencyConflict(r: DependencyViolationRow): Conflict {
  const lag = r.lagMinutes > 0 ? ` plus ${duration(r.lagMinutes * MINUTE_MS)}` : '';
  const first = r.predecessor.start <= r.successor.start ? r.predecessor : r.successor;
  return {
    type: 'dependency_violation',
    taskIds: [r.predecessor.id, r.successor.id],
    aircraftIds: [...new Set([r.predecessor.aircraftId, r.successor.aircraftId])],
    mechanicId: null,
    start: first.start,
    sentence: `${label(r.successor)} starts ${iso(r.successor.start)} but depends on ${label(r.predecessor)} (${r.dependencyType.replaceAll('_', '-')}: it ${DEPENDENCY_WORDS[r.dependencyType]}${lag}); it must move ${duration(r.shiftMs)} later.`,
    details: {
      dependency_id: r.dependencyId,
      dependency_type: r.dependencyType,
      lag_minutes: r.lagMinutes,
      predecessor_id: r.predecessor.id,
      successor_id: r.successor.id,
      required_shift_minutes: Math.ceil(r.shiftMs / MINUTE_MS),
      earliest_start: iso(new Date(r.successor.start.getTime() + r.shiftMs)),
    },
  };
}

function overlapConflict(r: MechanicOverlapRow): Conflict {
  return {
    type: 'mechanic_overlap',
    taskIds: [r.first.id, r.second.id],
    aircraftIds: [...new Set([r.first.aircraftId, r.second.aircraftId])],
    mechanicId: r.mechanicId,
    start: r.first.start,
    sentence: `Mechanic ${r.mechanicEmail} is booked on ${label(r.first)} and ${label(r.second)} at the same time, from ${iso(r.overlapStart)} to ${iso(r.overlapEnd)} (${duration(r.overlapEnd.getTime() - r.overlapStart.getTime())}).`,
    details: { overlap_start: iso(r.overlapStart), overlap_end: iso(r.overlapEnd) },
  };
}

function pastDueConflict(r: PastDueRow): Conflict {
  const what = r.source === 'program' ? `program "${r.name}"` : `directive ${r.name}`;
  return {
    type: 'past_due',
    taskIds: [r.task.id],
    aircraftIds: [r.task.aircraftId],
    mechanicId: null,
    start: r.task.start,
    sentence: `${label(r.task)} finishes ${iso(r.task.end)}, after ${what} falls due on ${r.dueDate}.`,
    details: {
      due_source: r.source,
      due_date: r.dueDate,
      program_id: r.programId,
      directive_id: r.directiveId,
      aircraft_directive_id: r.aircraftDirectiveId,
    },
  };
}

function partsConflict(r: PartsShortRow): Conflict {
  const arrival =
    r.earliestArrival === null
      ? 'no lead time is recorded for it'
      : `new stock could arrive ${r.earliestArrival.toISOString().slice(0, 10)} at the earliest`;
  return {
    type: 'parts_short',
    taskIds: [r.task.id],
    aircraftIds: [r.task.aircraftId],
    mechanicId: null,
    start: r.task.start,
    sentence: `${label(r.task)} starting ${iso(r.task.start)} is ${r.short} short of ${r.required} × ${r.partName}: ${r.reservedForTask} reserved for it, ${r.available} free in stock and ${r.demandBefore} wanted by earlier tasks; ${arrival}.`,
    details: {
      part_definition_id: r.partDefinitionId,
      required: r.required,
      reserved: r.reservedForTask,
      available: r.available,
      demand_before: r.demandBefore,
      short: r.short,
      earliest_arrival: r.earliestArrival === null ? null : iso(r.earliestArrival),
    },
  };
}

function unqualifiedConflict(c: QualificationCase, email: string, missing: MissingQualification[]): Conflict {
  return {
    type: 'mechanic_unqualified',
    taskIds: [c.task.id],
    aircraftIds: [c.task.aircraftId],
    mechanicId: c.mechanicId,
    start: c.task.start,
    sentence: `Mechanic ${email} is assigned to ${label(c.task)} but is not qualified for it: ${describeMissing(missing)}.`,
    details: { missing },
  };
}

const ORDER: Record<ConflictType, number> = Object.fromEntries(
  CONFLICT_TYPES.map((t, i) => [t, i]),
) as Record<ConflictType, number>;

/** The list's order: start of the first task, type, then the task ids. */
function compare(a: Conflict, b: Conflict): number {
  return (
    a.start.getTime() - b.start.getTime() ||
    ORDER[a.type] - ORDER[b.type] ||
    a.taskIds.join(',').localeCompare(b.taskIds.join(',')) ||
    a.sentence.localeCompare(b.sentence)
  );
}

/** `GET /scheduling/conflicts`. */
export class ConflictsService {
  private readonly now: () => Date;

  constructor(private readonly deps: ConflictsServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async list(actor: Actor, input: ConflictsInput, page: Page): Promise<PageOf<Conflict>> {
    authorize(actor, 'scheduling_conflicts', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, input);
    const now = this.now();
    const from = input.from ?? now;
    const to = input.to ?? new Date(from.getTime() + DEFAULT_RANGE_DAYS * DAY_MS);
    refuseEmptyRange({ from, to });
    refuseLongRange({ from, to }, MAX_RANGE_DAYS);
    if (input.aircraftId !== undefined && !(await repos.dueList.aircraftExists(orgId, input.aircraftId))) {
      throw AppError.notFound('aircraft', 'AIRCRAFT_NOT_FOUND');
    }
    const q: ConflictsQuery = { from, to, now, aircraftId: input.aircraftId };
    const want = (t: ConflictType) => input.type === undefined || input.type === t;
    const none = Promise.resolve([]);
    const c = repos.conflicts;
    const [deps, overlaps, due, parts, cases] = await Promise.all([
      want('dependency_violation') ? c.dependencyViolations(orgId, q) : none,
      want('mechanic_overlap') ? c.mechanicOverlaps(orgId, q) : none,
      want('past_due') ? c.pastDue(orgId, q) : none,
      want('parts_short') ? c.partsShort(orgId, q) : none,
      want('mechanic_unqualified') ? c.qualificationCases(orgId, q) : none,
    ]);
    const all: Conflict[] = [
      ...deps.map(dependencyConflict),
      ...overlaps.map(overlapConflict),
      ...due.map(pastDueConflict),
      ...parts.map(partsConflict),
      ...(await this.unqualified(orgId, cases, now)),
    ];
    all.sort(compare);
    return pageOf(all.slice(page.offset, page.offset + page.limit + 1), page);
  }

  /** The qualification check now, fed by one facts read for every mechanic of the cases. */
  private async unqualified(orgId: string, cases: QualificationCase[], now: Date): Promise<Conflict[]> {
    if (cases.length === 0) return [];
    const people = await this.deps.uow.repos.qualifications.peopleFacts(orgId, {
      userIds: [...new Set(cases.map((c) => c.mechanicId))],
      aircraftTypeId: null,
      window: { start: now, end: new Date(now.getTime() + 1) },
      recencyDays: [],
    });
    const byId = new Map(people.map((p) => [p.userId, p]));
    return cases.flatMap((c) => {
      const person = byId.get(c.mechanicId);
      const facts: PersonFacts = {
        userId: c.mechanicId,
        certifications: person?.certifications ?? [],
        typeRatings: person?.typeRatings ?? [],
        skills: person?.skills ?? [],
        recency: c.recency,
      };
      const result = checkQualification({
        requirements: c.requirements,
        person: facts,
        aircraftTypeId: c.aircraftTypeId,
        aircraftTypeName: c.aircraftTypeName,
        window: { start: c.task.start, end: c.task.end },
        purpose: 'perform',
      });
      return result.qualified ? [] : [unqualifiedConflict(c, person?.email ?? c.mechanicId, result.missing)];
    });
  }
}
