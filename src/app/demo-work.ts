import { verifyPassword } from '../auth/passwords.js';
import type { TaskType } from '../domain/task.js';
import { systemActor, type UserActor } from './actor.js';
import { AircraftService } from './aircraft.js';
import { ComplianceService } from './compliance.js';
import { AppError } from './errors.js';
import { NO_LOCKS } from './locks.js';
import { NO_LOGIN_LIMITS } from './login-limiter.js';
import type { MaintenanceTask } from '../domain/task.js';
import { MAX_PAGE_SIZE } from './pagination.js';
import { PartService } from './parts.js';
import type { UnitOfWork } from './ports.js';
import { TaskService } from './tasks.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Work the demo mechanic did in the weeks before seeding: each task is created the day before its
 * window, started at its start, its compliance item signed and the task completed `workedHours`
 * later (past its end when that is longer than `hours`: completed late) — or cancelled the day
 * before. The dashboard's on-time rate and turnaround of the last 30 days come from these.
 */
export const DEMO_PAST_WORK: readonly {
  tailNumber: string;
  type: TaskType;
  notes: string;
  /** The window starts this many days before seeding, at 08:00 UTC. */
  daysAgo: number;
  hours: number;
  /** Hours from start to completion; unset: cancelled the day before. */
  workedHours?: number;
  /** The compliance item the mechanic signs off (`pass`) before completing. */
  signed?: string;
}[] = [
  {
    tailNumber: 'N101DA',
    type: 'inspection',
    notes: 'Demo history: weekly check',
    daysAgo: 21,
    hours: 4,
    workedHours: 3.5,
    signed: 'Weekly check: tyres, brakes, fluid levels and placards checked',
  },
  {
    tailNumber: 'N201DA',
    type: 'repair',
    notes: 'Demo history: left outer main wheel and tyre change',
    daysAgo: 12,
    hours: 3,
    // a seized axle nut: finished an hour and a half late
    workedHours: 4.5,
    signed: 'Wheel installed, axle nut torqued and locked, tyre pressure set',
  },
  {
    tailNumber: 'N102DA',
    type: 'inspection',
    notes: 'Demo history: weekly check and tyre pressure top-up',
    daysAgo: 7,
    hours: 4,
    workedHours: 3,
    signed: 'Weekly check: tyres, brakes, fluid levels and placards checked',
  },
  {
    tailNumber: 'N101DA',
    type: 'repair',
    notes: 'Demo history: cabin reading light replacement, row 14 (deferred to the A-check)',
    daysAgo: 4,
    hours: 2,
  },
];

/**
 * The demo's work around the moment of seeding, on the hour: a task nobody started since the day
 * before (overdue; the planner put its aircraft into maintenance by hand), the demo mechanic's task
 * of the day, started two hours ago, and the second mechanic's task right after it on the same aircraft.
 */
export const DEMO_CURRENT_WORK: readonly {
  tailNumber: string;
  type: TaskType;
  notes: string;
  /** The window starts this many hours after the hour of seeding (negative: before). */
  startsInHours: number;
  hours: number;
  mechanicEmail?: string;
  /** Started at its start. */
  started: boolean;
  /** The planner set the aircraft's status to `maintenance` by hand when this task was created. */
  inHangar?: boolean;
}[] = [
  {
    tailNumber: 'N201DA',
    type: 'inspection',
    notes: 'Demo: lavatory smoke detector functional test (not started)',
    startsInHours: -26,
    hours: 2,
    started: false,
    inHangar: true,
  },
  {
    tailNumber: 'N101DA',
    type: 'inspection',
    notes: 'Demo: No. 2 engine borescope inspection',
    startsInHours: -2,
    hours: 6,
    mechanicEmail: 'mechanic@demo.local',
    started: true,
  },
  {
    // on the aircraft already on the ground, after the borescope, so no other aircraft is grounded for it
    tailNumber: 'N101DA',
    type: 'repair',
    notes: 'Demo: cabin pressure controller fault isolation',
    startsInHours: 4,
    hours: 3,
    mechanicEmail: 'mechanic2@demo.local',
    started: false,
  },
];

/** The demo A-check's brake assembly, reserved from stock, so the dashboard's fill rate has a figure. */
export const DEMO_RESERVATION = { taskNotes: 'Demo: A-check with brake inspection', serial: 'BRK-1001' };

/** Who does the demo's work and signs its records, with the documented demo password. */
export interface DemoWorker {
  email: string;
  password: string;
}

/**
 * The demo's work done and under way, so a fresh start shows every dashboard figure: completed
 * (on time and late), cancelled, in progress now with the demo mechanic on it, overdue, a signed
 * compliance item and a part reserved for an open task. Everything goes through the services on a
 * clock set to when it happened, so the history reads as it would have been recorded: tasks and
 * their transitions audited as `system:seed`, the sign-offs as the mechanic who signs with the
 * demo password (none when that password no longer opens the account). Idempotent by the tasks' notes per aircraft; nothing when the mechanic or an
 * aircraft is missing. Returns how many records it created.
 */
export async function seedDemoWork(uow: UnitOfWork, orgId: string, worker: DemoWorker): Promise<number> {
  const [mechanic] = await uow.repos.users.findCredentials(worker.email, orgId);
  if (!mechanic) return 0;
  const signer: UserActor = { kind: 'user', userId: mechanic.id, orgId, role: mechanic.role, scopes: [] };
  // Someone changed the mechanic's password: the history is recorded without signatures. Checked
  // only once a signature is due (a bcrypt comparison costs a restart that books nothing ~0.3 s).
  let signs: Promise<boolean> | undefined;
  const canSign = () => (signs ??= verifyPassword(worker.password, mechanic.passwordHash));
  const seed = { actor: systemActor('seed') };
  let clock = new Date();
  const now = () => clock;
  const tasks = new TaskService({ uow, now });
  const compliance = new ComplianceService({ uow, loginLimiter: NO_LOGIN_LIMITS, now });
  const seededAt = new Date();
  const onTheHour = new Date(Math.floor(seededAt.getTime() / HOUR_MS) * HOUR_MS);
  let created = 0;
  /** Books the work, the day before its start, unless its aircraft is missing or it is booked already. */
  const book = async (
    work: { tailNumber: string; type: TaskType; notes: string; hours: number },
    start: Date,
    mechanicId: string | undefined,
  ) => {
    const aircraft = await uow.repos.aircraft.findByTailNumber(orgId, work.tailNumber);
    if (!aircraft || (await findTaskByNotes(uow, orgId, aircraft.id, work.notes))) return undefined;
    clock = new Date(start.getTime() - DAY_MS);
    created += 1;
    return tasks.create(seed, {
      orgId,
      aircraftId: aircraft.id,
      type: work.type,
      startTime: start,
      endTime: new Date(start.getTime() + work.hours * HOUR_MS),
      assignedMechanicId: mechanicId,
      notes: work.notes,
    });
  };

  for (const work of DEMO_PAST_WORK) {
    const start = new Date(seededAt.getTime() - work.daysAgo * DAY_MS);
    start.setUTCHours(8, 0, 0, 0);
    const task = await book(work, start, mechanic.id);
    if (!task) continue;
    if (work.workedHours === undefined) {
      await tasks.transition(seed, task.id, { newState: 'cancelled' }, { orgId });
      continue;
    }
    const item =
      work.signed && (await canSign())
        ? await compliance.create(seed, { orgId, taskId: task.id, description: work.signed })
        : undefined;
    clock = start;
    await tasks.transition(seed, task.id, { newState: 'in_progress' }, { orgId });
    const done = new Date(start.getTime() + work.workedHours * HOUR_MS);
    if (item) {
      clock = new Date(done.getTime() - 0.25 * HOUR_MS);
      await compliance.signOff(
        { actor: signer },
        item.id,
        { password: worker.password, result: 'pass' },
        { orgId },
      );
      created += 1;
    }
    clock = done;
    const early = work.workedHours < work.hours;
    await tasks.transition(
      seed,
      task.id,
      { newState: 'completed', ...(early ? { allowEarlyCompletion: true } : {}) },
      { orgId },
    );
  }

  for (const work of DEMO_CURRENT_WORK) {
    const [assignee] = work.mechanicEmail
      ? await uow.repos.users.findCredentials(work.mechanicEmail, orgId)
      : [];
    const start = new Date(onTheHour.getTime() + work.startsInHours * HOUR_MS);
    const task = await book(work, start, assignee?.id);
    if (!task) continue;
    if (work.inHangar)
      await new AircraftService({ uow }).update(seed, task.aircraftId, { status: 'maintenance' }, { orgId });
    if (work.started) {
      clock = start;
      await tasks.transition(seed, task.id, { newState: 'in_progress' }, { orgId });
    }
  }
  return created + (await reserveDemoPart(uow, orgId));
}

/** Reserves the demo A-check's brake assembly when the A-check has no reservation yet. */
async function reserveDemoPart(uow: UnitOfWork, orgId: string): Promise<number> {
  const page = { limit: MAX_PAGE_SIZE, offset: 0 };
  const [task] = (
    await uow.repos.tasks.list(
      orgId,
      { state: 'scheduled' },
      [{ field: 'start_time', direction: 'asc' }],
      page,
    )
  ).filter((t) => t.notes === DEMO_RESERVATION.taskNotes);
  const [item] = await uow.repos.parts.listItems(
    orgId,
    { serial: DEMO_RESERVATION.serial },
    [{ field: 'serial_number', direction: 'asc' }],
    page,
  );
  if (!task || !item || item.status !== 'in_stock') return 0;
  const held = await uow.repos.parts.listReservations(
    orgId,
    { taskId: task.id },
    [{ field: 'created_at', direction: 'asc' }],
    page,
  );
  if (held.length > 0) return 0;
  try {
    await new PartService({ uow, locks: NO_LOCKS }).reserve(
      { actor: systemActor('seed') },
      { orgId, taskId: task.id, partItemId: item.id },
    );
    return 1;
  } catch (error) {
    // Reserved for another task meanwhile: the demo goes on without it.
    if (error instanceof AppError && error.kind === 'conflict') return 0;
    throw error;
  }
}

/** The live task of an aircraft with these notes: how the demo knows what it already created. */
export async function findTaskByNotes(
  uow: UnitOfWork,
  orgId: string,
  aircraftId: string,
  notes: string,
): Promise<MaintenanceTask | undefined> {
  const tasks = await uow.repos.tasks.list(
    orgId,
    { aircraftId },
    [{ field: 'start_time', direction: 'asc' }],
    { limit: MAX_PAGE_SIZE, offset: 0 },
  );
  return tasks.find((task) => task.notes === notes);
}
