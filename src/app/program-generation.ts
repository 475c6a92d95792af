import pMap from 'p-map';
import {
  firstFreeStart,
  planGeneration,
  type BusyWindow,
  type GenerationPlan,
} from '../domain/program-generation.js';
import type { MaintenanceProgram } from '../domain/program.js';
import type { MaintenanceTask, TaskType } from '../domain/task.js';
import { authorize, resolveOrgScope } from './access.js';
import type { Actor, RequestContext } from './actor.js';
import { auditActor, type AuditActor } from './audit.js';
import { AppError } from './errors.js';
import { outsideIdempotentAttempt } from './idempotency.js';
import type { Repositories, UnitOfWork } from './ports.js';

/** One task to insert: the program's plan, the window found for it, and how it came about. */
export interface GenerationRequest {
  plan: GenerationPlan;
  taskType: TaskType;
  startTime: Date;
  endTime: Date;
  generated: GenerationDetails;
}

/** How a generated task came about, as its audit row (`generated`) and `program_task_generated` event tell it. */
export interface GenerationDetails {
  program_id: string;
  due_at: string | null;
  remaining: number | null;
  planned_start_time: string;
  /** Whether the task starts later than its program asked (the window was taken). */
  moved: boolean;
  generated_at: string;
}

/** Whom the generated tasks' audit rows name, and whether the insert answers the tasks themselves. */
export interface GenerationRecord {
  actor: AuditActor;
  /** A run that lists its tasks needs them; a summary-only run (the worker's) counts them. */
  withTasks: boolean;
}

/** A task the insert placed: its program, and the task itself when it was asked for. */
export interface PlacedTask {
  programId: string;
  task?: MaintenanceTask | undefined;
}

/** An aircraft, as the generator pages through the fleet: ordered by organization, then id. */
export interface AircraftKey {
  orgId: string;
  aircraftId: string;
}

/**
 * A slice of the fleet, `first` to `last` inclusive in key order. Ranges, not lists: one range
 * condition filters a scan the same way whatever the planner believes about table sizes.
 */
export interface AircraftRange {
  first: AircraftKey;
  last: AircraftKey;
}

/** Orders aircraft keys as PostgreSQL orders (org_id, id): lower-case UUID text sorts like the bytes. */
export const compareKeys = (a: AircraftKey, b: AircraftKey): number =>
  a.orgId === b.orgId ? a.aircraftId.localeCompare(b.aircraftId) : a.orgId.localeCompare(b.orgId);

/** The smallest range holding all `keys` (at least one). */
export function rangeOf(keys: AircraftKey[]): AircraftRange {
  const sorted = [...keys].sort(compareKeys);
  return { first: sorted[0]!, last: sorted.at(-1)! };
}

/**
 * The program generator's SQL. Candidates are live programs bound to a live aircraft, due by the
 * rules of `domain/program-generation.ts`, with no live scheduled or in-progress task.
 */
export interface ProgramGenerationRepository {
  /** The next `limit` live aircraft after `after` (of one organization, or all), in key order. */
  nextAircraft(input: {
    orgId?: string | undefined;
    after?: AircraftKey | undefined;
    limit: number;
  }): Promise<AircraftKey[]>;
  /**
   * Due candidates of the aircraft in `range` and/or of `programIds`, at most one per aircraft
   * (its oldest program first), so one batch never books one aircraft twice; each says how many
   * programs of its aircraft the same read found due.
   */
  findCandidates(input: {
    now: Date;
    range?: AircraftRange | undefined;
    programIds?: string[] | undefined;
  }): Promise<CandidateProgram[]>;
  /** Locks the aircraft (in key order) as every task change does, serialising their schedules. */
  lockAircraft(aircraft: AircraftKey[]): Promise<void>;
  /** The windows of live scheduled and in-progress tasks in `range` that end after `from`. */
  busyWindows(range: AircraftRange, from: Date): Promise<(AircraftKey & BusyWindow)[]>;
  /**
   * Inserts one scheduled task per request, with its creation audit row and its `task_created`
   * and `program_task_generated` events, in one statement: PostgreSQL builds each task's view for
   * them from the row it inserted (src/infra/postgres/json-views.ts), where Node would parse every
   * row and send its view back three times (a quarter of a large run). A program that meanwhile
   * got an active task, or a window the exclusion constraint refuses (a race), is left out rather
   * than failing the batch.
   */
  insertTasks(requests: GenerationRequest[], record: GenerationRecord): Promise<PlacedTask[]>;
  /** A live scheduled or in-progress task of the program, if any. */
  findActiveTask(orgId: string, programId: string): Promise<string | undefined>;
}

/** A due program, and how many due programs its aircraft has in all (itself included). */
export interface CandidateProgram extends MaintenanceProgram {
  dueOnAircraft: number;
}

/** Why the generator made no task for a program it was asked about. */
export type SkipReason = 'TEMPLATE_PROGRAM' | 'NOT_DUE' | 'ACTIVE_TASK_EXISTS' | 'CONCURRENT_CHANGE';

/** A program the generator looked at and left alone, with the reason. */
export interface SkippedProgram {
  programId: string;
  reason: SkipReason;
  message: string;
}

/** A generated task and the plan behind it. */
export interface GeneratedTask {
  task: MaintenanceTask;
  plan: GenerationPlan;
}

/** What one run of the generator did. */
export interface GenerationResult {
  /** The tasks made, with their plans; empty for a `summaryOnly` run. */
  generated: GeneratedTask[];
  /** How many tasks were made, and how many of them were moved to the aircraft's next free window. */
  counts: { generated: number; moved: number };
  skipped: SkippedProgram[];
}

/** A run of the generator: for one org (or all), one program (or all due), as whom and when. */
export interface GenerateDueInput {
  /** The organization to generate for; unset: the user's own, or every org for a system actor. */
  orgId?: string | undefined;
  /** Only this program (404 PROGRAM_NOT_FOUND unless it is a live program of the org). */
  programId?: string | undefined;
  now: Date;
  actor: Actor;
  request?: RequestContext | undefined;
  /**
   * Count the tasks instead of listing them: a run over a large fleet then holds one batch at a
   * time, not every task it made (the worker's job needs only the counts).
   */
  summaryOnly?: boolean | undefined;
}

/** Aircraft per batch (and transaction): keeps each one short; the run pages through them all. */
const DEFAULT_BATCH_SIZE = 1_000;
/**
 * Batches in flight at once. PostgreSQL does most of a batch's work (the inserts and their
 * indexes), so a second batch keeps a second core busy; more only queue on a small machine.
 */
const DEFAULT_CONCURRENCY = 2;

/** A guard against a run that never ends; a round places at least one task or is the last. */
const MAX_ROUNDS = 10_000;

/**
 * Which candidates one batch looks at: a slice of the fleet, named programs, or (a later round)
 * the aircraft of a slice that had a candidate in the round before.
 */
type BatchScope = { range: AircraftRange } | { programIds: string[] } | { revisit: AircraftKey[] };

/**
 * What one batch did: the tasks it made, the candidates another change got to first, and the
 * aircraft to look at again in the next round (those with more due programs, and the lost ones).
 */
interface BatchOutcome {
  placed: Placement[];
  lost: MaintenanceProgram[];
  revisit: AircraftKey[];
}

/** A request that got its task, and the task when the run lists its tasks. */
interface Placement {
  request: GenerationRequest;
  task: MaintenanceTask | undefined;
}

const keyOf = (program: MaintenanceProgram): AircraftKey => ({
  orgId: program.orgId,
  aircraftId: program.aircraftId!,
});

/**
 * Generates the scheduled tasks of due maintenance programs (see `domain/program-generation.ts`
 * for the rules). Pages through the fleet in batches of aircraft; each batch takes at most one
 * due program per aircraft and places its task in one transaction that locks those aircraft (the
 * lock every task change takes), re-reads the candidates and inserts their tasks — so two
 * generators at once, or a generator and a person planning a task, never give a program a second
 * active task. Aircraft with more than one due program get the next one in the next round. A
 * window taken by another task moves the new task to the aircraft's next free window. Each task
 * gets an audit row and the `task_created` and `program_task_generated` events in its batch's
 * transaction, written by the statement that inserts it (`insertTasks`).
 */
export class ProgramGenerationService {
  private readonly batchSize: number;
  private readonly concurrency: number;

  constructor(private readonly deps: { uow: UnitOfWork; batchSize?: number; concurrency?: number }) {
    this.batchSize = deps.batchSize ?? DEFAULT_BATCH_SIZE;
    this.concurrency = deps.concurrency ?? DEFAULT_CONCURRENCY;
  }

  /**
   * Not recorded for an Idempotency-Key's recovery: batches run concurrently, in an order the
   * fleet decides, and generating again places nothing twice, so a retry after a crash simply
   * runs the generator again.
   */
  generateDue(input: GenerateDueInput): Promise<GenerationResult> {
    return outsideIdempotentAttempt(() => this.generateDueNow(input));
  }

  private async generateDueNow(input: GenerateDueInput): Promise<GenerationResult> {
    const { actor, now } = input;
    authorize(actor, 'maintenance_programs', 'generate');
    const repos = this.deps.uow.repos;
    const orgId =
      actor.kind === 'user' || input.orgId !== undefined
        ? await resolveOrgScope(repos.organizations, actor, { orgId: input.orgId })
        : undefined;
    if (input.programId !== undefined) {
      if (orgId === undefined) throw AppError.validation('a program is generated within one organization');
      const skipped = await this.whyNotDue(orgId, input.programId, now);
      if (skipped) return { generated: [], counts: { generated: 0, moved: 0 }, skipped: [skipped] };
      const outcome = await this.generateBatch(input, { programIds: [input.programId] });
      return {
        generated: listed(outcome.placed),
        counts: countPlaced(outcome.placed),
        skipped: outcome.lost.map(lostRace),
      };
    }
    const generated: GeneratedTask[] = [];
    const counts = { generated: 0, moved: 0 };
    let lost: MaintenanceProgram[] = [];
    // Round 1 pages through the whole fleet; later rounds revisit the aircraft with more due
    // programs than the round placed (and those whose candidate another change got to first).
    let revisit: AircraftKey[] | undefined;
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      const touched: AircraftKey[] = [];
      const placedBefore = counts.generated;
      lost = [];
      // Batches cover disjoint slices of the fleet, so they lock disjoint aircraft and never wait
      // for each other: a few run at once, each in its own transaction on its own connection.
      await pMap(
        this.aircraftBatches(orgId, revisit),
        async (scope) => {
          const outcome = await this.generateBatch(input, scope);
          const batch = countPlaced(outcome.placed);
          counts.generated += batch.generated;
          counts.moved += batch.moved;
          generated.push(...listed(outcome.placed));
          lost.push(...outcome.lost);
          touched.push(...outcome.revisit);
        },
        { concurrency: this.concurrency },
      );
      if (counts.generated === placedBefore || touched.length === 0) break;
      revisit = touched;
    }
    return { generated, counts, skipped: lost.map(lostRace) };
  }

  /** The fleet in slices of about one batch, or the aircraft to revisit in batches of them. */
  private async *aircraftBatches(
    orgId: string | undefined,
    revisit: AircraftKey[] | undefined,
  ): AsyncGenerator<BatchScope> {
    if (revisit !== undefined) {
      const sorted = [...revisit].sort(compareKeys);
      for (let i = 0; i < sorted.length; i += this.batchSize) {
        yield { revisit: sorted.slice(i, i + this.batchSize) };
      }
      return;
    }
    let after: AircraftKey | undefined;
    for (;;) {
      const aircraft = await this.deps.uow.repos.programGeneration.nextAircraft({
        orgId,
        after,
        limit: this.batchSize,
      });
      if (aircraft.length === 0) return;
      yield { range: rangeOf(aircraft) };
      after = aircraft.at(-1);
    }
  }

  /** Why one program generates nothing now, or undefined when it is due (404 when it does not exist). */
  private async whyNotDue(orgId: string, programId: string, now: Date): Promise<SkippedProgram | undefined> {
    const repos = this.deps.uow.repos;
    const program = await repos.programs.findById(orgId, programId);
    if (!program) throw AppError.notFound('maintenance program', 'PROGRAM_NOT_FOUND');
    const active = await repos.programGeneration.findActiveTask(orgId, programId);
    if (active !== undefined) {
      return {
        programId,
        reason: 'ACTIVE_TASK_EXISTS',
        message: `task ${active} of the program is still scheduled or in progress`,
      };
    }
    const decision = planGeneration(program, now);
    if ('plan' in decision) return undefined;
    return {
      programId,
      reason: decision.reason,
      message:
        decision.reason === 'TEMPLATE_PROGRAM'
          ? 'a template program is bound to no aircraft and generates no tasks'
          : 'the program is not due within its lead yet',
    };
  }

  /**
   * Places the tasks of one batch's candidates in one transaction. A slice of the fleet or named
   * programs are read first, so a batch with nothing due takes no locks; the aircraft to revisit
   * had another due program a moment ago, so they are locked at once and read under the locks.
   */
  private async generateBatch(input: GenerateDueInput, scope: BatchScope): Promise<BatchOutcome> {
    const { now } = input;
    let candidates: CandidateProgram[] | undefined;
    if (!('revisit' in scope)) {
      candidates = await this.deps.uow.repos.programGeneration.findCandidates({ now, ...scope });
      if (candidates.length === 0) return { placed: [], lost: [], revisit: [] };
    }
    const locked = 'revisit' in scope ? scope.revisit : candidates!.map(keyOf);
    let considered = candidates ?? [];
    const record: GenerationRecord = {
      actor: auditActor(input.actor, input.request),
      withTasks: !input.summaryOnly,
    };
    // Not through `mutate`: the insert writes each task's audit row and events itself, in this
    // transaction, and a batch that placed nothing has nothing to record.
    const placed = await this.deps.uow.transaction(async (tx) => {
      await tx.programGeneration.lockAircraft(locked);
      // Read again under the locks: a task planned or completed meanwhile changes the picture.
      const range = 'range' in scope ? scope.range : 'revisit' in scope ? rangeOf(locked) : undefined;
      const fresh = await tx.programGeneration.findCandidates({
        now,
        programIds: candidates?.map((program) => program.id),
        range,
      });
      // A revisit's range may span aircraft it did not lock: those wait for the next run.
      const isLocked = new Set(locked.map(({ orgId, aircraftId }) => `${orgId}/${aircraftId}`));
      const mine = fresh.filter((program) => isLocked.has(`${program.orgId}/${program.aircraftId}`));
      if (candidates === undefined) considered = mine;
      const plans = mine.flatMap((program) => {
        const decision = planGeneration(program, now);
        return 'plan' in decision ? [{ program, plan: decision.plan }] : [];
      });
      return placePlannedTasks(tx.programGeneration, plans, now, record);
    });
    const done = new Set(placed.map(({ request }) => request.plan.programId));
    const lost = considered.filter((program) => !done.has(program.id));
    // The counts of the read over the whole slice (the read under the locks of a slice names its
    // candidates only, one per aircraft).
    const more = considered.filter((program) => done.has(program.id) && program.dueOnAircraft > 1);
    return { placed, lost, revisit: [...more, ...lost].map(keyOf) };
  }
}

/** A program and the task its plan asks for. */
interface PlannedProgram {
  program: MaintenanceProgram;
  plan: GenerationPlan;
}

/**
 * Inserts the planned tasks, each at its planned start or its aircraft's next free window, with
 * their audit rows and events. The caller holds the aircraft's locks (the lock every task change
 * takes first), so the busy windows read here stay true until it commits; a program that got an
 * active task meanwhile is left out by the insert's guard. One placement for the generator's
 * batches and a completion's next occurrence alike.
 */
async function placePlannedTasks(
  repo: ProgramGenerationRepository,
  plans: PlannedProgram[],
  now: Date,
  record: GenerationRecord,
): Promise<Placement[]> {
  if (plans.length === 0) return [];
  const busy = await busyByAircraft(
    repo,
    plans.map(({ program }) => keyOf(program)),
    now,
  );
  const requests = plans.map(({ program, plan }): GenerationRequest => {
    const startTime = firstFreeStart(plan.startTime, program.taskDurationMinutes, busy(program));
    const endTime = new Date(startTime.getTime() + program.taskDurationMinutes * 60_000);
    return {
      plan,
      taskType: program.taskType,
      startTime,
      endTime,
      generated: generationDetails(plan, startTime, now),
    };
  });
  const placed = await repo.insertTasks(requests, record);
  const byProgram = new Map(requests.map((request) => [request.plan.programId, request]));
  return placed.map(({ programId, task }) => ({ request: byProgram.get(programId)!, task }));
}

/**
 * Schedules the next occurrence of a program whose task has just completed, inside the
 * completion's transaction, so the planner sees it at once instead of after the generator's next
 * run: a calendar program's next task at its next due point however far ahead (the generator's
 * rules otherwise, `planGeneration` with `regardlessOfLead`), placed as the generator places it,
 * its audit row naming whoever completed the task. Nothing for a template, for a usage program not
 * yet within its lead (its due day is not known; the generator places it once it is), or when the
 * program still has another active task. The generator, which locks the aircraft and re-reads
 * under the lock, then finds the new task and makes no second one.
 */
export async function scheduleNextOccurrence(
  tx: Repositories,
  input: { orgId: string; programId: string; now: Date; actor: AuditActor },
): Promise<void> {
  const program = await tx.programs.findById(input.orgId, input.programId);
  if (!program?.aircraftId) return;
  // The completion holds its task's aircraft, which is the program's; locking again is a no-op
  // then, and keeps the generator's lock order should the two ever differ.
  await tx.programGeneration.lockAircraft([keyOf(program)]);
  const decision = planGeneration(program, input.now, { regardlessOfLead: true });
  if (!('plan' in decision)) return;
  await placePlannedTasks(tx.programGeneration, [{ program, plan: decision.plan }], input.now, {
    actor: input.actor,
    withTasks: false,
  });
}

/** The busy windows of each aircraft, read in one query, looked up by program. */
async function busyByAircraft(
  repo: ProgramGenerationRepository,
  aircraft: AircraftKey[],
  from: Date,
): Promise<(program: MaintenanceProgram) => BusyWindow[]> {
  const windows = aircraft.length === 0 ? [] : await repo.busyWindows(rangeOf(aircraft), from);
  const byAircraft = new Map<string, BusyWindow[]>();
  for (const window of windows) {
    const key = `${window.orgId}/${window.aircraftId}`;
    const list = byAircraft.get(key);
    if (list) list.push(window);
    else byAircraft.set(key, [window]);
  }
  return (program) => byAircraft.get(`${program.orgId}/${program.aircraftId}`) ?? [];
}

/** Whether a task starting at `startTime` starts later than its plan asked: the planned window was taken. */
const movedFrom = (plan: GenerationPlan, startTime: Date): boolean =>
  startTime.getTime() !== plan.startTime.getTime();

/** Whether a generated task starts later than its program asked. */
export const wasMoved = ({ task, plan }: GeneratedTask): boolean => movedFrom(plan, task.startTime);

/** How many tasks a list holds, and how many of them left the window their program asked for. */
export const countGenerated = (generated: GeneratedTask[]): GenerationResult['counts'] => ({
  generated: generated.length,
  moved: generated.filter(wasMoved).length,
});

/** How many tasks a batch made, and how many of them left the window their program asked for. */
const countPlaced = (placed: Placement[]): GenerationResult['counts'] => ({
  generated: placed.length,
  moved: placed.filter(({ request }) => request.generated.moved).length,
});

/** The tasks placed, with their plans, when the run asked for them (none in a summary-only run). */
const listed = (placed: Placement[]): GeneratedTask[] =>
  placed.flatMap(({ request, task }) => (task ? [{ task, plan: request.plan }] : []));

/** A due program another transaction got to first (it made the task, or took the window). */
const lostRace = (program: MaintenanceProgram): SkippedProgram => ({
  programId: program.id,
  reason: 'CONCURRENT_CHANGE',
  message: 'another change to the program or its aircraft won the race; the next run retries',
});

/**
 * What a generated task's audit row (under `generated`) and its `program_task_generated` event say
 * of its generation. The rest of both, and its `task_created` event, show the task as `taskView`
 * does: the creation a person's POST would record (built in SQL by `insertTasks`).
 */
function generationDetails(plan: GenerationPlan, startTime: Date, now: Date): GenerationDetails {
  return {
    program_id: plan.programId,
    due_at: plan.dueAt?.toISOString() ?? null,
    remaining: plan.remaining,
    planned_start_time: plan.startTime.toISOString(),
    moved: movedFrom(plan, startTime),
    generated_at: now.toISOString(),
  };
}
