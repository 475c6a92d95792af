import type { Role } from './roles.js';

/** Where a serialized part item is: on the shelf, fitted to an aircraft, or thrown away. */
export const PART_ITEM_STATUSES = ['in_stock', 'used', 'disposed'] as const;
export type PartItemStatus = (typeof PART_ITEM_STATUSES)[number];

/** A reservation holds an item for a task until the part is fitted (used) or given back (released). */
export const RESERVATION_STATES = ['reserved', 'used', 'released'] as const;
export type ReservationState = (typeof RESERVATION_STATES)[number];

/** The states a reservation may be moved to; `reserved` is only ever its starting state. */
export const RESERVATION_TARGETS = ['used', 'released'] as const;
export type ReservationTarget = (typeof RESERVATION_TARGETS)[number];

/** Task states in which parts may be reserved for a task. */
export const OPEN_TASK_STATES: readonly string[] = ['scheduled', 'in_progress'];

/** How many items of a definition are on the shelf (live, in stock, unexpired) and how many of those are held. */
export interface StockCounts {
  inStock: number;
  /** Of the items in stock, those with an active reservation. */
  reserved: number;
}

/** A kind of part (a catalogue entry) with its stock counted from its items. */
export interface PartDefinition {
  id: string;
  orgId: string;
  name: string;
  category: string;
  minStockLevel: number | null;
  reorderPoint: number | null;
  leadTimeDays: number | null;
  stock: StockCounts;
  createdAt: Date;
  updatedAt: Date;
}

/** One serialized physical part. */
export interface PartItem {
  id: string;
  orgId: string;
  partDefinitionId: string;
  serialNumber: string;
  status: PartItemStatus;
  expiryDate: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A part item held for a maintenance task. */
export interface PartReservation {
  id: string;
  orgId: string;
  taskId: string;
  partItemId: string;
  state: ReservationState;
  quantity: number;
  createdAt: Date;
  updatedAt: Date;
}

/** What a reservation needs to know about its task. */
export interface ReservationTask {
  id: string;
  state: string;
  assignedMechanicId: string | null;
}

/** Stock levels as clients read them: what can still be reserved and whether it is too little. */
export interface StockLevel {
  inStock: number;
  reserved: number;
  available: number;
  /** True when a minimum is set and fewer items than that are available. */
  belowMinStock: boolean;
}

/** Why a rule refuses a change: the kind of refusal, a stable reason and what a person reads. */
export interface PartRefusal {
  kind: 'conflict' | 'forbidden';
  reason: string;
  message: string;
}

/** Stock levels from counted items; reserved items are on the shelf but no longer available. */
export function stockLevel(counts: StockCounts, minStockLevel: number | null): StockLevel {
  const available = counts.inStock - counts.reserved;
  return {
    inStock: counts.inStock,
    reserved: counts.reserved,
    available,
    belowMinStock: minStockLevel !== null && available < minStockLevel,
  };
}

/** An item whose expiry date has been reached may no longer be fitted from stock. */
export const isExpired = (item: Pick<PartItem, 'expiryDate'>, now: Date): boolean =>
  item.expiryDate !== null && item.expiryDate.getTime() <= now.getTime();

/**
 * Whether a live item counts in its definition's stock at `now`: in stock and unexpired (the rule
 * the stock counts of PostgreSQL apply; reserved items count too, and are counted again as reserved).
 */
export const countsInStock = (item: Pick<PartItem, 'status' | 'expiryDate'>, now: Date): boolean =>
  item.status === 'in_stock' && !isExpired(item, now);

/** Why an item cannot be reserved now, or undefined when it can (the caller checks for an active reservation). */
export function reservationRefusal(
  item: Pick<PartItem, 'serialNumber' | 'status' | 'expiryDate'>,
  now: Date,
): PartRefusal | undefined {
  if (item.status !== 'in_stock') {
    return conflict('PART_NOT_AVAILABLE', `part item ${item.serialNumber} is ${item.status}, not in stock`);
  }
  if (isExpired(item, now)) {
    return conflict(
      'PART_EXPIRED',
      `part item ${item.serialNumber} expired at ${item.expiryDate!.toISOString()} and cannot be reserved`,
    );
  }
  return undefined;
}

/**
 * Why a reserved item cannot be marked used now, or undefined when it can. Checked again under the
 * item's lock when the part is fitted, not only when it was reserved: a part reserved while valid
 * may have expired since, and an expired part is never fitted.
 */
export function useRefusal(
  item: Pick<PartItem, 'serialNumber' | 'status' | 'expiryDate'>,
  now: Date,
): PartRefusal | undefined {
  if (item.status !== 'in_stock') {
    return conflict(
      'PART_NOT_AVAILABLE',
      `the reserved part item ${item.serialNumber} is no longer in stock`,
    );
  }
  if (isExpired(item, now)) {
    return conflict(
      'PART_EXPIRED',
      `part item ${item.serialNumber} expired at ${item.expiryDate!.toISOString()} and cannot be marked used; release the reservation and reserve a valid item`,
    );
  }
  return undefined;
}

/** Why parts cannot be reserved for a task in this state, or undefined when they can. */
export function taskReservationRefusal(task: ReservationTask): PartRefusal | undefined {
  if (OPEN_TASK_STATES.includes(task.state)) return undefined;
  return conflict(
    'TASK_NOT_OPEN',
    `parts can be reserved only for scheduled or in-progress tasks; task ${task.id} is ${task.state}`,
  );
}

/**
 * Why an item's status may not change from `from` to `to` by a direct edit, or undefined when it
 * may. Used and disposed are final; an item held by a reservation is used or given back through
 * its reservation, so it is neither disposed nor marked used directly.
 */
export function itemStatusChangeRefusal(
  from: PartItemStatus,
  to: PartItemStatus,
  reserved: boolean,
): PartRefusal | undefined {
  if (from === to) return undefined;
  if (from !== 'in_stock') {
    return conflict('ITEM_FINAL', `the part item is ${from}, which is final; its status cannot change`);
  }
  if (reserved) {
    return conflict(
      'ITEM_RESERVED',
      `the part item is reserved for a task; mark the reservation used or release it instead of setting ${to}`,
    );
  }
  return undefined;
}

/** Who is moving a reservation. */
export interface ReservationActor {
  /** Unset for background jobs, which act with full rights. */
  role?: Role;
  userId?: string;
}

/**
 * Why `actor` may not move `reservation` to `to`, or undefined when they may. Only a reserved
 * reservation moves, and only once. Marking a part used is for the task's assigned mechanic, a
 * scheduler or an admin; any of scheduler, mechanic or admin may release it.
 */
export function reservationTransitionRefusal(
  reservation: Pick<PartReservation, 'state'>,
  to: ReservationTarget,
  task: Pick<ReservationTask, 'assignedMechanicId'>,
  actor: ReservationActor,
): PartRefusal | undefined {
  if (reservation.state !== 'reserved') {
    return conflict(
      'INVALID_TRANSITION',
      `the reservation is ${reservation.state}, which is final; it cannot become ${to}`,
    );
  }
  if (to === 'used' && actor.role === 'mechanic' && actor.userId !== task.assignedMechanicId) {
    return {
      kind: 'forbidden',
      reason: 'NOT_ASSIGNED_MECHANIC',
      message: 'only the mechanic assigned to the task, a scheduler or an admin may mark its parts used',
    };
  }
  return undefined;
}

const conflict = (reason: string, message: string): PartRefusal => ({ kind: 'conflict', reason, message });
