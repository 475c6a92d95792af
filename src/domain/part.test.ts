import { describe, expect, it } from 'vitest';
import {
  PART_ITEM_STATUSES,
  countsInStock,
  isExpired,
  itemStatusChangeRefusal,
  reservationRefusal,
  useRefusal,
  reservationTransitionRefusal,
  stockLevel,
  taskReservationRefusal,
  type PartItemStatus,
  type ReservationState,
} from './part.js';

const NOW = new Date('2030-06-01T12:00:00Z');
const item = (status: PartItemStatus, expiry: string | null = null) => ({
  serialNumber: 'SN-1',
  status,
  expiryDate: expiry === null ? null : new Date(expiry),
});

describe('stock level', () => {
  it('counts reserved items as in stock but not available', () => {
    expect(stockLevel({ inStock: 5, reserved: 2 }, 4)).toEqual({
      inStock: 5,
      reserved: 2,
      available: 3,
      belowMinStock: true,
    });
  });

  it('is below the minimum only when fewer than the minimum are available', () => {
    expect(stockLevel({ inStock: 2, reserved: 0 }, 2).belowMinStock).toBe(false);
    expect(stockLevel({ inStock: 0, reserved: 0 }, 0).belowMinStock).toBe(false);
    expect(stockLevel({ inStock: 0, reserved: 0 }, null).belowMinStock).toBe(false);
  });
});

describe('expiry', () => {
  it('counts an item as expired from its expiry instant on; no expiry never expires', () => {
    expect(isExpired({ expiryDate: NOW }, NOW)).toBe(true);
    expect(isExpired({ expiryDate: new Date(NOW.getTime() + 1) }, NOW)).toBe(false);
    expect(isExpired({ expiryDate: null }, NOW)).toBe(false);
  });

  it('counts an item in stock only while it is on the shelf and unexpired', () => {
    expect(countsInStock(item('in_stock'), NOW)).toBe(true);
    expect(countsInStock(item('in_stock', '2030-06-02T00:00:00Z'), NOW)).toBe(true);
    expect(countsInStock(item('in_stock', '2030-06-01T12:00:00Z'), NOW)).toBe(false);
    expect(countsInStock(item('used'), NOW)).toBe(false);
    expect(countsInStock(item('disposed'), NOW)).toBe(false);
  });
});

describe('reserving an item', () => {
  it('accepts an in-stock item that has not expired', () => {
    expect(reservationRefusal(item('in_stock'), NOW)).toBeUndefined();
    expect(reservationRefusal(item('in_stock', '2030-06-02T00:00:00Z'), NOW)).toBeUndefined();
  });

  it('refuses a used or disposed item as not available, naming its status', () => {
    for (const status of ['used', 'disposed'] as const) {
      const refusal = reservationRefusal(item(status), NOW);
      expect(refusal).toMatchObject({ kind: 'conflict', reason: 'PART_NOT_AVAILABLE' });
      expect(refusal?.message).toContain(status);
    }
  });

  it('refuses an expired item with PART_EXPIRED', () => {
    expect(reservationRefusal(item('in_stock', '2030-05-31T00:00:00Z'), NOW)).toMatchObject({
      reason: 'PART_EXPIRED',
    });
  });

  it('accepts scheduled and in-progress tasks only', () => {
    const task = (state: string) => ({ id: 't', state, assignedMechanicId: null });
    expect(taskReservationRefusal(task('scheduled'))).toBeUndefined();
    expect(taskReservationRefusal(task('in_progress'))).toBeUndefined();
    for (const state of ['completed', 'cancelled']) {
      expect(taskReservationRefusal(task(state))).toMatchObject({ reason: 'TASK_NOT_OPEN' });
    }
  });
});

describe('fitting a reserved item', () => {
  it('is refused once the item expired, even though it was valid when reserved', () => {
    expect(useRefusal(item('in_stock', '2030-06-02T00:00:00Z'), NOW)).toBeUndefined();
    expect(useRefusal(item('in_stock', '2030-06-01T12:00:00Z'), NOW)).toMatchObject({
      kind: 'conflict',
      reason: 'PART_EXPIRED',
    });
    expect(useRefusal(item('disposed'), NOW)).toMatchObject({ reason: 'PART_NOT_AVAILABLE' });
  });
});

describe('changing an item’s status directly', () => {
  it('allows every move out of in_stock for an unreserved item, and keeping any status', () => {
    for (const to of PART_ITEM_STATUSES)
      expect(itemStatusChangeRefusal('in_stock', to, false)).toBeUndefined();
    for (const s of PART_ITEM_STATUSES) expect(itemStatusChangeRefusal(s, s, true)).toBeUndefined();
  });

  it('treats used and disposed as final', () => {
    for (const from of ['used', 'disposed'] as const) {
      for (const to of PART_ITEM_STATUSES.filter((s) => s !== from)) {
        expect(itemStatusChangeRefusal(from, to, false)).toMatchObject({ reason: 'ITEM_FINAL' });
      }
    }
  });

  it('sends a reserved item through its reservation instead of disposing it or marking it used', () => {
    expect(itemStatusChangeRefusal('in_stock', 'used', true)).toMatchObject({ reason: 'ITEM_RESERVED' });
    expect(itemStatusChangeRefusal('in_stock', 'disposed', true)).toMatchObject({ reason: 'ITEM_RESERVED' });
  });
});

describe('moving a reservation', () => {
  const task = { assignedMechanicId: 'mech-1' };
  const reserved = { state: 'reserved' as ReservationState };

  it('lets the assigned mechanic, a scheduler and an admin mark it used', () => {
    expect(
      reservationTransitionRefusal(reserved, 'used', task, { role: 'mechanic', userId: 'mech-1' }),
    ).toBeUndefined();
    expect(
      reservationTransitionRefusal(reserved, 'used', task, { role: 'scheduler', userId: 's' }),
    ).toBeUndefined();
    expect(
      reservationTransitionRefusal(reserved, 'used', task, { role: 'admin', userId: 'a' }),
    ).toBeUndefined();
    expect(reservationTransitionRefusal(reserved, 'used', task, {})).toBeUndefined();
  });

  it('refuses another mechanic marking it used, also on a task without a mechanic', () => {
    const other = { role: 'mechanic' as const, userId: 'mech-2' };
    expect(reservationTransitionRefusal(reserved, 'used', task, other)).toMatchObject({
      kind: 'forbidden',
      reason: 'NOT_ASSIGNED_MECHANIC',
    });
    expect(reservationTransitionRefusal(reserved, 'used', { assignedMechanicId: null }, other)).toMatchObject(
      {
        reason: 'NOT_ASSIGNED_MECHANIC',
      },
    );
  });

  it('lets any mechanic release it', () => {
    expect(
      reservationTransitionRefusal(reserved, 'released', task, { role: 'mechanic', userId: 'mech-2' }),
    ).toBeUndefined();
  });

  it('treats used and released as final', () => {
    for (const state of ['used', 'released'] as const) {
      for (const to of ['used', 'released'] as const) {
        expect(reservationTransitionRefusal({ state }, to, task, { role: 'admin' })).toMatchObject({
          kind: 'conflict',
          reason: 'INVALID_TRANSITION',
        });
      }
    }
  });
});
