import type { TaskState } from './task.js';

// The scheduling rules: task priorities, dependencies between tasks and what they demand of the
// tasks' windows and states, and the cascade that moves dependent tasks when one moves. Pure: the
// services load the facts and persist the plans; the conflicts view mirrors `requiredShiftMs` in SQL.

/** How urgent a task is, least to most. */
export const TASK_PRIORITIES = ['routine', 'urgent', 'aog', 'critical'] as const;
export type TaskPriority = (typeof TASK_PRIORITIES)[number];

/**
 * How a successor depends on its predecessor: finish-to-start (the successor starts after the
 * predecessor finishes), start-to-start (starts after it starts), finish-to-finish (finishes after
 * it finishes); each plus the dependency's lag.
 */
export const DEPENDENCY_TYPES = ['finish_to_start', 'start_to_start', 'finish_to_finish'] as const;
export type DependencyType = (typeof DEPENDENCY_TYPES)[number];

/** The longest lag a dependency may carry: 365 days, in minutes. */
export const MAX_LAG_MINUTES = 365 * 24 * 60;

const MINUTE_MS = 60_000;

/** A task's time window, [start, end). */
export interface TaskWindow {
  start: Date;
  end: Date;
}

/** A dependency of `successorId` on `predecessorId`. */
export interface TaskDependency {
  id: string;
  predecessorId: string;
  successorId: string;
  type: DependencyType;
  /** Minutes that must pass after the predecessor's start or finish; 0 or more. */
  lagMinutes: number;
}

/**
 * How far (ms, 0 or more) the successor's window must move later for the dependency to hold:
 * finish-to-start needs successor.start ≥ predecessor.end + lag, start-to-start successor.start ≥
 * predecessor.start + lag, finish-to-finish successor.end ≥ predecessor.end + lag.
 */
export function requiredShiftMs(
  dependency: Pick<TaskDependency, 'type' | 'lagMinutes'>,
  predecessor: TaskWindow,
  successor: TaskWindow,
): number {
  const lag = dependency.lagMinutes * MINUTE_MS;
  const [earliest, actual] =
    dependency.type === 'finish_to_start'
      ? [predecessor.end.getTime() + lag, successor.start.getTime()]
      : dependency.type === 'start_to_start'
        ? [predecessor.start.getTime() + lag, successor.start.getTime()]
        : [predecessor.end.getTime() + lag, successor.end.getTime()];
  return Math.max(0, earliest - actual);
}

/** A predecessor as the state machine sees it when its successor moves. */
export interface PredecessorFacts {
  dependencyId: string;
  predecessorId: string;
  type: DependencyType;
  state: TaskState;
  /** Deleted predecessors, like cancelled ones, no longer hold anything up. */
  deleted: boolean;
}

/**
 * Whether a predecessor still counts: a cancelled or deleted one will never be done, so it no
 * longer holds its successors (their views say so, and a planner decides what to do).
 */
export const isVoidPredecessor = (p: Pick<PredecessorFacts, 'state' | 'deleted'>): boolean =>
  p.deleted || p.state === 'cancelled';

/**
 * The predecessors that keep a task from moving to `to`: a start waits for its finish-to-start
 * predecessors to be completed and its start-to-start ones to have started; a completion waits
 * for its finish-to-finish predecessors to be completed. Empty: nothing blocks.
 */
export function dependencyBlockers(
  to: TaskState,
  predecessors: readonly PredecessorFacts[],
): PredecessorFacts[] {
  return predecessors.filter((p) => {
    if (isVoidPredecessor(p)) return false;
    if (to === 'in_progress') {
      if (p.type === 'finish_to_start') return p.state !== 'completed';
      if (p.type === 'start_to_start') return p.state !== 'in_progress' && p.state !== 'completed';
      return false;
    }
    if (to === 'completed') return p.type === 'finish_to_finish' && p.state !== 'completed';
    return false;
  });
}

/** Why a task may not gain a dependency on another, as a refusal with its reason. */
export interface LinkRefusal {
  reason: 'TASK_FINAL' | 'PREDECESSOR_CANCELLED';
  message: string;
  /** The request field at fault, when one is. */
  field?: string;
}

/**
 * Why `successor` may not start to depend on `predecessor`, or undefined: a completed or cancelled
 * task never waits for anything again, and a cancelled task will never be done, so nothing may
 * wait for it. (Both are live tasks of one organization; a cycle is the database's graph to check.)
 */
export function linkRefusal(
  successor: { state: TaskState },
  predecessor: { id: string; state: TaskState },
): LinkRefusal | undefined {
  if (successor.state === 'completed' || successor.state === 'cancelled') {
    return {
      reason: 'TASK_FINAL',
      message: `the task is ${successor.state} and can no longer gain dependencies`,
    };
  }
  if (predecessor.state === 'cancelled') {
    return {
      reason: 'PREDECESSOR_CANCELLED',
      message: `task ${predecessor.id} is cancelled and will never be done; a task cannot wait for it`,
      field: 'body.predecessor_id',
    };
  }
  return undefined;
}

/** Why a blocker blocks, in words: "task X (scheduled) must be completed first (finish-to-start)". */
export function blockerSentence(blocker: PredecessorFacts): string {
  const need = blocker.type === 'start_to_start' ? 'must have started first' : 'must be completed first';
  return `task ${blocker.predecessorId} (${blocker.state}) ${need} (${blocker.type.replaceAll('_', '-')})`;
}

// ---------------------------------------------------------------------------------------------
// Cascade rescheduling
// ---------------------------------------------------------------------------------------------

/** A task the cascade may look at or move. */
export interface CascadeTask {
  id: string;
  aircraftId: string;
  assignedMechanicId: string | null;
  state: TaskState;
  deleted: boolean;
  window: TaskWindow;
}

/** One task's move in a plan. */
export interface PlannedMove {
  taskId: string;
  from: TaskWindow;
  to: TaskWindow;
  /** The task whose move forced this one (null for the task asked to move). */
  cascadedFrom: string | null;
}

/** Why a plan cannot be carried out, for one task. */
export interface PlanBlocker {
  taskId: string;
  reason: 'DEPENDENCY_NOT_MET' | 'CASCADE_REQUIRED' | 'START_TIME_FROZEN' | 'TASK_FINAL';
  message: string;
  /** The other task involved, when there is one. */
  otherTaskId?: string;
}

export interface CascadePlan {
  moves: PlannedMove[];
  blockers: PlanBlocker[];
}

/** Whether a task holds a window the schedule must respect (scheduled or in progress, not deleted). */
const isActive = (task: CascadeTask): boolean =>
  !task.deleted && (task.state === 'scheduled' || task.state === 'in_progress');

const moveBy = (window: TaskWindow, ms: number): TaskWindow => ({
  start: new Date(window.start.getTime() + ms),
  end: new Date(window.end.getTime() + ms),
});

const iso = (date: Date) => date.toISOString();

/**
 * Plans moving `rootId` to `to`. The root's own active predecessors must still be satisfied by its
 * new window (else DEPENDENCY_NOT_MET). Every active successor, transitively, whose dependency the
 * move breaks moves later by the least amount that satisfies all its active predecessors (in their
 * planned windows), keeping its length — when `cascade` is set; without it such a successor is a
 * CASCADE_REQUIRED blocker. A successor in progress cannot move its start (START_TIME_FROZEN).
 * Completed, cancelled and deleted successors stay where they are and carry nothing further.
 *
 * `tasks` must hold the root, its predecessors and every task reachable from it along
 * `dependencies` (which may hold more); the graph has no cycle (the database keeps it so).
 */
export function planCascade(input: {
  rootId: string;
  to: TaskWindow;
  cascade: boolean;
  tasks: ReadonlyMap<string, CascadeTask>;
  dependencies: readonly TaskDependency[];
}): CascadePlan {
  const { rootId, to, cascade, tasks, dependencies } = input;
  const root = tasks.get(rootId);
  if (!root) throw new Error(`planCascade: the root task ${rootId} is not among the tasks`);
  const blockers: PlanBlocker[] = [];
  const incoming = groupBy(dependencies, (d) => d.successorId);
  const outgoing = byPredecessor(dependencies);
  const planned = new Map<string, TaskWindow>([[rootId, to]]);
  const windowOf = (id: string) => planned.get(id) ?? tasks.get(id)!.window;

  for (const dependency of incoming.get(rootId) ?? []) {
    const predecessor = tasks.get(dependency.predecessorId);
    if (!predecessor || !isActive(predecessor)) continue;
    const shift = requiredShiftMs(dependency, predecessor.window, to);
    if (shift > 0) {
      blockers.push({
        taskId: rootId,
        reason: 'DEPENDENCY_NOT_MET',
        otherTaskId: predecessor.id,
        message: `the new window breaks the ${label(dependency)} dependency on task ${predecessor.id} (${iso(predecessor.window.start)} to ${iso(predecessor.window.end)}): it would need to be ${minutes(shift)} later`,
      });
    }
  }

  const moves: PlannedMove[] = [{ taskId: rootId, from: root.window, to, cascadedFrom: null }];
  for (const id of reachableInTopologicalOrder(rootId, outgoing)) {
    const task = tasks.get(id);
    if (!task || !isActive(task)) continue;
    // The least shift that satisfies every active predecessor, and the one that forces it.
    let shift = 0;
    let forcedBy: TaskDependency | undefined;
    for (const dependency of incoming.get(id) ?? []) {
      const predecessor = tasks.get(dependency.predecessorId);
      if (!predecessor || !isActive(predecessor)) continue;
      const needed = requiredShiftMs(dependency, windowOf(predecessor.id), task.window);
      if (needed > shift) {
        shift = needed;
        forcedBy = dependency;
      }
    }
    if (shift === 0 || forcedBy === undefined) continue;
    const movedPredecessor = forcedBy.predecessorId;
    if (!cascade) {
      blockers.push({
        taskId: id,
        reason: 'CASCADE_REQUIRED',
        otherTaskId: movedPredecessor,
        message: `task ${id} would break its ${label(forcedBy)} dependency on task ${movedPredecessor}; move it too (cascade) or choose another window`,
      });
      continue;
    }
    if (task.state === 'in_progress') {
      blockers.push({
        taskId: id,
        reason: 'START_TIME_FROZEN',
        otherTaskId: movedPredecessor,
        message: `task ${id} is in progress since ${iso(task.window.start)} and cannot move ${minutes(shift)} later to follow task ${movedPredecessor}`,
      });
      continue;
    }
    const next = moveBy(task.window, shift);
    planned.set(id, next);
    moves.push({ taskId: id, from: task.window, to: next, cascadedFrom: movedPredecessor });
  }
  return { moves, blockers };
}

/**
 * The order in which the moves can be written one by one without two active windows of one
 * aircraft or one mechanic ever overlapping on the way (the database checks its exclusion
 * constraints row by row) — or undefined when no such order exists. Each step writes a move whose
 * new window overlaps no other move's current window on a shared aircraft or mechanic; the windows
 * of tasks that do not move are the caller's to check.
 */
export function applicationOrder(
  moves: readonly PlannedMove[],
  tasks: ReadonlyMap<string, Pick<CascadeTask, 'aircraftId' | 'assignedMechanicId'>>,
): PlannedMove[] | undefined {
  // Latest first: when everything moves later, each task then moves into room already vacated.
  const pending = [...moves].sort((a, b) => b.from.start.getTime() - a.from.start.getTime());
  const current = new Map(moves.map((m) => [m.taskId, m.from]));
  const order: PlannedMove[] = [];
  const shareResource = (a: string, b: string) => {
    const x = tasks.get(a)!;
    const y = tasks.get(b)!;
    return (
      x.aircraftId === y.aircraftId ||
      (x.assignedMechanicId !== null && x.assignedMechanicId === y.assignedMechanicId)
    );
  };
  while (pending.length > 0) {
    const index = pending.findIndex((move) =>
      moves.every(
        (other) =>
          other.taskId === move.taskId ||
          !shareResource(move.taskId, other.taskId) ||
          !overlaps(move.to, current.get(other.taskId)!),
      ),
    );
    if (index < 0) return undefined;
    const [next] = pending.splice(index, 1);
    current.set(next!.taskId, next!.to);
    order.push(next!);
  }
  return order;
}

/** Whether two windows share any instant ([start, end), as the database's `&&` on tstzrange). */
export const overlaps = (a: TaskWindow, b: TaskWindow): boolean =>
  a.start.getTime() < b.end.getTime() && b.start.getTime() < a.end.getTime();

/** The dependencies grouped by their predecessor: the edges out of each task. */
export const byPredecessor = (dependencies: readonly TaskDependency[]): Map<string, TaskDependency[]> =>
  groupBy(dependencies, (d) => d.predecessorId);

/**
 * The tasks reachable from `rootId` along the dependencies (`outgoing`, from byPredecessor), not
 * itself: every task a move of the root may cascade to.
 */
export function reachableFrom(rootId: string, outgoing: ReadonlyMap<string, TaskDependency[]>): Set<string> {
  const reachable = new Set<string>();
  const stack = [rootId];
  while (stack.length > 0) {
    for (const d of outgoing.get(stack.pop()!) ?? []) {
      if (!reachable.has(d.successorId) && d.successorId !== rootId) {
        reachable.add(d.successorId);
        stack.push(d.successorId);
      }
    }
  }
  return reachable;
}

/** The tasks reachable from `rootId` (not itself), each after every reachable predecessor of it. */
function reachableInTopologicalOrder(
  rootId: string,
  outgoing: ReadonlyMap<string, TaskDependency[]>,
): string[] {
  const reachable = reachableFrom(rootId, outgoing);
  // Kahn's algorithm over the reachable part: count each node's predecessors inside it.
  const waiting = new Map<string, number>([...reachable].map((id) => [id, 0]));
  for (const id of [rootId, ...reachable]) {
    for (const d of outgoing.get(id) ?? []) {
      if (waiting.has(d.successorId)) waiting.set(d.successorId, waiting.get(d.successorId)! + 1);
    }
  }
  const order: string[] = [];
  const ready = [rootId];
  while (ready.length > 0) {
    const id = ready.shift()!;
    if (id !== rootId) order.push(id);
    for (const d of outgoing.get(id) ?? []) {
      const left = waiting.get(d.successorId);
      if (left === undefined) continue;
      waiting.set(d.successorId, left - 1);
      if (left - 1 === 0) ready.push(d.successorId);
    }
  }
  return order;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

const label = (d: Pick<TaskDependency, 'type' | 'lagMinutes'>) =>
  `${d.type.replaceAll('_', '-')}${d.lagMinutes > 0 ? ` (+${d.lagMinutes} min)` : ''}`;

function minutes(ms: number): string {
  const total = Math.ceil(ms / MINUTE_MS);
  if (total < 60) return `${total} min`;
  const hours = Math.floor(total / 60);
  const rest = total % 60;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}
