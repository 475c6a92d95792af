import { FINAL_STATES, type TaskState } from './task.js';

/** The outcome of a compliance check: `pending` until the mechanic records pass or fail. */
export const COMPLIANCE_RESULTS = ['pass', 'fail', 'pending'] as const;

export type ComplianceResult = (typeof COMPLIANCE_RESULTS)[number];

/** The task a compliance item belongs to, as the item's rules see it. */
export interface ComplianceTask {
  id: string;
  state: TaskState;
  /** Soft-deleted tasks take no more compliance work. */
  deleted: boolean;
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
  createdAt: Date;
  updatedAt: Date;
}

/** Why a compliance item cannot be created or changed; each reason is its own 409 at the edge. */
export interface ComplianceRefusal {
  reason: 'ALREADY_SIGNED_OFF' | 'RESULT_PENDING' | 'TASK_CLOSED';
  message: string;
}

/** A rule's verdict: the value to apply, or why not. */
export type ComplianceDecision<T> = { ok: true; value: T } | { ok: false; refusal: ComplianceRefusal };

/** The sign-off fields, written once and never again. */
export interface ComplianceSignOff {
  result: Exclude<ComplianceResult, 'pending'>;
  signOffUserId: string;
  signOffTime: Date;
}

export const isSignedOff = (item: Pick<ComplianceItem, 'signOffTime'>): boolean => item.signOffTime !== null;

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
  return { ok: true, value: { result, signOffUserId: input.signerId, signOffTime: input.at } };
}
