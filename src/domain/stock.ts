import { addCalendar, calendarDayOf, type CalendarDay } from './directive.js';
import { stockLevel, type StockCounts, type StockLevel } from './part.js';

/** Available items expiring within this many days are counted as expiring soon. */
export const EXPIRY_WARNING_DAYS = 30;

/** A definition's stock settings; each is optional. */
export interface StockSettings {
  /** Fewer available items than this is below the minimum. */
  minStockLevel: number | null;
  /** At or below this many available items it is time to reorder. */
  reorderPoint: number | null;
  /** Days new stock takes to arrive once ordered. */
  leadTimeDays: number | null;
}

/**
 * Where a definition's available stock stands: `out_of_stock` (nothing available), `low` (at or
 * below its reorder point) or `ok`. Without a reorder point only `out_of_stock` and `ok` exist.
 */
export type StockBand = 'out_of_stock' | 'low' | 'ok';

/** The band of `available` items under `reorderPoint`. SQL that filters by it mirrors this rule. */
export function stockBand(available: number, reorderPoint: number | null): StockBand {
  if (available <= 0) return 'out_of_stock';
  if (reorderPoint !== null && available <= reorderPoint) return 'low';
  return 'ok';
}

/** A definition's stock as the stock list and the stock events show it. */
export interface StockStatus extends StockLevel {
  atOrBelowReorderPoint: boolean;
  outOfStock: boolean;
}

/** The stock level of counted items with the reorder flags (below the minimum: see `stockLevel`). */
export function stockStatus(counts: StockCounts, settings: StockSettings): StockStatus {
  const level = stockLevel(counts, settings.minStockLevel);
  return {
    ...level,
    atOrBelowReorderPoint: settings.reorderPoint !== null && level.available <= settings.reorderPoint,
    outOfStock: level.available <= 0,
  };
}

/**
 * The day new stock ordered on `now`'s (UTC) day could arrive: that day plus the lead time; null
 * when the lead time is not known.
 */
export function earliestArrival(now: Date, leadTimeDays: number | null): CalendarDay | null {
  return leadTimeDays === null ? null : addCalendar(calendarDayOf(now), leadTimeDays, 'days');
}

/** The events a change of a definition's available stock emits. */
export const STOCK_EVENT_TYPES = ['part_stock_low', 'part_out_of_stock', 'part_stock_replenished'] as const;
export type StockEventType = (typeof STOCK_EVENT_TYPES)[number];

/** Available stock and the reorder point in force, before or after a change. */
export interface StockPoint {
  available: number;
  reorderPoint: number | null;
}

/**
 * The events of a change that moves a definition's stock from `before` to `after` (the reorder
 * point may change too). Only a crossing emits, never a level that stays in its band:
 * - `part_stock_low` when stock that was above the reorder point falls to it or below (so a
 *   definition without a reorder point never reports low);
 * - `part_out_of_stock` when the last available item goes (emitted beside `part_stock_low` when
 *   one change does both);
 * - `part_stock_replenished` when stock that was low or out rises above the reorder point (above
 *   zero without one): the alerts raised by the other two resolve on it. Rising from out of stock
 *   to still low emits nothing: the stock is still short.
 */
export function stockCrossings(before: StockPoint, after: StockPoint): StockEventType[] {
  const from = stockBand(before.available, before.reorderPoint);
  const to = stockBand(after.available, after.reorderPoint);
  if (from === to) return [];
  if (to === 'ok') return ['part_stock_replenished'];
  const events: StockEventType[] = [];
  if (from === 'ok' && after.reorderPoint !== null) events.push('part_stock_low');
  if (to === 'out_of_stock') events.push('part_out_of_stock');
  return events;
}

/** How a task's requirement for one part stands: held, can be held now, or short. */
export type PartAvailabilityStatus = 'reserved' | 'available' | 'short';

/** A task's requirement for one part definition, and what stock can do for it. */
export interface RequirementCoverage {
  /** Units the task needs. */
  quantity: number;
  /** This task's reservations of the part (reserved or already used). */
  reserved: number;
  /** Items of the part that anyone could reserve now. */
  availableInStock: number;
  leadTimeDays: number | null;
}

/** The outcome for one required part. */
export interface PartAvailability {
  stillNeeded: number;
  status: PartAvailabilityStatus;
  /** Units missing after reserving every available item (0 unless short). */
  shortfall: number;
  /** When a short part could arrive if ordered `now` (null unless short, or without a lead time). */
  expectedDate: CalendarDay | null;
}

/**
 * Whether a requirement is `reserved` (the task holds every unit), `available` (enough free items
 * to reserve the rest) or `short` (with the shortfall and the earliest arrival by lead time).
 */
export function partAvailability(requirement: RequirementCoverage, now: Date): PartAvailability {
  const stillNeeded = Math.max(requirement.quantity - requirement.reserved, 0);
  const shortfall = Math.max(stillNeeded - Math.max(requirement.availableInStock, 0), 0);
  if (stillNeeded === 0) return { stillNeeded, status: 'reserved', shortfall: 0, expectedDate: null };
  if (shortfall === 0) return { stillNeeded, status: 'available', shortfall: 0, expectedDate: null };
  return {
    stillNeeded,
    status: 'short',
    shortfall,
    expectedDate: earliestArrival(now, requirement.leadTimeDays),
  };
}
