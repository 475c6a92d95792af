import { describe, expect, it } from 'vitest';
import { defaultLeadValue, firstFreeStart, nextSlot, planGeneration } from './program-generation.js';
import type { MaintenanceProgram } from './program.js';

const NOW = new Date('2026-06-15T10:30:00Z');
const DAY = 86_400_000;

const program = (overrides: Partial<MaintenanceProgram>): MaintenanceProgram => ({
  id: 'p1',
  orgId: 'o1',
  aircraftId: 'a1',
  name: 'A-check',
  intervalType: 'calendar',
  intervalValue: 30,
  lastPerformed: null,
  lastPerformedFlightHours: null,
  lastPerformedCycles: null,
  aircraftNextDue: null,
  aircraftUsage: { flightHours: 1000, cycles: 500 },
  leadValue: null,
  taskType: 'inspection',
  taskDurationMinutes: 60,
  createdAt: NOW,
  updatedAt: NOW,
  ...overrides,
});

describe('planGeneration', () => {
  it('defaults the lead to a tenth of the interval, at least one unit', () => {
    expect([1, 9, 10, 45, 500].map(defaultLeadValue)).toEqual([1, 1, 1, 4, 50]);
  });

  it('puts the first slot at the next full hour', () => {
    expect(nextSlot(NOW)).toEqual(new Date('2026-06-15T11:00:00Z'));
    expect(nextSlot(new Date('2026-06-15T11:00:00Z'))).toEqual(new Date('2026-06-15T12:00:00Z'));
  });

  it('plans a next occurrence regardless of the lead where its due time is known: calendar, not usage', () => {
    const calendar = program({ lastPerformed: NOW });
    expect(planGeneration(calendar, NOW)).toEqual({ reason: 'NOT_DUE' });
    const next = planGeneration(calendar, NOW, { regardlessOfLead: true });
    expect(next).toMatchObject({ plan: { startTime: new Date(NOW.getTime() + 30 * DAY) } });
    const hours = program({
      intervalType: 'flight_hours',
      intervalValue: 500,
      lastPerformedFlightHours: 1000,
    });
    expect(planGeneration(hours, NOW, { regardlessOfLead: true })).toEqual({ reason: 'NOT_DUE' });
  });

  it('takes the aircraft’s next_due as the first due point of a never-performed calendar program', () => {
    const nextDue = new Date(NOW.getTime() + 2 * DAY);
    expect(planGeneration(program({ aircraftNextDue: nextDue }), NOW)).toMatchObject({
      plan: { dueAt: nextDue, startTime: nextDue },
    });
    const later = new Date(NOW.getTime() + 4 * DAY);
    expect(planGeneration(program({ aircraftNextDue: later }), NOW)).toEqual({ reason: 'NOT_DUE' });
  });

  it('plans a calendar task at its due time once within the lead, and not a moment earlier', () => {
    const lastPerformed = new Date(NOW.getTime() - 27 * DAY);
    const due = new Date(lastPerformed.getTime() + 30 * DAY);
    expect(planGeneration(program({ lastPerformed }), NOW)).toMatchObject({
      plan: { dueAt: due, startTime: due, endTime: new Date(due.getTime() + 3_600_000) },
    });
    expect(planGeneration(program({ lastPerformed, leadValue: 2 }), NOW)).toEqual({ reason: 'NOT_DUE' });
  });

  it('plans usage programs within their lead at the next slot, with what is left', () => {
    const due = planGeneration(
      program({ intervalType: 'cycles', intervalValue: 100, leadValue: 10, lastPerformedCycles: 410 }),
      NOW,
    );
    expect(due).toMatchObject({ plan: { remaining: 10, dueAt: null, startTime: nextSlot(NOW) } });
    const early = planGeneration(
      program({
        intervalType: 'flight_hours',
        intervalValue: 100,
        leadValue: 10,
        lastPerformedFlightHours: 910.5,
      }),
      NOW,
    );
    expect(early).toEqual({ reason: 'NOT_DUE' });
  });

  it('plans a never-performed program at once and a template never', () => {
    expect('plan' in planGeneration(program({ intervalType: 'flight_hours' }), NOW)).toBe(true);
    expect(planGeneration(program({ aircraftId: null, aircraftUsage: null }), NOW)).toEqual({
      reason: 'TEMPLATE_PROGRAM',
    });
  });
});

describe('firstFreeStart', () => {
  const at = (hour: number) => new Date(Date.UTC(2026, 5, 15, hour));
  const busy = (from: number, to: number) => ({ start: at(from), end: at(to) });

  it('keeps the desired start when the window is free, touching windows included', () => {
    expect(firstFreeStart(at(10), 60, [busy(8, 10), busy(11, 12)])).toEqual(at(10));
  });

  it('moves past every window in the way, to the first gap long enough', () => {
    expect(firstFreeStart(at(10), 120, [busy(14, 15), busy(9, 11), busy(12, 13)])).toEqual(at(15));
    expect(firstFreeStart(at(10), 60, [busy(14, 15), busy(9, 11), busy(12, 13)])).toEqual(at(11));
  });
});
