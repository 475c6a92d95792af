import { describe, expect, it } from 'vitest';
import {
  applicationOrder,
  dependencyBlockers,
  linkRefusal,
  planCascade,
  requiredShiftMs,
  type CascadeTask,
  type DependencyType,
  type PredecessorFacts,
  type TaskDependency,
} from './scheduling.js';
import type { TaskState } from './task.js';

const HOUR = 3_600_000;
const at = (hour: number) => new Date(Date.UTC(2027, 0, 10) + hour * HOUR);
const window = (from: number, to: number) => ({ start: at(from), end: at(to) });

const task = (id: string, from: number, to: number, extra: Partial<CascadeTask> = {}): CascadeTask => ({
  id,
  aircraftId: 'ac-1',
  assignedMechanicId: null,
  state: 'scheduled',
  deleted: false,
  window: window(from, to),
  ...extra,
});
const dep = (
  predecessorId: string,
  successorId: string,
  type: DependencyType = 'finish_to_start',
  lagMinutes = 0,
): TaskDependency => ({
  id: `${predecessorId}->${successorId}`,
  predecessorId,
  successorId,
  type,
  lagMinutes,
});
const tasksOf = (...list: CascadeTask[]) => new Map(list.map((t) => [t.id, t]));
const hoursOf = (plan: ReturnType<typeof planCascade>) =>
  Object.fromEntries(
    plan.moves.map((m) => [
      m.taskId,
      [(m.to.start.getTime() - at(0).getTime()) / HOUR, (m.to.end.getTime() - at(0).getTime()) / HOUR],
    ]),
  );

describe('what a dependency demands of the successor’s window', () => {
  it('finish-to-start: the successor starts after the predecessor ends, plus the lag', () => {
    expect(requiredShiftMs(dep('a', 'b'), window(0, 4), window(4, 6))).toBe(0);
    expect(requiredShiftMs(dep('a', 'b'), window(0, 4), window(3, 6))).toBe(HOUR);
    expect(requiredShiftMs(dep('a', 'b', 'finish_to_start', 90), window(0, 4), window(4, 6))).toBe(
      1.5 * HOUR,
    );
  });

  it('start-to-start: the successor starts after the predecessor starts', () => {
    expect(requiredShiftMs(dep('a', 'b', 'start_to_start'), window(2, 4), window(2, 3))).toBe(0);
    expect(requiredShiftMs(dep('a', 'b', 'start_to_start', 60), window(2, 4), window(2, 3))).toBe(HOUR);
  });

  it('finish-to-finish: the successor ends after the predecessor ends', () => {
    expect(requiredShiftMs(dep('a', 'b', 'finish_to_finish'), window(0, 8), window(1, 5))).toBe(3 * HOUR);
    expect(requiredShiftMs(dep('a', 'b', 'finish_to_finish'), window(0, 8), window(7, 9))).toBe(0);
  });
});

describe('which predecessors hold a task back', () => {
  const pred = (type: DependencyType, state: TaskState, deleted = false): PredecessorFacts => ({
    dependencyId: `d-${type}-${state}`,
    predecessorId: `p-${type}-${state}`,
    type,
    state,
    deleted,
  });

  it('a start waits for finish-to-start predecessors to complete and start-to-start ones to start', () => {
    const blockers = dependencyBlockers('in_progress', [
      pred('finish_to_start', 'in_progress'),
      pred('finish_to_start', 'completed'),
      pred('start_to_start', 'scheduled'),
      pred('start_to_start', 'in_progress'),
      pred('finish_to_finish', 'scheduled'),
    ]);
    expect(blockers.map((b) => b.predecessorId)).toEqual([
      'p-finish_to_start-in_progress',
      'p-start_to_start-scheduled',
    ]);
  });

  it('a completion waits only for finish-to-finish predecessors', () => {
    const blockers = dependencyBlockers('completed', [
      pred('finish_to_finish', 'in_progress'),
      pred('finish_to_start', 'scheduled'),
    ]);
    expect(blockers.map((b) => b.predecessorId)).toEqual(['p-finish_to_finish-in_progress']);
  });

  it('a cancelled or deleted predecessor no longer blocks, and a cancellation is never blocked', () => {
    expect(dependencyBlockers('in_progress', [pred('finish_to_start', 'cancelled')])).toEqual([]);
    expect(dependencyBlockers('in_progress', [pred('finish_to_start', 'scheduled', true)])).toEqual([]);
    expect(dependencyBlockers('cancelled', [pred('finish_to_start', 'scheduled')])).toEqual([]);
  });
});

describe('which tasks may be linked', () => {
  const t = (id: string, state: TaskState) => ({ id, state });

  it('lets a scheduled or in-progress task wait for any task that is not cancelled', () => {
    expect(linkRefusal(t('b', 'scheduled'), t('a', 'completed'))).toBeUndefined();
    expect(linkRefusal(t('b', 'in_progress'), t('a', 'scheduled'))).toBeUndefined();
  });

  it('refuses a completed or cancelled task as the one that would wait', () => {
    expect(linkRefusal(t('b', 'completed'), t('a', 'scheduled'))?.reason).toBe('TASK_FINAL');
    expect(linkRefusal(t('b', 'cancelled'), t('a', 'scheduled'))?.reason).toBe('TASK_FINAL');
  });

  it('refuses to let a task wait for a cancelled one, naming the predecessor field', () => {
    expect(linkRefusal(t('b', 'scheduled'), t('a', 'cancelled'))).toMatchObject({
      reason: 'PREDECESSOR_CANCELLED',
      field: 'body.predecessor_id',
    });
  });
});

describe('planning a cascade', () => {
  it('moves a chain by the least amount each link needs', () => {
    // a [0,2) → b [2,4) → c [6,8): a moves to [3,5); b must start at 5; c at 7.
    const plan = planCascade({
      rootId: 'a',
      to: window(3, 5),
      cascade: true,
      tasks: tasksOf(task('a', 0, 2), task('b', 2, 4), task('c', 6, 8)),
      dependencies: [dep('a', 'b'), dep('b', 'c')],
    });
    expect(plan.blockers).toEqual([]);
    expect(hoursOf(plan)).toEqual({ a: [3, 5], b: [5, 7], c: [7, 9] });
    expect(plan.moves.find((m) => m.taskId === 'c')?.cascadedFrom).toBe('b');
  });

  it('moves the bottom of a diamond once, as far as its later predecessor needs', () => {
    // a → b (lag 0), a → c (lag 2 h), b → d, c → d
    const plan = planCascade({
      rootId: 'a',
      to: window(1, 2),
      cascade: true,
      tasks: tasksOf(
        task('a', 0, 1),
        task('b', 1, 2, { aircraftId: 'ac-2' }),
        task('c', 3, 4, { aircraftId: 'ac-3' }),
        task('d', 4, 5, { aircraftId: 'ac-4' }),
      ),
      dependencies: [dep('a', 'b'), dep('a', 'c', 'finish_to_start', 120), dep('b', 'd'), dep('c', 'd')],
    });
    expect(hoursOf(plan)).toEqual({ a: [1, 2], b: [2, 3], c: [4, 5], d: [5, 6] });
    expect(plan.moves.filter((m) => m.taskId === 'd')).toHaveLength(1);
    expect(plan.moves.find((m) => m.taskId === 'd')?.cascadedFrom).toBe('c');
  });

  it('leaves dependents alone when the move does not touch them', () => {
    const plan = planCascade({
      rootId: 'a',
      to: window(0, 1),
      cascade: true,
      tasks: tasksOf(task('a', 0, 2), task('b', 5, 6)),
      dependencies: [dep('a', 'b')],
    });
    expect(plan.moves.map((m) => m.taskId)).toEqual(['a']);
  });

  it('without cascade, names every dependent the move would break', () => {
    const plan = planCascade({
      rootId: 'a',
      to: window(3, 5),
      cascade: false,
      tasks: tasksOf(task('a', 0, 2), task('b', 2, 4)),
      dependencies: [dep('a', 'b')],
    });
    expect(plan.blockers).toMatchObject([{ taskId: 'b', reason: 'CASCADE_REQUIRED', otherTaskId: 'a' }]);
  });

  it('refuses a new window that starts before the task’s own predecessor allows', () => {
    const plan = planCascade({
      rootId: 'b',
      to: window(1, 3),
      cascade: true,
      tasks: tasksOf(task('a', 0, 2), task('b', 2, 4)),
      dependencies: [dep('a', 'b')],
    });
    expect(plan.blockers).toMatchObject([{ taskId: 'b', reason: 'DEPENDENCY_NOT_MET', otherTaskId: 'a' }]);
    expect(plan.blockers[0]?.message).toContain('1 h later');
  });

  it('does not move a dependent in progress, nor one completed or cancelled', () => {
    const plan = planCascade({
      rootId: 'a',
      to: window(3, 5),
      cascade: true,
      tasks: tasksOf(
        task('a', 0, 2),
        task('b', 2, 4, { state: 'in_progress', aircraftId: 'ac-2' }),
        task('c', 2, 4, { state: 'completed', aircraftId: 'ac-3' }),
        task('d', 2, 4, { state: 'cancelled', aircraftId: 'ac-4' }),
      ),
      dependencies: [dep('a', 'b'), dep('a', 'c'), dep('a', 'd')],
    });
    expect(plan.moves.map((m) => m.taskId)).toEqual(['a']);
    expect(plan.blockers).toMatchObject([{ taskId: 'b', reason: 'START_TIME_FROZEN' }]);
  });
});

describe('the order moves are written in', () => {
  it('writes a chain on one aircraft latest first, so no step overlaps another task', () => {
    const tasks = tasksOf(task('a', 0, 2), task('b', 2, 4), task('c', 4, 6));
    const plan = planCascade({
      rootId: 'a',
      to: window(1, 3),
      cascade: true,
      tasks,
      dependencies: [dep('a', 'b'), dep('b', 'c')],
    });
    expect(applicationOrder(plan.moves, tasks)?.map((m) => m.taskId)).toEqual(['c', 'b', 'a']);
  });

  it('answers undefined when two moves would have to pass through each other', () => {
    const tasks = tasksOf(task('a', 0, 2), task('b', 2, 4));
    const swap = [
      { taskId: 'a', from: window(0, 2), to: window(2, 4), cascadedFrom: null },
      { taskId: 'b', from: window(2, 4), to: window(0, 2), cascadedFrom: 'a' },
    ];
    expect(applicationOrder(swap, tasks)).toBeUndefined();
  });
});
