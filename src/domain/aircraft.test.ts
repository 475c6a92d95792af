import { describe, expect, it } from 'vitest';
import {
  automaticStatusChange,
  hasAtMostTwoDecimals,
  maintenanceDatesProblem,
  normalizeModel,
  normalizeTailNumber,
  statusFollowsTasks,
  type AircraftStatus,
  type AircraftStatusSource,
} from './aircraft.js';

describe('the aircraft status workflow', () => {
  const cases: [AircraftStatus, AircraftStatusSource, boolean, AircraftStatus | undefined][] = [
    ['operational', 'manual', true, 'grounded'],
    ['operational', 'automatic', true, 'grounded'],
    ['operational', 'manual', false, undefined],
    ['operational', 'automatic', false, undefined],
    ['grounded', 'automatic', false, 'operational'],
    ['grounded', 'automatic', true, undefined],
    ['grounded', 'manual', false, undefined],
    ['grounded', 'manual', true, undefined],
    ['maintenance', 'manual', true, undefined],
    ['maintenance', 'manual', false, undefined],
    ['maintenance', 'automatic', true, undefined],
    ['maintenance', 'automatic', false, undefined],
  ];

  it.each(cases)('%s (%s), grounding needed=%s → %s', (status, statusSource, needsGrounding, expected) => {
    expect(automaticStatusChange({ status, statusSource }, needsGrounding)).toBe(expected);
  });

  it('moves only operational and automatically grounded aircraft', () => {
    expect(statusFollowsTasks({ status: 'operational', statusSource: 'manual' })).toBe(true);
    expect(statusFollowsTasks({ status: 'grounded', statusSource: 'automatic' })).toBe(true);
    expect(statusFollowsTasks({ status: 'grounded', statusSource: 'manual' })).toBe(false);
    expect(statusFollowsTasks({ status: 'maintenance', statusSource: 'automatic' })).toBe(false);
  });
});

describe('maintenance dates', () => {
  const day = (d: number) => new Date(Date.UTC(2025, 0, d));

  it('accepts next_due after last_maintenance, or either one unset', () => {
    expect(maintenanceDatesProblem(day(1), day(2))).toBeUndefined();
    expect(maintenanceDatesProblem(null, day(2))).toBeUndefined();
    expect(maintenanceDatesProblem(day(1), null)).toBeUndefined();
    expect(maintenanceDatesProblem(null, null)).toBeUndefined();
  });

  it('refuses next_due at or before last_maintenance, saying both', () => {
    expect(maintenanceDatesProblem(day(2), day(2))).toMatch(
      /next_due \(2025-01-02.*\) must be after last_maintenance \(2025-01-02/,
    );
    expect(maintenanceDatesProblem(day(3), day(2))).toBeDefined();
  });
});

describe('normalisation', () => {
  it('stores tail numbers trimmed and upper-case, models trimmed with single spaces', () => {
    expect(normalizeTailNumber('  n101da ')).toBe('N101DA');
    expect(normalizeModel('  Boeing   737-800 ')).toBe('Boeing 737-800');
  });

  it('accepts flight hours to the hundredth only', () => {
    for (const ok of [0, 1, 0.07, 1.5, 2.25, 999_999.99]) expect(hasAtMostTwoDecimals(ok)).toBe(true);
    for (const bad of [1.001, 0.333, 2.255]) expect(hasAtMostTwoDecimals(bad)).toBe(false);
  });
});
