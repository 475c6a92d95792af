import { describe, expect, it } from 'vitest';
import {
  certificationDateProblems,
  certificationStatusRefusal,
  documentUrlProblem,
  isExpired,
  MAX_RECENCY_HOURS,
  recencyProblems,
  recordAccessRefusal,
  startAndExpiryProblems,
} from './people.js';

const NOW = new Date('2031-06-01T12:00:00Z');
const day = (n: number) => new Date(NOW.getTime() + n * 86_400_000);
const reasons = (problems: { reason: string }[]) => problems.map((p) => p.reason);

describe('expired, derived from the date', () => {
  it('is expired when the expiry lies before the instant, valid when exactly at it or after', () => {
    expect(isExpired(new Date(NOW.getTime() - 1), NOW)).toBe(true);
    expect(isExpired(NOW, NOW)).toBe(false);
    expect(isExpired(day(1), NOW)).toBe(false);
  });

  it('never expires without an expiry date', () => {
    expect(isExpired(null, NOW)).toBe(false);
  });
});

describe('certification dates', () => {
  const check = (typeExpires: boolean, issueDate: Date, expiryDate: Date | null) =>
    reasons(certificationDateProblems({ typeExpires, issueDate, expiryDate, now: NOW }));

  it('accepts an expiring licence with expiry after issue, and a lifetime one without expiry', () => {
    expect(check(true, day(-400), day(300))).toEqual([]);
    expect(check(false, day(-400), null)).toEqual([]);
  });

  it('requires an expiry date when the type expires', () => {
    expect(check(true, day(-1), null)).toEqual(['EXPIRY_DATE_REQUIRED']);
  });

  it('refuses an expiry date when the type does not expire', () => {
    expect(check(false, day(-1), day(10))).toEqual(['EXPIRY_DATE_NOT_ALLOWED']);
  });

  it('refuses an expiry not after the issue date, including the same instant', () => {
    expect(check(true, day(-10), day(-10))).toEqual(['EXPIRY_NOT_AFTER_ISSUE']);
    expect(check(true, day(-10), day(-20))).toEqual(['EXPIRY_NOT_AFTER_ISSUE']);
  });

  it('refuses an issue date in the future, allowing a few minutes of clock skew', () => {
    expect(check(true, day(2), day(400))).toEqual(['ISSUE_DATE_IN_FUTURE']);
    expect(check(true, new Date(NOW.getTime() + 60_000), day(400))).toEqual([]);
  });
});

describe('endorsement and expiry dates', () => {
  const check = (start: Date, expiryDate: Date | null) =>
    startAndExpiryProblems({ startField: 'body.endorsed_date', start, expiryDate, now: NOW });

  it('wants the expiry after the endorsement, named after the start field', () => {
    expect(check(day(-5), day(-5))).toEqual([
      { field: 'body.expiry_date', message: 'must be after endorsed_date', reason: 'EXPIRY_NOT_AFTER_START' },
    ]);
    expect(check(day(-5), null)).toEqual([]);
  });

  it('refuses an endorsement in the future', () => {
    expect(reasons(check(day(3), null))).toEqual(['DATE_IN_FUTURE']);
  });
});

describe('logged hours', () => {
  const check = (hours: number | undefined, performedAt?: Date) =>
    reasons(recencyProblems({ hours, performedAt, now: NOW }));

  it('accepts hours between 0 (exclusive) and the upper bound, two decimals', () => {
    expect(check(0.25, day(-1))).toEqual([]);
    expect(check(MAX_RECENCY_HOURS, day(-1))).toEqual([]);
  });

  it('refuses zero, negative and absurd hours', () => {
    expect(check(0)).toEqual(['RECENCY_HOURS_OUT_OF_RANGE']);
    expect(check(-2)).toEqual(['RECENCY_HOURS_OUT_OF_RANGE']);
    expect(check(MAX_RECENCY_HOURS + 0.01)).toEqual(['RECENCY_HOURS_OUT_OF_RANGE']);
  });

  it('refuses more than two decimals', () => {
    expect(check(1.005)).toEqual(['RECENCY_HOURS_PRECISION']);
  });

  it('refuses work performed in the future', () => {
    expect(check(undefined, day(1))).toEqual(['PERFORMED_AT_IN_FUTURE']);
  });
});

describe('certification status changes', () => {
  it('lets active and suspended go both ways, and revoke either', () => {
    expect(certificationStatusRefusal('active', 'suspended')).toBeUndefined();
    expect(certificationStatusRefusal('suspended', 'active')).toBeUndefined();
    expect(certificationStatusRefusal('active', 'revoked')).toBeUndefined();
    expect(certificationStatusRefusal('suspended', 'revoked')).toBeUndefined();
  });

  it('keeps a revocation final', () => {
    expect(certificationStatusRefusal('revoked', 'active')?.reason).toBe('CERTIFICATION_REVOKED');
    expect(certificationStatusRefusal('revoked', 'suspended')?.reason).toBe('CERTIFICATION_REVOKED');
    expect(certificationStatusRefusal('revoked', 'revoked')).toBeUndefined();
  });
});

describe('document URLs', () => {
  it('accepts absolute http and https URLs', () => {
    expect(documentUrlProblem('https://docs.example.com/licences/B1-1234.pdf')).toBeUndefined();
    expect(documentUrlProblem('http://intranet.local/licence.pdf')).toBeUndefined();
  });

  it('refuses other schemes, relative URLs and embedded credentials', () => {
    expect(documentUrlProblem('ftp://example.com/x.pdf')).toBe('must be an http or https URL');
    expect(documentUrlProblem('javascript:alert(1)')).toBe('must be an http or https URL');
    expect(documentUrlProblem('/licence.pdf')).toBe('must be an absolute http or https URL');
    expect(documentUrlProblem('https://user:secret@example.com/x.pdf')).toBe(
      'must not carry a user name or password',
    );
  });
});

describe('who sees whose records', () => {
  it('lets a mechanic see their own records only', () => {
    expect(recordAccessRefusal({ role: 'mechanic', userId: 'u1' }, 'u1')).toBeUndefined();
    expect(recordAccessRefusal({ role: 'mechanic', userId: 'u1' }, 'u2')?.reason).toBe('OWN_RECORDS_ONLY');
  });

  it('lets the other reading roles see everyone', () => {
    for (const role of ['admin', 'tenant_admin', 'scheduler', 'auditor'] as const) {
      expect(recordAccessRefusal({ role, userId: 'u1' }, 'u2')).toBeUndefined();
    }
  });
});
