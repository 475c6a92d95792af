import { describe, expect, it } from 'vitest';
import {
  acknowledgeRefusal,
  certificationExpiryLevel,
  certificationExpiryThreshold,
  escalatedLevel,
  isDueForEscalation,
  louder,
  resolveRefusal,
  taskOverdueLevel,
} from './alert.js';

const HOUR = 60 * 60 * 1000;

describe('certification expiry thresholds', () => {
  it.each([
    [120, undefined, undefined],
    [91, undefined, undefined],
    [90, 'info', 90],
    [61, 'info', 90],
    [60, 'warning', 60],
    [31, 'warning', 60],
    [30, 'critical', 30],
    [0, 'critical', 30],
  ] as const)('%i days before expiry is announced as %s', (daysLeft, level, threshold) => {
    expect(certificationExpiryLevel(daysLeft)).toBe(level);
    expect(certificationExpiryThreshold(daysLeft)).toBe(threshold);
  });
});

describe('levels', () => {
  it('a worse condition raises the level and a milder one never lowers it', () => {
    expect(louder('info', 'warning')).toBe('warning');
    expect(louder('critical', 'info')).toBe('critical');
  });

  it('an overdue AOG or critical task is critical; a routine one a warning', () => {
    expect(taskOverdueLevel('aog')).toBe('critical');
    expect(taskOverdueLevel('critical')).toBe('critical');
    expect(taskOverdueLevel('urgent')).toBe('warning');
    expect(taskOverdueLevel('routine')).toBe('warning');
  });

  it('escalation moves one level up and stops at critical', () => {
    expect(escalatedLevel('info')).toBe('warning');
    expect(escalatedLevel('warning')).toBe('critical');
    expect(escalatedLevel('critical')).toBeUndefined();
  });
});

describe('escalation timing', () => {
  const raised = new Date('2026-12-05T08:00:00Z');
  const open = { level: 'info' as const, levelChangedAt: raised, acknowledgedAt: null, resolvedAt: null };

  it('an alert unacknowledged for the policy window escalates, not a minute before', () => {
    expect(isDueForEscalation(open, new Date(raised.getTime() + 4 * HOUR - 60_000), 4 * HOUR)).toBe(false);
    expect(isDueForEscalation(open, new Date(raised.getTime() + 4 * HOUR), 4 * HOUR)).toBe(true);
  });

  it('acknowledged, resolved or critical alerts never escalate', () => {
    const later = new Date(raised.getTime() + 10 * HOUR);
    expect(isDueForEscalation({ ...open, acknowledgedAt: raised }, later, 4 * HOUR)).toBe(false);
    expect(isDueForEscalation({ ...open, resolvedAt: raised }, later, 4 * HOUR)).toBe(false);
    expect(isDueForEscalation({ ...open, level: 'critical' }, later, 4 * HOUR)).toBe(false);
  });
});

describe('acknowledging and resolving', () => {
  const mine = { acknowledgedAt: null, resolvedAt: null, userId: 'u-1' };
  const planner = { role: 'scheduler' as const, userId: 'u-9' };

  it('a repeat acknowledgement or resolution is refused with its own reason', () => {
    expect(acknowledgeRefusal({ ...mine, acknowledgedAt: new Date() }, planner)?.reason).toBe(
      'ALERT_ALREADY_ACKNOWLEDGED',
    );
    expect(acknowledgeRefusal({ ...mine, resolvedAt: new Date() }, planner)?.reason).toBe(
      'ALERT_ALREADY_RESOLVED',
    );
    expect(resolveRefusal({ ...mine, resolvedAt: new Date() }, planner)?.reason).toBe(
      'ALERT_ALREADY_RESOLVED',
    );
  });

  it('an acknowledged alert can still be resolved', () => {
    expect(resolveRefusal({ ...mine, acknowledgedAt: new Date() }, planner)).toBeUndefined();
  });

  it('a mechanic acts on the alerts about them and on no one else’s', () => {
    expect(acknowledgeRefusal(mine, { role: 'mechanic', userId: 'u-1' })).toBeUndefined();
    expect(acknowledgeRefusal(mine, { role: 'mechanic', userId: 'u-2' })).toMatchObject({
      kind: 'forbidden',
      reason: 'ALERT_NOT_YOURS',
    });
    expect(resolveRefusal({ ...mine, userId: null }, { role: 'mechanic', userId: 'u-1' })?.reason).toBe(
      'ALERT_NOT_YOURS',
    );
    expect(resolveRefusal({ ...mine, userId: null }, planner)).toBeUndefined();
  });
});
