import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addCalendar,
  appliesTo,
  compareSerials,
  daysBetween,
  type CalendarUnit,
} from '../../src/domain/directive.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

/** Numeric MSNs of different lengths, a leading zero, alphanumeric ones, letter case. */
const SERIALS = ['1', '9', '10', '999', '1000', '01000', '0999', 'A100', 'A99', 'B2', 'a100', 'MSN-0042'];
/** Range ends: the serials themselves and an open end. */
const BOUNDS = [null, ...SERIALS];

/** Month ends, leap days, year ends and an ordinary day. */
const DAYS = [
  '2024-01-31',
  '2024-02-29',
  '2023-02-28',
  '2025-01-31',
  '2024-03-31',
  '2024-08-31',
  '2024-12-31',
  '2025-12-31',
  '2000-02-29',
  '2100-02-28',
  '2025-05-15',
];
const AMOUNTS: Record<CalendarUnit, number[]> = {
  days: [-366, -1, 1, 28, 29, 30, 31, 365, 366],
  months: [-13, -12, -1, 1, 2, 3, 6, 11, 12, 13, 24, 48],
  years: [-4, -1, 1, 4, 100],
};

describe('the database and the domain agree on serial number ranges', () => {
  it('amss_serial_in_range agrees with appliesTo for every serial and every range over the table', async () => {
    const { rows } = await sql<{ serial: string; low: string | null; high: string | null; inside: boolean }>`
      SELECT s.serial, lo.bound AS low, hi.bound AS high, amss_serial_in_range(s.serial, lo.bound, hi.bound) AS inside
        FROM unnest(${SERIALS}::text[]) AS s(serial)
       CROSS JOIN unnest(${BOUNDS}::text[]) AS lo(bound)
       CROSS JOIN unnest(${BOUNDS}::text[]) AS hi(bound)
       WHERE lo.bound IS NOT NULL OR hi.bound IS NOT NULL`.execute(t.db);
    expect(rows).toHaveLength(SERIALS.length * (BOUNDS.length ** 2 - 1));
    const disagreements = rows.filter(
      ({ serial, low, high, inside }) =>
        appliesTo(
          { aircraftTypeIds: ['t'], tailNumbers: null, serialFrom: low, serialTo: high },
          { aircraftTypeId: 't', tailNumber: 'N1', serialNumber: serial },
        ) !== inside,
    );
    expect(disagreements).toEqual([]);
  });

  it('both order serials naturally: 999 before 1000, shorter before longer, then by character', async () => {
    const { rows } = await sql<{ a: string; b: string; at_least: boolean }>`
      SELECT a.serial AS a, b.serial AS b, amss_serial_in_range(a.serial, b.serial, NULL) AS at_least
        FROM unnest(${SERIALS}::text[]) AS a(serial) CROSS JOIN unnest(${SERIALS}::text[]) AS b(serial)`.execute(
      t.db,
    );
    expect(rows.filter(({ a, b, at_least }) => compareSerials(a, b) >= 0 !== at_least)).toEqual([]);
    const ordered = await sql<{ serial: string }>`
      SELECT serial FROM unnest(${SERIALS}::text[]) AS s(serial) ORDER BY length(serial), serial COLLATE "C"`.execute(
      t.db,
    );
    const sorted = [...SERIALS].sort(compareSerials);
    expect(ordered.rows.map((r) => r.serial)).toEqual(sorted);
    expect(sorted).toEqual([
      '1',
      '9',
      '10',
      'B2',
      '999',
      'A99',
      '0999',
      '1000',
      'A100',
      'a100',
      '01000',
      'MSN-0042',
    ]);
  });

  it('an aircraft without a serial number is outside every range in both', async () => {
    const { rows } = await sql<{ inside: boolean }>`
      SELECT amss_serial_in_range(NULL, lo.bound, hi.bound) AS inside
        FROM unnest(${BOUNDS}::text[]) AS lo(bound) CROSS JOIN unnest(${BOUNDS}::text[]) AS hi(bound)
       WHERE lo.bound IS NOT NULL OR hi.bound IS NOT NULL`.execute(t.db);
    expect(rows.every((r) => !r.inside)).toBe(true);
    const range = { aircraftTypeIds: ['t'], tailNumbers: null, serialFrom: '1', serialTo: null };
    expect(appliesTo(range, { aircraftTypeId: 't', tailNumber: 'N1', serialNumber: null })).toBe(false);
  });

  it('the database refuses exactly the serial ranges the domain orders backwards', async () => {
    const { rows } = await sql<{ low: string; high: string; ordered: boolean }>`
      SELECT lo.serial AS low, hi.serial AS high, amss_serial_in_range(lo.serial, NULL, hi.serial) AS ordered
        FROM unnest(${SERIALS}::text[]) AS lo(serial) CROSS JOIN unnest(${SERIALS}::text[]) AS hi(serial)`.execute(
      t.db,
    );
    expect(rows.filter(({ low, high, ordered }) => compareSerials(low, high) <= 0 !== ordered)).toEqual([]);
  });
});

describe('the database and the domain agree on calendar arithmetic', () => {
  it.each(Object.keys(AMOUNTS) as CalendarUnit[])(
    'date + interval in %s equals addCalendar over month ends and leap days',
    async (unit) => {
      const { rows } = await sql<{ day: string; amount: number; moved: string }>`
        SELECT d.day::text AS day, n.amount,
               (d.day + make_interval(
                  years => CASE WHEN ${unit} = 'years' THEN n.amount ELSE 0 END,
                  months => CASE WHEN ${unit} = 'months' THEN n.amount ELSE 0 END,
                  days => CASE WHEN ${unit} = 'days' THEN n.amount ELSE 0 END))::date::text AS moved
          FROM unnest(${DAYS}::date[]) AS d(day) CROSS JOIN unnest(${AMOUNTS[unit]}::int[]) AS n(amount)`.execute(
        t.db,
      );
      expect(rows).toHaveLength(DAYS.length * AMOUNTS[unit].length);
      const domain = rows.map(({ day, amount }) => ({ day, amount, moved: addCalendar(day, amount, unit) }));
      expect(rows).toEqual(domain);
    },
  );

  it('a month after 31 January is the end of February, and a year after 29 February is 28 February, in both', async () => {
    const { rows } = await sql<{ feb: string; leap: string; back: string }>`
      SELECT (date '2024-01-31' + interval '1 month')::date::text AS feb,
             (date '2024-02-29' + interval '1 year')::date::text AS leap,
             (date '2024-03-31' - interval '1 month')::date::text AS back`.execute(t.db);
    expect(rows[0]).toEqual({
      feb: addCalendar('2024-01-31', 1, 'months'),
      leap: addCalendar('2024-02-29', 1, 'years'),
      back: addCalendar('2024-03-31', -1, 'months'),
    });
    expect(rows[0]).toEqual({ feb: '2024-02-29', leap: '2025-02-28', back: '2024-02-29' });
  });

  it('date - date equals daysBetween across leap days and year ends', async () => {
    const { rows } = await sql<{ from: string; to: string; days: number }>`
      SELECT a.day::text AS from, b.day::text AS to, b.day - a.day AS days
        FROM unnest(${DAYS}::date[]) AS a(day) CROSS JOIN unnest(${DAYS}::date[]) AS b(day)`.execute(t.db);
    expect(rows.filter((r) => daysBetween(r.from, r.to) !== r.days)).toEqual([]);
  });
});
