import { FINAL_STATES, type TaskState } from './task.js';

/** The outcome of a compliance check: `pending` until the mechanic records pass or fail. */
export const COMPLIANCE_RESULTS = ['pass', 'fail', 'pending'] as const;

export type ComplianceResult = (typeof COMPLIANCE_RESULTS)[number];

/** What a sign-off signature means: the signer performed the work. */
export const SIGN_OFF_MEANING = 'performed';
/** What an inspection signature means: the inspector independently inspected the work. */
export const INSPECTION_MEANING = 'inspected';

/** The task a compliance item belongs to, as the item's rules see it. */
export interface ComplianceTask {
  id: string;
  state: TaskState;
  /** Soft-deleted tasks take no more compliance work. */
  deleted: boolean;
  /** The mechanic assigned to do the task's work: never its independent inspector. */
  assignedMechanicId: string | null;
}

/**
 * One check a task must pass before it completes (a torque check, a leak test). It is edited
 * freely until a mechanic signs it off; from then on it never changes again.
 */
export interface ComplianceItem {
  id: string;
  orgId: string;
  taskId: string;
  description: string;
  result: ComplianceResult;
  /** Who signed it off; null until then (set together with `signOffTime`). */
  signOffUserId: string | null;
  signOffTime: Date | null;
  /** Whether a second person must inspect the work after the sign-off; fixed once signed off. */
  requiresInspection: boolean;
  /** What the sign-off signature means (`performed`); null until signed off. */
  signOffMeaning: typeof SIGN_OFF_MEANING | null;
  /** The independent inspector (never the signer); null until inspected. */
  inspectedBy: string | null;
  inspectedAt: Date | null;
  /** What the inspection signature means (`inspected`); null until inspected. */
  inspectionMeaning: typeof INSPECTION_MEANING | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * Why a compliance item cannot be created or changed; each reason is its own 409 at the edge (403
 * when `kind` says the refusal is about who asks), with `details` naming what is at fault.
 */
export interface ComplianceRefusal {
  kind?: 'conflict' | 'forbidden';
  reason:
    | 'ALREADY_SIGNED_OFF'
    | 'RESULT_PENDING'
    | 'TASK_CLOSED'
    | 'NOT_SIGNED_OFF'
    | 'INSPECTION_NOT_REQUIRED'
    | 'ALREADY_INSPECTED'
    | 'INSPECTOR_IS_PERFORMER'
    | 'INSPECTION_REQUIREMENT_LOCKED';
  message: string;
  details?: { field: string; message: string }[];
}

/** A rule's verdict: the value to apply, or why not. */
export type ComplianceDecision<T> = { ok: true; value: T } | { ok: false; refusal: ComplianceRefusal };

/** The sign-off fields, written once and never again. */
export interface ComplianceSignOff {
  result: Exclude<ComplianceResult, 'pending'>;
  signOffUserId: string;
  signOffTime: Date;
  signOffMeaning: typeof SIGN_OFF_MEANING;
}

/** The inspection fields, written once on a signed-off item that requires them, and never again. */
export interface ComplianceInspection {
  inspectedBy: string;
  inspectedAt: Date;
  inspectionMeaning: typeof INSPECTION_MEANING;
}

export const isSignedOff = (item: Pick<ComplianceItem, 'signOffTime'>): boolean => item.signOffTime !== null;

/** Whether the item still awaits its independent inspection (signed off or not). */
export const isInspectionPending = (
  item: Pick<ComplianceItem, 'requiresInspection' | 'inspectedAt'>,
): boolean => item.requiresInspection && item.inspectedAt === null;

/** Descriptions are stored trimmed. */
export const normalizeComplianceDescription = (description: string): string => description.trim();

/** What is wrong with a (normalized) description, or undefined when it is fine. */
export const complianceDescriptionProblem = (description: string): string | undefined =>
  description === '' ? 'must not be blank' : undefined;

/**
 * Why `task` takes no new or changed compliance items: a completed, cancelled or deleted task is
 * closed, so its checklist is settled. Undefined while the task is scheduled or in progress.
 */
export function taskClosedRefusal(task: ComplianceTask): ComplianceRefusal | undefined {
  if (task.deleted) {
    return { reason: 'TASK_CLOSED', message: `task ${task.id} was deleted; its compliance items are closed` };
  }
  if (FINAL_STATES.includes(task.state)) {
    return {
      reason: 'TASK_CLOSED',
      message: `task ${task.id} is ${task.state}; compliance items can only change while a task is scheduled or in progress`,
    };
  }
  return undefined;
}

/** Why a signed-off item can never change again; undefined while it is not signed off. */
export function signedOffRefusal(
  item: Pick<ComplianceItem, 'id' | 'signOffTime'>,
): ComplianceRefusal | undefined {
  if (item.signOffTime === null) return undefined;
  return {
    reason: 'ALREADY_SIGNED_OFF',
    message: `compliance item ${item.id} was signed off at ${item.signOffTime.toISOString()} and can no longer change`,
  };
}

/**
 * Why `item` can no longer be edited or deleted: it is signed off (immutable from then on), or
 * its task is closed. Undefined when it may change.
 */
export function complianceChangeRefusal(
  item: ComplianceItem,
  task: ComplianceTask,
): ComplianceRefusal | undefined {
  return signedOffRefusal(item) ?? taskClosedRefusal(task);
}

/**
 * Signs `item` off as `signerId` at `at`, with `result` as the final result when given (else the
 * current one). Refused once signed off, on a closed task, and when the final result is pending:
 * a pending item frozen by a sign-off would keep its task from ever completing.
 */
export function signOffComplianceItem(
  item: ComplianceItem,
  task: ComplianceTask,
  input: { signerId: string; at: Date; result?: ComplianceResult | undefined },
): ComplianceDecision<ComplianceSignOff> {
  const refusal = complianceChangeRefusal(item, task);
  if (refusal) return { ok: false, refusal };
  const result = input.result ?? item.result;
  if (result === 'pending') {
    return {
      ok: false,
      refusal: {
        reason: 'RESULT_PENDING',
        message: `compliance item ${item.id} still has a pending result; record pass or fail before signing off`,
      },
    };
  }
  return {
    ok: true,
    value: { result, signOffUserId: input.signerId, signOffTime: input.at, signOffMeaning: SIGN_OFF_MEANING },
  };
}

/** Why an inspected item takes no other inspection (nor any change); undefined while not inspected. */
export function inspectedRefusal(
  item: Pick<ComplianceItem, 'id' | 'inspectedAt'>,
): ComplianceRefusal | undefined {
  if (item.inspectedAt === null) return undefined;
  return {
    reason: 'ALREADY_INSPECTED',
    message: `compliance item ${item.id} was inspected at ${item.inspectedAt.toISOString()} and can no longer change`,
  };
}

/**
 * Why a change may not remove `item`'s independent inspection: clearing `requires_inspection`, or
 * deleting an item that requires one, is for whoever `mayWaive` (planners and admins), never for
 * the mechanics whose work it checks — else the performer could drop their own inspection before
 * signing. Raising the flag is open to everyone who may change the item. Undefined when allowed.
 */
export function inspectionRequirementRefusal(
  item: Pick<ComplianceItem, 'id' | 'requiresInspection'>,
  change: { requiresInspection?: boolean | undefined } | 'delete',
  mayWaive: boolean,
): ComplianceRefusal | undefined {
  if (!item.requiresInspection || mayWaive) return undefined;
  if (change === 'delete') {
    return {
      kind: 'forbidden',
      reason: 'INSPECTION_REQUIREMENT_LOCKED',
      message: `compliance item ${item.id} requires an independent inspection; only a scheduler or an admin may waive it, so ask one to clear requires_inspection (or delete the item) first`,
    };
  }
  if (change.requiresInspection !== false) return undefined;
  const message = 'only a scheduler or an admin may waive an independent inspection once it is required';
  return {
    kind: 'forbidden',
    reason: 'INSPECTION_REQUIREMENT_LOCKED',
    message: `compliance item ${item.id} requires an independent inspection; ${message}`,
    details: [{ field: 'body.requires_inspection', message }],
  };
}

/**
 * Why `mechanicId` may not become the mechanic of `item`'s task: they independently inspected the
 * item, and the task's mechanic performs its work — the inspector would have inspected their own
 * work (the same rule as an inspection by the assigned mechanic, in the other order). Undefined
 * when someone else inspected it, or nobody yet.
 */
export function inspectorAssignmentRefusal(
  item: Pick<ComplianceItem, 'id' | 'taskId' | 'inspectedBy'>,
  mechanicId: string,
): ComplianceRefusal | undefined {
  if (item.inspectedBy !== mechanicId) return undefined;
  return {
    reason: 'INSPECTOR_IS_PERFORMER',
    message: `user ${mechanicId} independently inspected compliance item ${item.id} of task ${item.taskId}, so they cannot become its mechanic: the task's mechanic performs the work the inspection checks`,
    details: [
      {
        field: 'body.assigned_mechanic_id',
        message: `inspected compliance item ${item.id} of this task: the task's mechanic is never the independent inspector of its work`,
      },
    ],
  };
}

/**
 * Records the independent inspection of `item` by `inspectorId` at `at`. Only a signed-off item
 * that requires inspection and is not inspected yet, on a task still open, and never by a
 * performer of the work: the person who signed it off (the database refuses that too) or the
 * mechanic assigned to the task.
 */
export function inspectComplianceItem(
  item: ComplianceItem,
  task: ComplianceTask,
  input: { inspectorId: string; at: Date },
): ComplianceDecision<ComplianceInspection> {
  const refusal = ((): ComplianceRefusal | undefined => {
    if (!item.requiresInspection) {
      return {
        reason: 'INSPECTION_NOT_REQUIRED',
        message: `compliance item ${item.id} does not require an independent inspection`,
      };
    }
    const inspected = inspectedRefusal(item);
    if (inspected) return inspected;
    if (item.signOffTime === null || item.signOffUserId === null) {
      return {
        reason: 'NOT_SIGNED_OFF',
        message: `compliance item ${item.id} is not signed off yet; the work is inspected after the performer signs it off`,
      };
    }
    if (item.signOffUserId === input.inspectorId) {
      return {
        reason: 'INSPECTOR_IS_PERFORMER',
        message: `you signed compliance item ${item.id} off as its performer; the inspection must be made by someone else`,
        details: [
          {
            field: 'sign_off_user_id',
            message:
              'you signed this item off: an independent inspection is made by someone other than the performer',
          },
        ],
      };
    }
    if (task.assignedMechanicId === input.inspectorId) {
      return {
        reason: 'INSPECTOR_IS_PERFORMER',
        message: `you are the mechanic assigned to task ${task.id}, so you perform its work; the inspection of compliance item ${item.id} must be made by someone else`,
        details: [
          {
            field: 'task.assigned_mechanic_id',
            message: `you are assigned to task ${task.id}: an independent inspection is made by someone other than the task's mechanic`,
          },
        ],
      };
    }
    return taskClosedRefusal(task);
  })();
  if (refusal) return { ok: false, refusal };
  // Never before the sign-off (the database insists): another server's clock may run a little ahead.
  const signedAt = item.signOffTime!;
  const inspectedAt = input.at < signedAt ? signedAt : input.at;
  return {
    ok: true,
    value: { inspectedBy: input.inspectorId, inspectedAt, inspectionMeaning: INSPECTION_MEANING },
  };
}
