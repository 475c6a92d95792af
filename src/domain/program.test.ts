import { describe, expect, it } from 'vitest';
import { nextDue, programProblems, type MaintenanceProgram } from './program.js';

const program = (overrides: Partial<MaintenanceProgram>): MaintenanceProgram => ({
  id: 'p1',
  orgId: 'o1',
  aircraftId: 'a1',
  name: 'A-check',
  intervalType: 'calendar',
  intervalValue: 120,
  lastPerformed: null,
  lastPerformedFlightHours: null,
  lastPerformedCycles: null,
  aircraftNextDue: null,
  aircraftUsage: { flightHours: 1200.5, cycles: 800 },
  leadValue: null,
  taskType: 'inspection',
  taskDurationMinutes: 480,
  createdAt: new Date('2025-01-01T00:00:00Z'),
  updatedAt: new Date('2025-01-01T00:00:00Z'),
  ...overrides,
});

describe('nextDue', () => {
  it('puts a calendar program interval days after its last performance', () => {
    const due = nextDue(program({ lastPerformed: new Date('2025-03-01T10:00:00Z'), intervalValue: 120 }));
    expect(due).toEqual({
      at: new Date('2025-06-29T10:00:00Z'),
      flightHours: null,
      cycles: null,
      remaining: null,
    });
  });

  it('counts flight hours from the last performance and shows what is left on the aircraft', () => {
    const due = nextDue(
      program({ intervalType: 'flight_hours', intervalValue: 500, lastPerformedFlightHours: 1000.25 }),
    );
    expect(due).toEqual({ at: null, flightHours: 1500.25, cycles: null, remaining: 299.75 });
  });

  it('shows a negative remainder once a cycles program is overdue', () => {
    const due = nextDue(program({ intervalType: 'cycles', intervalValue: 100, lastPerformedCycles: 650 }));
    expect(due).toEqual({ at: null, flightHours: null, cycles: 750, remaining: -50 });
  });

  it('keeps hundredths exact where binary floating point would not', () => {
    const due = nextDue(
      program({
        intervalType: 'flight_hours',
        intervalValue: 1,
        lastPerformedFlightHours: 0.1,
        aircraftUsage: { flightHours: 0.3, cycles: 0 },
      }),
    );
    expect(due).toMatchObject({ flightHours: 1.1, remaining: 0.8 });
  });

  it('leaves the remainder unknown for a template, which has no aircraft', () => {
    const due = nextDue(
      program({ aircraftId: null, aircraftUsage: null, intervalType: 'cycles', lastPerformedCycles: 10 }),
    );
    expect(due).toMatchObject({ cycles: 130, remaining: null });
  });

  it.each([
    ['calendar', { lastPerformedFlightHours: 5, lastPerformedCycles: 5 }],
    ['flight_hours', { lastPerformed: new Date('2025-01-01T00:00:00Z'), lastPerformedCycles: 5 }],
    ['cycles', { lastPerformed: new Date('2025-01-01T00:00:00Z'), lastPerformedFlightHours: 5 }],
  ] as const)('cannot tell when a never-performed %s program is due', (intervalType, performed) => {
    expect(nextDue(program({ intervalType, ...performed }))).toBeUndefined();
  });
});

describe('programProblems', () => {
  const now = new Date('2025-06-01T12:00:00Z');

  it('accepts a name and a past or present last performance', () => {
    expect(programProblems({ name: 'Oil change', lastPerformed: now }, now)).toEqual([]);
    expect(programProblems({ lastPerformed: null }, now)).toEqual([]);
  });

  it('names a blank name and a last performance in the future, each with its reason', () => {
    const problems = programProblems({ name: '  ', lastPerformed: new Date(now.getTime() + 1) }, now);
    expect(problems.map((p) => [p.field, p.reason])).toEqual([
      ['name', 'PROGRAM_NAME_BLANK'],
      ['last_performed', 'LAST_PERFORMED_IN_FUTURE'],
    ]);
  });
});
