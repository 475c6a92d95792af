import { describe, expect, it } from 'vitest';
import {
  MaintenanceTask,
  TASK_STATES,
  windowRefusal,
  type TaskActor,
  type TaskProps,
  type TaskState,
  type TransitionContext,
  type TransitionFacts,
} from './task.js';
import type { PredecessorFacts } from './scheduling.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const START = new Date('2030-01-01T10:00:00Z');
const END = new Date('2030-01-01T14:00:00Z');
const at = (offsetMs: number, from = START): Date => new Date(from.getTime() + offsetMs);

const MECHANIC_ID = 'mechanic-1';
const mechanic: TaskActor = { role: 'mechanic', userId: MECHANIC_ID };
const otherMechanic: TaskActor = { role: 'mechanic', userId: 'mechanic-2' };
const scheduler: TaskActor = { role: 'scheduler', userId: 'scheduler-1' };
const admin: TaskActor = { role: 'admin', userId: 'admin-1' };
const job: TaskActor = { role: 'system', userId: null };

const task = (overrides: Partial<TaskProps> = {}): MaintenanceTask =>
  new MaintenanceTask({
    id: 'task-1',
    orgId: 'org-1',
    aircraftId: 'aircraft-1',
    programId: null,
    type: 'inspection',
    state: 'scheduled',
    startTime: START,
    endTime: END,
    assignedMechanicId: MECHANIC_ID,
    notes: null,
    version: 3,
    requiredParts: [],
    createdAt: START,
    updatedAt: START,
    ...overrides,
  });

/** Facts under which every guard passes. */
const readyFacts: TransitionFacts = {
  aircraftGrounded: true,
  assignedMechanicActive: true,
  requiredParts: [{ partDefinitionId: 'def-1', quantity: 2, reservedOrUsed: 2, used: 2 }],
  openReservations: 0,
  incompleteCompliance: 0,
  pendingInspections: [],
};

/** A context in which the move to any state is allowed, with `overrides` applied. */
type ContextOverrides = Partial<Omit<TransitionContext, 'facts'>> & { facts?: Partial<TransitionFacts> };
const context = (overrides: ContextOverrides = {}): TransitionContext => ({
  now: START,
  actor: scheduler,
  notes: 'Replaced the left brake unit.',
  ...overrides,
  facts: { ...readyFacts, ...overrides.facts },
});

/** When each allowed move is allowed by the clock. */
const timely: Partial<Record<TaskState, Date>> = { in_progress: START, completed: END, cancelled: START };

describe('the state machine over every (from, to) pair', () => {
  const allowed = new Set([
    'scheduled→in_progress',
    'scheduled→cancelled',
    'in_progress→completed',
    'in_progress→cancelled',
  ]);
  const pairs = TASK_STATES.flatMap((from) =>
    TASK_STATES.map((to) => ({ from, to, ok: allowed.has(`${from}→${to}`) })),
  );

  it.each(pairs)('$from → $to allowed: $ok', ({ from, to, ok }) => {
    const decision = task({ state: from }).transition(to, context({ now: timely[to] ?? START }));
    if (ok) {
      expect(decision).toMatchObject({ ok: true, from, to });
    } else {
      expect(decision).toMatchObject({
        ok: false,
        refusal: { kind: 'conflict', reason: 'INVALID_TRANSITION' },
      });
      if (!decision.ok) expect(decision.refusal.message).toContain(`from ${from} to ${to}`);
    }
  });

  it('says that completed and cancelled are final', () => {
    for (const state of ['completed', 'cancelled'] as const) {
      const decision = task({ state }).transition('scheduled', context());
      expect(!decision.ok && decision.refusal.message).toMatch(`a ${state} task is final`);
    }
  });
});

/** One guard: the move, the context that breaks it, and the refusal expected. */
interface GuardCase {
  name: string;
  from: TaskState;
  to: TaskState;
  props?: Partial<TaskProps>;
  ctx: ContextOverrides;
  kind: 'conflict' | 'forbidden' | 'validation';
  reason: string;
  message?: RegExp;
}

const guards: GuardCase[] = [
  {
    name: 'more than 5 minutes before start_time',
    from: 'scheduled',
    to: 'in_progress',
    ctx: { now: at(-5 * MINUTE - 1) },
    kind: 'conflict',
    reason: 'TOO_EARLY_TO_START',
    message: /2030-01-01T09:55:00.000Z/,
  },
  {
    name: 'the aircraft is not grounded',
    from: 'scheduled',
    to: 'in_progress',
    ctx: { facts: { aircraftGrounded: false } },
    kind: 'conflict',
    reason: 'AIRCRAFT_NOT_GROUNDED',
  },
  {
    name: 'no mechanic is assigned',
    from: 'scheduled',
    to: 'in_progress',
    props: { assignedMechanicId: null },
    ctx: {},
    kind: 'conflict',
    reason: 'NO_ASSIGNED_MECHANIC',
    message: /no mechanic is assigned/,
  },
  {
    name: 'the assigned mechanic was deleted or is no longer a mechanic',
    from: 'scheduled',
    to: 'in_progress',
    ctx: { facts: { assignedMechanicActive: false } },
    kind: 'conflict',
    reason: 'NO_ASSIGNED_MECHANIC',
    message: /no longer an active mechanic/,
  },
  {
    name: 'a mechanic starts a task assigned to someone else',
    from: 'scheduled',
    to: 'in_progress',
    ctx: { actor: otherMechanic },
    kind: 'forbidden',
    reason: 'NOT_ASSIGNED_MECHANIC',
  },
  {
    name: 'a required part is not reserved often enough',
    from: 'scheduled',
    to: 'in_progress',
    ctx: {
      facts: { requiredParts: [{ partDefinitionId: 'def-1', quantity: 2, reservedOrUsed: 1, used: 0 }] },
    },
    kind: 'conflict',
    reason: 'REQUIRED_PARTS_NOT_RESERVED',
    message: /def-1 \(1 of 2 reserved\)/,
  },
  {
    name: 'before end_time without the override',
    from: 'in_progress',
    to: 'completed',
    ctx: { now: at(-1, END) },
    kind: 'conflict',
    reason: 'TOO_EARLY_TO_COMPLETE',
  },
  {
    name: 'a mechanic passes allow_early_completion',
    from: 'in_progress',
    to: 'completed',
    ctx: { now: at(-HOUR, END), actor: mechanic, allowEarlyCompletion: true },
    kind: 'forbidden',
    reason: 'OVERRIDE_NOT_ALLOWED',
  },
  {
    name: 'a mechanic completes a task assigned to someone else',
    from: 'in_progress',
    to: 'completed',
    ctx: { now: END, actor: otherMechanic },
    kind: 'forbidden',
    reason: 'NOT_ASSIGNED_MECHANIC',
  },
  {
    name: 'a reservation is still reserved',
    from: 'in_progress',
    to: 'completed',
    ctx: { now: END, facts: { openReservations: 2 } },
    kind: 'conflict',
    reason: 'RESERVATIONS_OPEN',
    message: /2 reservations are still reserved/,
  },
  {
    name: 'a required part is not used',
    from: 'in_progress',
    to: 'completed',
    ctx: {
      now: END,
      facts: { requiredParts: [{ partDefinitionId: 'def-1', quantity: 2, reservedOrUsed: 2, used: 1 }] },
    },
    kind: 'conflict',
    reason: 'RESERVATIONS_OPEN',
    message: /def-1 has 1 of 2 used/,
  },
  {
    name: 'compliance items are not signed off with a result',
    from: 'in_progress',
    to: 'completed',
    ctx: { now: END, facts: { incompleteCompliance: 3 } },
    kind: 'conflict',
    reason: 'COMPLIANCE_INCOMPLETE',
    message: /3 compliance items are not signed off/,
  },
  {
    name: 'a compliance item awaits its independent inspection',
    from: 'in_progress',
    to: 'completed',
    ctx: { now: END, facts: { pendingInspections: [{ id: 'item-7', description: 'Rigging check' }] } },
    kind: 'conflict',
    reason: 'INSPECTION_PENDING',
    message: /1 compliance item awaits an independent inspection: item-7/,
  },
  {
    name: 'no notes in the request nor on the task',
    from: 'in_progress',
    to: 'completed',
    ctx: { now: END, notes: undefined },
    kind: 'validation',
    reason: 'NOTES_REQUIRED',
  },
  {
    name: 'blank notes in the request',
    from: 'in_progress',
    to: 'completed',
    props: { notes: 'Planned notes' },
    ctx: { now: END, notes: '   ' },
    kind: 'validation',
    reason: 'NOTES_REQUIRED',
  },
  {
    name: 'a mechanic cancels',
    from: 'scheduled',
    to: 'cancelled',
    ctx: { actor: mechanic },
    kind: 'forbidden',
    reason: 'CANCEL_NOT_ALLOWED',
  },
  {
    name: 'a mechanic cancels a task in progress',
    from: 'in_progress',
    to: 'cancelled',
    ctx: { actor: mechanic },
    kind: 'forbidden',
    reason: 'CANCEL_NOT_ALLOWED',
  },
  {
    name: '24 hours after start_time without the override',
    from: 'in_progress',
    to: 'cancelled',
    ctx: { now: at(24 * HOUR) },
    kind: 'conflict',
    reason: 'TOO_LATE_TO_CANCEL',
    message: /2030-01-02T10:00:00.000Z/,
  },
  {
    name: 'a scheduler passes allow_late_cancel',
    from: 'scheduled',
    to: 'cancelled',
    ctx: { now: at(25 * HOUR), allowLateCancel: true },
    kind: 'forbidden',
    reason: 'OVERRIDE_NOT_ALLOWED',
  },
  {
    name: 'allow_early_completion on a start',
    from: 'scheduled',
    to: 'in_progress',
    ctx: { allowEarlyCompletion: true },
    kind: 'validation',
    reason: 'OVERRIDE_NOT_APPLICABLE',
  },
  {
    name: 'allow_late_cancel on a completion',
    from: 'in_progress',
    to: 'completed',
    ctx: { now: END, allowLateCancel: true, actor: admin },
    kind: 'validation',
    reason: 'OVERRIDE_NOT_APPLICABLE',
  },
];

describe('every guard refuses with its own reason', () => {
  it.each(guards)(
    '$from → $to refused when $name: $reason',
    ({ from, to, props, ctx, kind, reason, message }) => {
      const decision = task({ state: from, ...props }).transition(to, context(ctx));
      expect(decision).toMatchObject({ ok: false, refusal: { kind, reason } });
      if (message && !decision.ok) expect(decision.refusal.message).toMatch(message);
    },
  );

  it('names the field at fault for request mistakes', () => {
    const notes = task({ state: 'in_progress' }).transition(
      'completed',
      context({ now: END, notes: undefined }),
    );
    const override = task({ state: 'in_progress' }).transition(
      'completed',
      context({ now: START, actor: mechanic, allowEarlyCompletion: true }),
    );
    expect(!notes.ok && notes.refusal.field).toBe('body.notes');
    expect(!override.ok && override.refusal.field).toBe('body.allow_early_completion');
  });

  it('names each compliance item awaiting inspection in details, with its description', () => {
    const pendingInspections = [
      { id: 'item-7', description: 'Aileron cable tension' },
      { id: 'item-8', description: 'Elevator rigging' },
    ];
    const decision = task({ state: 'in_progress' }).transition(
      'completed',
      context({ now: END, facts: { pendingInspections } }),
    );
    expect(!decision.ok && decision.refusal.details).toEqual([
      {
        field: 'compliance_items[item-7]',
        message: expect.stringContaining('"Aileron cable tension"') as string,
      },
      { field: 'compliance_items[item-8]', message: expect.stringContaining('"Elevator rigging"') as string },
    ]);
  });
});

describe('what the guards let through', () => {
  it('starts exactly 5 minutes before start_time, by the assigned mechanic, a scheduler, an admin or a job', () => {
    for (const actor of [mechanic, scheduler, admin, job]) {
      expect(task().transition('in_progress', context({ now: at(-5 * MINUTE), actor }))).toMatchObject({
        ok: true,
      });
    }
  });

  it('starts with required parts reserved but not used yet, and without requirements', () => {
    const reserved = [{ partDefinitionId: 'def-1', quantity: 2, reservedOrUsed: 2, used: 0 }];
    expect(task().transition('in_progress', context({ facts: { requiredParts: reserved } })).ok).toBe(true);
    expect(task().transition('in_progress', context({ facts: { requiredParts: [] } })).ok).toBe(true);
  });

  it('completes exactly at end_time by the assigned mechanic, keeping the task’s own notes when none are given', () => {
    const decision = task({ state: 'in_progress', notes: 'Planned: brake change' }).transition(
      'completed',
      context({ now: END, actor: mechanic, notes: undefined }),
    );
    expect(decision).toMatchObject({
      ok: true,
      notes: 'Planned: brake change',
      recordCompletion: true,
      overridesUsed: {},
    });
  });

  it('completes early when a scheduler or admin overrides, and records that the override was used', () => {
    for (const actor of [scheduler, admin]) {
      const decision = task({ state: 'in_progress' }).transition(
        'completed',
        context({ now: at(-HOUR, END), actor, allowEarlyCompletion: true }),
      );
      expect(decision).toMatchObject({ ok: true, overridesUsed: { allow_early_completion: true } });
    }
  });

  it('does not record an early-completion override that was not needed', () => {
    const decision = task({ state: 'in_progress' }).transition(
      'completed',
      context({ now: END, allowEarlyCompletion: true }),
    );
    expect(decision).toMatchObject({ ok: true, overridesUsed: {} });
  });

  it('cancels until just before start_time + 24 h, and later only with an admin override', () => {
    const justBefore = at(24 * HOUR - 1);
    expect(task().transition('cancelled', context({ now: justBefore })).ok).toBe(true);
    const late = task().transition(
      'cancelled',
      context({ now: at(30 * HOUR), actor: admin, allowLateCancel: true }),
    );
    expect(late).toMatchObject({
      ok: true,
      releaseReservations: true,
      overridesUsed: { allow_late_cancel: true },
    });
  });

  it('replaces the notes with those given, and asks to release reservations only on cancel', () => {
    const start = task({ notes: 'old' }).transition('in_progress', context({ notes: 'Work begun' }));
    expect(start).toMatchObject({
      ok: true,
      notes: 'Work begun',
      releaseReservations: false,
      recordCompletion: false,
    });
  });
});

describe('edits, deletions and windows', () => {
  it.each(TASK_STATES)('a %s task is editable only while not final', (state) => {
    const refusal = task({ state }).editRefusal();
    const final = state === 'completed' || state === 'cancelled';
    expect(refusal?.reason).toBe(final ? 'TASK_FINAL' : undefined);
  });

  it.each(TASK_STATES)('a %s task may be deleted unless it is in progress or completed', (state) => {
    const reasons: Record<string, string> = { in_progress: 'TASK_IN_PROGRESS', completed: 'TASK_COMPLETED' };
    expect(task({ state }).deletionRefusal()?.reason).toBe(reasons[state]);
  });

  it.each(TASK_STATES)('a %s task keeps its start once work began', (state) => {
    const later = new Date(task({ state }).startTime.getTime() + 60_000);
    const refusal = task({ state }).editRefusal({ startTime: later })?.reason;
    const expected = { in_progress: 'START_TIME_FROZEN', completed: 'TASK_FINAL', cancelled: 'TASK_FINAL' };
    expect(refusal).toBe(expected[state as keyof typeof expected]);
  });

  it('a window must end after it starts', () => {
    expect(windowRefusal(START, END)).toBeUndefined();
    expect(windowRefusal(START, START)).toMatchObject({
      kind: 'validation',
      reason: 'END_BEFORE_START',
      field: 'body.end_time',
    });
    expect(windowRefusal(END, START, 'body.start_time')?.field).toBe('body.start_time');
  });
});

describe('dependencies hold a task back', () => {
  const predecessor = (
    type: PredecessorFacts['type'],
    state: TaskState,
    extra: Partial<PredecessorFacts> = {},
  ): PredecessorFacts => ({
    dependencyId: `dep-${type}`,
    predecessorId: `pred-${type}`,
    type,
    state,
    deleted: false,
    ...extra,
  });
  const start = (predecessors: PredecessorFacts[]) =>
    task().transition('in_progress', context({ facts: { predecessors } }));
  const complete = (predecessors: PredecessorFacts[]) =>
    task({ state: 'in_progress' }).transition('completed', context({ now: END, facts: { predecessors } }));

  it('a start waits for a finish-to-start predecessor to be completed, naming it', () => {
    const decision = start([predecessor('finish_to_start', 'in_progress')]);
    expect(decision).toMatchObject({
      ok: false,
      refusal: { kind: 'conflict', reason: 'DEPENDENCY_NOT_MET' },
    });
    if (decision.ok) return;
    expect(decision.refusal.message).toContain(
      'task pred-finish_to_start (in_progress) must be completed first',
    );
    expect(decision.refusal.details?.map((d) => d.field)).toEqual(['dependencies[dep-finish_to_start]']);
    expect(decision.refusal.details?.[0]?.message).toContain('finish-to-start');
    expect(start([predecessor('finish_to_start', 'completed')]).ok).toBe(true);
  });

  it('a start waits for a start-to-start predecessor to have started', () => {
    const decision = start([predecessor('start_to_start', 'scheduled')]);
    expect(decision).toMatchObject({ ok: false, refusal: { reason: 'DEPENDENCY_NOT_MET' } });
    expect(!decision.ok && decision.refusal.message).toContain('must have started first');
    expect(start([predecessor('start_to_start', 'in_progress')]).ok).toBe(true);
    expect(start([predecessor('start_to_start', 'completed')]).ok).toBe(true);
  });

  it('a finish-to-finish predecessor lets the task start but not complete before it is completed', () => {
    expect(start([predecessor('finish_to_finish', 'scheduled')]).ok).toBe(true);
    const decision = complete([predecessor('finish_to_finish', 'in_progress')]);
    expect(decision).toMatchObject({ ok: false, refusal: { reason: 'DEPENDENCY_NOT_MET' } });
    expect(!decision.ok && decision.refusal.message).toMatch(/^the task cannot complete yet/);
    expect(complete([predecessor('finish_to_finish', 'completed')]).ok).toBe(true);
    expect(complete([predecessor('finish_to_start', 'scheduled')]).ok).toBe(true);
  });

  it('cancelled and deleted predecessors no longer block', () => {
    expect(start([predecessor('finish_to_start', 'cancelled')]).ok).toBe(true);
    expect(start([predecessor('start_to_start', 'scheduled', { deleted: true })]).ok).toBe(true);
    expect(complete([predecessor('finish_to_finish', 'in_progress', { deleted: true })]).ok).toBe(true);
  });

  it('every blocker is named, one detail each', () => {
    const decision = start([
      predecessor('finish_to_start', 'scheduled'),
      predecessor('start_to_start', 'scheduled'),
    ]);
    expect(!decision.ok && decision.refusal.details).toHaveLength(2);
  });

  it('cancelling never waits for predecessors', () => {
    const decision = task().transition(
      'cancelled',
      context({ facts: { predecessors: [predecessor('finish_to_start', 'scheduled')] } }),
    );
    expect(decision.ok).toBe(true);
  });
});
