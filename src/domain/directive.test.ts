import { describe, expect, it } from 'vitest';
import {
  addCalendar,
  appliesTo,
  compareSerials,
  dueAfterCompliance,
  initialDue,
  isCalendarDay,
  isOverdue,
  isPastLimit,
  NOTHING_DUE,
  projectedDueDate,
  statusAfterCompliance,
  statusWithoutTask,
  statusWithTask,
  withinHorizon,
  type Applicability,
  type Recurrence,
} from './directive.js';

const A20N = 'type-a20n';
const B738 = 'type-b738';
const byType: Applicability = {
  aircraftTypeIds: [A20N],
  tailNumbers: null,
  serialFrom: null,
  serialTo: null,
};
const aircraft = { aircraftTypeId: A20N, tailNumber: 'N101DA', serialNumber: '1234' };
const point = (date: string, flightHours = 0, cycles = 0) => ({ date, flightHours, cycles });
const everyYear: Recurrence = { calendar: { value: 12, unit: 'months' }, flightHours: 600, cycles: null };

describe('calendar arithmetic', () => {
  it('keeps the day of month when it exists and takes the month end when it does not', () => {
    expect(addCalendar('2025-01-15', 1, 'months')).toBe('2025-02-15');
    expect(addCalendar('2025-01-31', 1, 'months')).toBe('2025-02-28');
    expect(addCalendar('2024-01-31', 1, 'months')).toBe('2024-02-29');
    expect(addCalendar('2025-08-31', 13, 'months')).toBe('2026-09-30');
  });

  it('moves a leap day to 28 February in a year without one, and back to 29 in a leap year', () => {
    expect(addCalendar('2024-02-29', 1, 'years')).toBe('2025-02-28');
    expect(addCalendar('2024-02-29', 4, 'years')).toBe('2028-02-29');
  });

  it('counts days across month, year and leap-day boundaries', () => {
    expect(addCalendar('2024-02-28', 1, 'days')).toBe('2024-02-29');
    expect(addCalendar('2025-12-31', 1, 'days')).toBe('2026-01-01');
    expect(addCalendar('2025-03-01', -1, 'days')).toBe('2025-02-28');
  });

  it('accepts only real days written YYYY-MM-DD', () => {
    expect(isCalendarDay('2024-02-29')).toBe(true);
    expect(isCalendarDay('2025-02-29')).toBe(false);
    expect(isCalendarDay('2025-13-01')).toBe(false);
    expect(isCalendarDay('2025-1-01')).toBe(false);
  });
});

describe('applicability', () => {
  it('applies to aircraft of a listed type only, never to one of unknown type', () => {
    expect(appliesTo(byType, aircraft)).toBe(true);
    expect(appliesTo(byType, { ...aircraft, aircraftTypeId: B738 })).toBe(false);
    expect(appliesTo(byType, { ...aircraft, aircraftTypeId: null })).toBe(false);
  });

  it('narrows to the listed tails', () => {
    const tails = { ...byType, tailNumbers: ['N102DA'] };
    expect(appliesTo(tails, aircraft)).toBe(false);
    expect(appliesTo(tails, { ...aircraft, tailNumber: 'N102DA' })).toBe(true);
  });

  it('narrows to a serial range compared naturally, so 999 is below 1000', () => {
    const range = { ...byType, serialFrom: '1000', serialTo: '2000' };
    expect(appliesTo(range, { ...aircraft, serialNumber: '999' })).toBe(false);
    expect(appliesTo(range, { ...aircraft, serialNumber: '1000' })).toBe(true);
    expect(appliesTo(range, { ...aircraft, serialNumber: '2000' })).toBe(true);
    expect(appliesTo(range, { ...aircraft, serialNumber: '10000' })).toBe(false);
    expect(appliesTo(range, { ...aircraft, serialNumber: null })).toBe(false);
    expect(
      appliesTo({ ...byType, serialFrom: '5000', serialTo: null }, { ...aircraft, serialNumber: '12000' }),
    ).toBe(true);
    expect(compareSerials('999', '1000')).toBeLessThan(0);
  });
});

describe('next due', () => {
  it('makes the first limit whichever comes first of a date and days after the effective date', () => {
    const limit = { date: '2025-03-15', days: 30, flightHours: null, cycles: null };
    expect(initialDue(limit, point('2025-03-01')).date).toBe('2025-03-15');
    expect(initialDue(limit, point('2025-02-01')).date).toBe('2025-03-03');
  });

  it('counts hour and cycle limits from the aircraft counters at the effective date', () => {
    const limit = { date: null, days: null, flightHours: 500, cycles: 300 };
    expect(initialDue(limit, point('2025-01-01', 1200.5, 800))).toEqual({
      date: null,
      flightHours: 1700.5,
      cycles: 1100,
    });
  });

  it('closes a directive complied with once, and moves a recurring one from the compliance', () => {
    const once: Recurrence = { calendar: null, flightHours: null, cycles: null };
    expect(dueAfterCompliance(once, point('2025-05-10', 3000, 2000))).toEqual(NOTHING_DUE);
    expect(dueAfterCompliance(everyYear, point('2024-02-29', 3000.25, 2000))).toEqual({
      date: '2025-02-28',
      flightHours: 3600.25,
      cycles: null,
    });
  });

  it('is overdue once the day after the due date begins or a counter goes beyond its limit', () => {
    const due = { date: '2025-06-30', flightHours: 3600, cycles: 2500 };
    expect(isOverdue(due, point('2025-06-30', 3600, 2500))).toBe(false);
    expect(isOverdue(due, point('2025-07-01', 100, 100))).toBe(true);
    expect(isOverdue(due, point('2025-01-01', 3600.01, 100))).toBe(true);
    expect(isOverdue(due, point('2025-01-01', 100, 2501))).toBe(true);
  });
});

describe('projection and horizon', () => {
  const due = { date: '2025-12-31', flightHours: 3600, cycles: null };

  it('projects the day the hours run out at the recent daily utilisation when that comes first', () => {
    expect(projectedDueDate(due, point('2025-06-01', 3000), { flightHours: 10, cycles: 5 })).toBe(
      '2025-07-31',
    );
    expect(projectedDueDate(due, point('2025-06-01', 3000), { flightHours: 1, cycles: 5 })).toBe(
      '2025-12-31',
    );
    expect(projectedDueDate(due, point('2025-06-01', 3700), { flightHours: 0, cycles: 0 })).toBe(
      '2025-06-01',
    );
    expect(
      projectedDueDate({ ...due, date: null }, point('2025-06-01', 3000), { flightHours: 0, cycles: 0 }),
    ).toBe(null);
  });

  it('counts an item within the horizon by days, hours or cycles, whichever comes first', () => {
    const now = point('2025-06-01', 3000, 100);
    const horizon = { days: 30, flightHours: null, cycles: null };
    expect(withinHorizon(due, now, '2025-07-01', horizon)).toBe(true);
    expect(withinHorizon(due, now, '2025-07-02', horizon)).toBe(false);
    expect(withinHorizon(due, now, '2025-12-31', { days: null, flightHours: 600, cycles: null })).toBe(true);
    expect(
      withinHorizon(due, point('2026-01-01', 0, 0), null, { days: 1, flightHours: null, cycles: null }),
    ).toBe(true);
  });
});

describe('the tracking row', () => {
  it('is closed by compliance with a one-time directive and owed again under a recurring one', () => {
    expect(statusAfterCompliance({ calendar: null, flightHours: null, cycles: null })).toBe('complied');
    expect(statusAfterCompliance(everyYear)).toBe('pending');
    expect(statusAfterCompliance({ calendar: null, flightHours: null, cycles: 300 })).toBe('pending');
  });

  it('is in progress while a task works a pending row, and pending again when the task goes', () => {
    expect(statusWithTask('pending')).toBe('in_progress');
    expect(statusWithTask('overdue')).toBe('overdue');
    expect(statusWithTask('deferred')).toBe('deferred');
    expect(statusWithoutTask('in_progress')).toBe('pending');
    expect(statusWithoutTask('overdue')).toBe('overdue');
  });

  it('is past its limit when still owed and its effective limit (a deferral while deferred) has passed', () => {
    const now = point('2025-07-01', 100, 100);
    const row = {
      nextDue: { date: '2025-06-30', flightHours: null, cycles: null },
      deferredUntil: NOTHING_DUE,
    };
    expect(isPastLimit({ ...row, status: 'pending' }, now)).toBe(true);
    expect(isPastLimit({ ...row, status: 'overdue' }, now)).toBe(true);
    expect(isPastLimit({ ...row, status: 'complied' }, now)).toBe(false);
    expect(isPastLimit({ ...row, status: 'not_applicable' }, now)).toBe(false);
    const deferred = {
      ...row,
      status: 'deferred' as const,
      deferredUntil: { ...NOTHING_DUE, date: '2025-09-30' },
    };
    expect(isPastLimit(deferred, now)).toBe(false);
    expect(isPastLimit(deferred, point('2025-10-01'))).toBe(true);
  });
});
