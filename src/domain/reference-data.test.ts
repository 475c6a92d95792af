import { describe, expect, it } from 'vitest';
import {
  authorityChanges,
  DESIGNATOR_PATTERN,
  expiresChangeRefusal,
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

  it('refuses flipping expires while live certifications hold the type, naming how many', () => {
    const type = { authority: 'ACME', code: 'RUN-UP', expires: true };
    expect(expiresChangeRefusal(type, false, 3)).toMatch(/ACME RUN-UP is held by 3 live certifications/);
    expect(expiresChangeRefusal(type, false, 1)).toMatch(/held by 1 live certification,/);
    expect(expiresChangeRefusal(type, false, 0)).toBeUndefined();
    expect(expiresChangeRefusal(type, true, 3)).toBeUndefined();
    expect(expiresChangeRefusal(type, undefined, 3)).toBeUndefined();
  });

  it('names only the conferred authorities a change actually flips', () => {
    const before = { confersCertifying: false, confersInspection: true };
    expect(authorityChanges(before, { confersCertifying: true, confersInspection: true })).toEqual([
      { field: 'confers_certifying', from: false, to: true },
    ]);
    expect(authorityChanges(before, { confersInspection: false })).toEqual([
      { field: 'confers_inspection', from: true, to: false },
    ]);
    expect(authorityChanges(before, {})).toEqual([]);
  });
});
