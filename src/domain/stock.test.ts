import { describe, expect, it } from 'vitest';
import { earliestArrival, partAvailability, stockBand, stockCrossings, stockStatus } from './stock.js';

const NOW = new Date('2030-12-30T23:30:00Z');
const at = (available: number, reorderPoint: number | null = 2) => ({ available, reorderPoint });

describe('stock band and status', () => {
  it('is out of stock at zero, low at or below the reorder point, ok above it', () => {
    expect([0, 1, 2, 3].map((n) => stockBand(n, 2))).toEqual(['out_of_stock', 'low', 'low', 'ok']);
    expect([0, 1].map((n) => stockBand(n, null))).toEqual(['out_of_stock', 'ok']);
    expect([0, 1].map((n) => stockBand(n, 0))).toEqual(['out_of_stock', 'ok']);
  });

  it('flags reserved items as unavailable, the reorder point inclusive and the minimum exclusive', () => {
    expect(
      stockStatus({ inStock: 5, reserved: 2 }, { minStockLevel: 4, reorderPoint: 3, leadTimeDays: null }),
    ).toEqual({
      inStock: 5,
      reserved: 2,
      available: 3,
      belowMinStock: true,
      atOrBelowReorderPoint: true,
      outOfStock: false,
    });
    expect(
      stockStatus({ inStock: 1, reserved: 1 }, { minStockLevel: null, reorderPoint: null, leadTimeDays: 3 }),
    ).toMatchObject({ available: 0, belowMinStock: false, atOrBelowReorderPoint: false, outOfStock: true });
  });
});

describe('earliest arrival', () => {
  it('is today (UTC) plus the lead time, across a year end; unknown without a lead time', () => {
    expect(earliestArrival(NOW, 0)).toBe('2030-12-30');
    expect(earliestArrival(NOW, 5)).toBe('2031-01-04');
    expect(earliestArrival(NOW, null)).toBeNull();
  });
});

describe('stock crossings', () => {
  it('reports low when stock falls from above the reorder point to it', () => {
    expect(stockCrossings(at(3), at(2))).toEqual(['part_stock_low']);
  });

  it('reports nothing while stock stays in its band', () => {
    expect(stockCrossings(at(5), at(4))).toEqual([]);
    expect(stockCrossings(at(2), at(1))).toEqual([]);
    expect(stockCrossings(at(1), at(2))).toEqual([]);
    expect(stockCrossings(at(0), at(0))).toEqual([]);
  });

  it('reports out of stock when the last available item goes, and low too when it was above the point', () => {
    expect(stockCrossings(at(1), at(0))).toEqual(['part_out_of_stock']);
    expect(stockCrossings(at(1, 0), at(0, 0))).toEqual(['part_stock_low', 'part_out_of_stock']);
    expect(stockCrossings(at(1, null), at(0, null))).toEqual(['part_out_of_stock']);
  });

  it('reports replenished only when stock rises above the reorder point (above zero without one)', () => {
    expect(stockCrossings(at(2), at(3))).toEqual(['part_stock_replenished']);
    expect(stockCrossings(at(0), at(3))).toEqual(['part_stock_replenished']);
    expect(stockCrossings(at(0), at(1))).toEqual([]);
    expect(stockCrossings(at(0, null), at(1, null))).toEqual(['part_stock_replenished']);
  });

  it('follows a changed reorder point at the same stock', () => {
    expect(stockCrossings(at(3, 2), at(3, 5))).toEqual(['part_stock_low']);
    expect(stockCrossings(at(3, 5), at(3, null))).toEqual(['part_stock_replenished']);
  });
});

describe('part availability for a task', () => {
  const need = (
    quantity: number,
    reserved: number,
    availableInStock: number,
    leadTimeDays: number | null = 7,
  ) => partAvailability({ quantity, reserved, availableInStock, leadTimeDays }, NOW);

  it('is reserved when the task holds every unit, whatever the stock', () => {
    expect(need(2, 2, 0)).toEqual({ stillNeeded: 0, status: 'reserved', shortfall: 0, expectedDate: null });
  });

  it('is available when free stock covers the rest', () => {
    expect(need(3, 1, 2)).toEqual({ stillNeeded: 2, status: 'available', shortfall: 0, expectedDate: null });
  });

  it('is short by what stock cannot cover, expected after the lead time (unknown without one)', () => {
    expect(need(3, 1, 1)).toEqual({
      stillNeeded: 2,
      status: 'short',
      shortfall: 1,
      expectedDate: '2031-01-06',
    });
    expect(need(1, 0, 0, null)).toMatchObject({ status: 'short', shortfall: 1, expectedDate: null });
  });
});
