import { describe, expect, it } from 'vitest';
import {
  complianceChangeRefusal,
  complianceDescriptionProblem,
  inspectComplianceItem,
  inspectionRequirementRefusal,
  inspectorAssignmentRefusal,
  isInspectionPending,
  isSignedOff,
  normalizeComplianceDescription,
  signOffComplianceItem,
  taskClosedRefusal,
  type ComplianceItem,
  type ComplianceTask,
} from './compliance.js';
import type { TaskState } from './task.js';

const NOW = new Date('2030-01-01T10:00:00Z');
const openTask: ComplianceTask = {
  id: 'task-1',
  state: 'in_progress',
  deleted: false,
  assignedMechanicId: 'mech-2',
};
const item = (overrides: Partial<ComplianceItem> = {}): ComplianceItem => ({
  id: 'item-1',
  orgId: 'org-1',
  taskId: 'task-1',
  description: 'Torque check',
  result: 'pending',
  signOffUserId: null,
  signOffTime: null,
  requiresInspection: false,
  signOffMeaning: null,
  inspectedBy: null,
  inspectedAt: null,
  inspectionMeaning: null,
  createdAt: NOW,
  updatedAt: NOW,
  ...overrides,
});
const signed = item({
  result: 'pass',
  signOffUserId: 'mech-1',
  signOffTime: NOW,
  signOffMeaning: 'performed',
});

describe('task state and compliance work', () => {
  it.each<[TaskState, boolean]>([
    ['scheduled', true],
    ['in_progress', true],
    ['completed', false],
    ['cancelled', false],
  ])('a %s task takes compliance changes: %s', (state, open) => {
    const refusal = taskClosedRefusal({ ...openTask, state });
    expect(refusal === undefined).toBe(open);
    if (!open) {
      expect(refusal?.reason).toBe('TASK_CLOSED');
      expect(refusal?.message).toContain(state);
    }
  });

  it('a deleted task is closed whatever its state', () => {
    expect(taskClosedRefusal({ ...openTask, deleted: true })).toMatchObject({ reason: 'TASK_CLOSED' });
  });
});

describe('editing before sign-off', () => {
  it('lets an unsigned item of an open task change', () => {
    expect(complianceChangeRefusal(item(), openTask)).toBeUndefined();
    expect(isSignedOff(item())).toBe(false);
  });

  it('refuses any change to a signed-off item, naming when it was signed', () => {
    expect(isSignedOff(signed)).toBe(true);
    expect(complianceChangeRefusal(signed, openTask)).toEqual({
      reason: 'ALREADY_SIGNED_OFF',
      message: `compliance item item-1 was signed off at ${NOW.toISOString()} and can no longer change`,
    });
  });

  it('names the sign-off before a closed task when both apply', () => {
    const cancelled: ComplianceTask = { ...openTask, state: 'cancelled' };
    expect(complianceChangeRefusal(signed, cancelled)?.reason).toBe('ALREADY_SIGNED_OFF');
    expect(complianceChangeRefusal(item(), cancelled)?.reason).toBe('TASK_CLOSED');
  });
});

describe('signing off', () => {
  it('records the signer, the time and the final result given in the same step', () => {
    const decision = signOffComplianceItem(item(), openTask, { signerId: 'mech-1', at: NOW, result: 'fail' });
    expect(decision).toEqual({
      ok: true,
      value: { result: 'fail', signOffUserId: 'mech-1', signOffTime: NOW, signOffMeaning: 'performed' },
    });
  });

  it('keeps the recorded result when none is given', () => {
    const decision = signOffComplianceItem(item({ result: 'pass' }), openTask, { signerId: 'm', at: NOW });
    expect(decision).toMatchObject({ ok: true, value: { result: 'pass' } });
  });

  it('refuses a pending result, whether recorded or given', () => {
    const recorded = signOffComplianceItem(item(), openTask, { signerId: 'm', at: NOW });
    const given = signOffComplianceItem(item({ result: 'pass' }), openTask, {
      signerId: 'm',
      at: NOW,
      result: 'pending',
    });
    for (const decision of [recorded, given]) {
      expect(decision).toMatchObject({ ok: false, refusal: { reason: 'RESULT_PENDING' } });
    }
  });

  it('signs off only once', () => {
    const again = signOffComplianceItem(signed, openTask, { signerId: 'mech-2', at: NOW, result: 'fail' });
    expect(again).toMatchObject({ ok: false, refusal: { reason: 'ALREADY_SIGNED_OFF' } });
  });

  it('refuses to sign off an item of a closed task', () => {
    const completed: ComplianceTask = { ...openTask, state: 'completed' };
    const decision = signOffComplianceItem(item({ result: 'pass' }), completed, { signerId: 'm', at: NOW });
    expect(decision).toMatchObject({ ok: false, refusal: { reason: 'TASK_CLOSED' } });
  });
});

describe('independent inspection', () => {
  const awaiting = { ...signed, requiresInspection: true };
  const LATER = new Date(NOW.getTime() + 60_000);

  it('records a second person as inspector, with what the signature means', () => {
    expect(isInspectionPending(awaiting)).toBe(true);
    const decision = inspectComplianceItem(awaiting, openTask, { inspectorId: 'insp-1', at: LATER });
    expect(decision).toEqual({
      ok: true,
      value: { inspectedBy: 'insp-1', inspectedAt: LATER, inspectionMeaning: 'inspected' },
    });
  });

  it('never dates the inspection before the sign-off, even on a clock running behind', () => {
    const early = new Date(NOW.getTime() - 500);
    const decision = inspectComplianceItem(awaiting, openTask, { inspectorId: 'insp-1', at: early });
    expect(decision).toMatchObject({ ok: true, value: { inspectedAt: NOW } });
  });

  it('refuses the performer inspecting their own work, saying they signed it off', () => {
    const decision = inspectComplianceItem(awaiting, openTask, { inspectorId: 'mech-1', at: LATER });
    expect(decision).toMatchObject({
      ok: false,
      refusal: {
        reason: 'INSPECTOR_IS_PERFORMER',
        details: [
          {
            field: 'sign_off_user_id',
            message: expect.stringContaining('you signed this item off') as string,
          },
        ],
      },
    });
  });

  it("refuses the task's assigned mechanic inspecting work someone else signed off on their task", () => {
    const decision = inspectComplianceItem(awaiting, openTask, { inspectorId: 'mech-2', at: LATER });
    expect(decision).toMatchObject({
      ok: false,
      refusal: {
        reason: 'INSPECTOR_IS_PERFORMER',
        message: expect.stringContaining('assigned to task task-1') as string,
        details: [
          {
            field: 'task.assigned_mechanic_id',
            message: expect.stringContaining('you are assigned to task task-1') as string,
          },
        ],
      },
    });
  });

  it('accepts any other mechanic when the task has no one assigned', () => {
    const unassigned = { ...openTask, assignedMechanicId: null };
    expect(inspectComplianceItem(awaiting, unassigned, { inspectorId: 'mech-2', at: LATER }).ok).toBe(true);
  });

  it.each<[string, ComplianceItem, ComplianceTask, string]>([
    ['not signed off yet', item({ requiresInspection: true }), openTask, 'NOT_SIGNED_OFF'],
    ['not requiring inspection', signed, openTask, 'INSPECTION_NOT_REQUIRED'],
    [
      'already inspected',
      { ...awaiting, inspectedBy: 'insp-0', inspectedAt: NOW, inspectionMeaning: 'inspected' },
      openTask,
      'ALREADY_INSPECTED',
    ],
    ['of a cancelled task', awaiting, { ...openTask, state: 'cancelled' }, 'TASK_CLOSED'],
  ])('refuses an item %s', (_label, subject, task, reason) => {
    const decision = inspectComplianceItem(subject, task, { inspectorId: 'insp-1', at: LATER });
    expect(decision).toMatchObject({ ok: false, refusal: { reason } });
  });

  it('is pending until inspected, whether signed off or not, and never for an item that needs none', () => {
    expect(isInspectionPending(item({ requiresInspection: true }))).toBe(true);
    expect(isInspectionPending({ ...awaiting, inspectedAt: LATER })).toBe(false);
    expect(isInspectionPending(signed)).toBe(false);
  });
});

describe('the inspection requirement', () => {
  const required = item({ requiresInspection: true });
  const notRequired = item();

  it('is not the mechanics’ to clear: 403 INSPECTION_REQUIREMENT_LOCKED naming the field', () => {
    expect(inspectionRequirementRefusal(required, { requiresInspection: false }, false)).toMatchObject({
      kind: 'forbidden',
      reason: 'INSPECTION_REQUIREMENT_LOCKED',
      details: [{ field: 'body.requires_inspection' }],
    });
  });

  it('keeps an item that requires inspection from being deleted by the mechanics', () => {
    expect(inspectionRequirementRefusal(required, 'delete', false)).toMatchObject({
      kind: 'forbidden',
      reason: 'INSPECTION_REQUIREMENT_LOCKED',
    });
  });

  it('may be raised, restated or left alone by anyone who may change the item', () => {
    expect(inspectionRequirementRefusal(notRequired, { requiresInspection: true }, false)).toBeUndefined();
    expect(inspectionRequirementRefusal(required, { requiresInspection: true }, false)).toBeUndefined();
    expect(inspectionRequirementRefusal(required, {}, false)).toBeUndefined();
    expect(inspectionRequirementRefusal(notRequired, { requiresInspection: false }, false)).toBeUndefined();
    expect(inspectionRequirementRefusal(notRequired, 'delete', false)).toBeUndefined();
  });

  it('may be waived, or its item deleted, by those who may waive it', () => {
    expect(inspectionRequirementRefusal(required, { requiresInspection: false }, true)).toBeUndefined();
    expect(inspectionRequirementRefusal(required, 'delete', true)).toBeUndefined();
  });
});

describe('descriptions', () => {
  it('are trimmed and must not be blank', () => {
    expect(normalizeComplianceDescription('  Leak test \n')).toBe('Leak test');
    expect(complianceDescriptionProblem(normalizeComplianceDescription('   '))).toBe('must not be blank');
    expect(complianceDescriptionProblem('Leak test')).toBeUndefined();
  });
});

describe('making the inspector the task’s mechanic', () => {
  const inspected = item({ inspectedBy: 'insp-1', inspectedAt: NOW });

  it('is refused for the inspector, naming the item inspected', () => {
    expect(inspectorAssignmentRefusal(inspected, 'insp-1')).toMatchObject({
      reason: 'INSPECTOR_IS_PERFORMER',
      message: expect.stringContaining('inspected compliance item item-1 of task task-1') as string,
      details: [{ field: 'body.assigned_mechanic_id' }],
    });
  });

  it('is allowed for anyone else, and for anyone while nobody has inspected', () => {
    expect(inspectorAssignmentRefusal(inspected, 'mech-3')).toBeUndefined();
    expect(inspectorAssignmentRefusal(item(), 'insp-1')).toBeUndefined();
  });
});
