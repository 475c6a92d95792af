import { describe, expect, it } from 'vitest';
import {
  DESIGNATOR_PATTERN,
  isTypeVisibleTo,
  normalizeCode,
  normalizeDesignator,
  normalizeLabel,
  typeChangeRefusal,
} from './reference-data.js';

describe('reference data', () => {
  it('normalizes designators and codes to upper case and labels to single spaces', () => {
    expect(normalizeDesignator(' a20n ')).toBe('A20N');
    expect(DESIGNATOR_PATTERN.test(normalizeDesignator('b38m'))).toBe(true);
    expect(DESIGNATOR_PATTERN.test('A3200')).toBe(false);
    expect(normalizeCode(' ndt-ut ')).toBe('NDT-UT');
    expect(normalizeLabel('  UK   CAA ')).toBe('UK CAA');
  });

  it('shows global types to every organization and an org’s own only to that org', () => {
    expect(isTypeVisibleTo({ orgId: null }, 'org-a')).toBe(true);
    expect(isTypeVisibleTo({ orgId: 'org-a' }, 'org-a')).toBe(true);
    expect(isTypeVisibleTo({ orgId: 'org-b' }, 'org-a')).toBe(false);
  });

  it('refuses changes to global types and says what to do instead', () => {
    expect(typeChangeRefusal('skill type', { orgId: null, code: 'NDT-UT' })).toMatch(
      /skill type NDT-UT is global reference data.*add your organization's own skill type/,
    );
    expect(typeChangeRefusal('certification type', { orgId: 'org-a', code: 'AUTH-1' })).toBeUndefined();
  });
});
