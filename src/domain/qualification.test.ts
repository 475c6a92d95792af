import { describe, expect, it } from 'vitest';
import {
  checkQualification,
  recencyWindow,
  requirementMatches,
  type HeldCertification,
  type PersonFacts,
  type QualificationInput,
  type SkillRequirement,
} from './qualification.js';

const A320 = 'type-a320';
const B1 = 'cert-b1';
const NDT = 'skill-ndt';
const window = { start: new Date('2026-06-01T08:00:00Z'), end: new Date('2026-06-01T16:00:00Z') };

const requirement = (over: Partial<SkillRequirement> = {}): SkillRequirement => ({
  id: 'req-1',
  orgId: 'org',
  taskType: 'inspection',
  aircraftTypeId: null,
  programId: null,
  certificationTypeId: null,
  certificationTypeName: null,
  typeRatingRequired: false,
  skillTypeId: null,
  skillTypeName: null,
  minProficiency: null,
  minRecencyHours: null,
  recencyWindowDays: null,
  certifying: false,
  inspection: false,
  description: null,
  createdAt: new Date(0),
  updatedAt: new Date(0),
  ...over,
});

const cert = (over: Partial<HeldCertification> = {}): HeldCertification => ({
  id: 'held-b1',
  certificationTypeId: B1,
  name: 'Part-66 B1',
  status: 'active',
  expiryDate: null,
  confersCertifying: true,
  confersInspection: false,
  ...over,
});

const person = (over: Partial<PersonFacts> = {}): PersonFacts => ({
  userId: 'user',
  certifications: [],
  typeRatings: [],
  skills: [],
  recency: [],
  ...over,
});

const check = (over: Partial<QualificationInput>) =>
  checkQualification({
    requirements: [],
    person: person(),
    aircraftTypeId: A320,
    aircraftTypeName: 'A320',
    window,
    purpose: 'perform',
    ...over,
  });

const needB1 = requirement({ certificationTypeId: B1, certificationTypeName: 'Part-66 B1' });
const reasons = (result: ReturnType<typeof check>) => result.missing.map((m) => m.reason);

describe('checkQualification: certifications', () => {
  it('passes with no requirements at all', () => {
    expect(check({})).toEqual({ qualified: true, missing: [] });
  });

  it('names a certification the person does not hold: CERT_MISSING', () => {
    const result = check({ requirements: [needB1] });
    expect(result.qualified).toBe(false);
    expect(result.missing).toEqual([
      expect.objectContaining({
        kind: 'certification',
        type_id: B1,
        name: 'Part-66 B1',
        reason: 'CERT_MISSING',
      }),
    ]);
  });

  it('passes with an active certification without expiry', () => {
    expect(check({ requirements: [needB1], person: person({ certifications: [cert()] }) }).qualified).toBe(
      true,
    );
  });

  it('refuses a suspended one (CERT_SUSPENDED) and a revoked one (CERT_REVOKED)', () => {
    const suspended = person({ certifications: [cert({ status: 'suspended' })] });
    const revoked = person({ certifications: [cert({ status: 'revoked', expiryDate: new Date(0) })] });
    expect(reasons(check({ requirements: [needB1], person: suspended }))).toEqual(['CERT_SUSPENDED']);
    expect(reasons(check({ requirements: [needB1], person: revoked }))).toEqual(['CERT_REVOKED']);
  });

  it('refuses a certification that expires during the window: CERT_EXPIRED', () => {
    const during = person({ certifications: [cert({ expiryDate: new Date('2026-06-01T15:59:59Z') })] });
    expect(reasons(check({ requirements: [needB1], person: during }))).toEqual(['CERT_EXPIRED']);
  });

  it('accepts a certification that expires exactly at the end of the window', () => {
    const atEnd = person({ certifications: [cert({ expiryDate: window.end })] });
    expect(check({ requirements: [needB1], person: atEnd }).qualified).toBe(true);
  });

  it('lists two requirements naming the same certification once', () => {
    const result = check({ requirements: [needB1, { ...needB1, id: 'req-2' }] });
    expect(result.missing).toHaveLength(1);
  });
});

describe('checkQualification: type ratings', () => {
  const needRating = requirement({ typeRatingRequired: true });
  const rating = { aircraftTypeId: A320, certificationId: 'held-b1', expiryDate: null };

  it('passes with a rating on the aircraft type carried by a valid certification', () => {
    const holder = person({ certifications: [cert()], typeRatings: [rating] });
    expect(check({ requirements: [needRating], person: holder }).qualified).toBe(true);
  });

  it('refuses without a rating on the type: TYPE_RATING_MISSING naming the type', () => {
    const holder = person({
      certifications: [cert()],
      typeRatings: [{ ...rating, aircraftTypeId: 'other' }],
    });
    expect(check({ requirements: [needRating], person: holder }).missing).toEqual([
      expect.objectContaining({
        kind: 'type_rating',
        type_id: A320,
        name: 'A320',
        reason: 'TYPE_RATING_MISSING',
      }),
    ]);
  });

  it('refuses a rating whose carrying certification is revoked', () => {
    const holder = person({ certifications: [cert({ status: 'revoked' })], typeRatings: [rating] });
    const [item] = check({ requirements: [needRating], person: holder }).missing;
    expect(item).toMatchObject({ reason: 'TYPE_RATING_MISSING' });
    expect(item!.message).toMatch(/revoked/);
  });

  it('refuses a rating that expires during the window', () => {
    const holder = person({
      certifications: [cert()],
      typeRatings: [{ ...rating, expiryDate: new Date('2026-06-01T12:00:00Z') }],
    });
    expect(reasons(check({ requirements: [needRating], person: holder }))).toEqual(['TYPE_RATING_MISSING']);
  });

  it('refuses when the aircraft has no type recorded', () => {
    const holder = person({ certifications: [cert()], typeRatings: [rating] });
    expect(reasons(check({ requirements: [needRating], person: holder, aircraftTypeId: null }))).toEqual([
      'TYPE_RATING_MISSING',
    ]);
  });
});

describe('checkQualification: skills', () => {
  const needNdt = requirement({ skillTypeId: NDT, skillTypeName: 'Ultrasonic testing', minProficiency: 3 });
  const skill = {
    skillTypeId: NDT,
    name: 'Ultrasonic testing',
    proficiency: 3,
    qualified: true,
    expiryDate: null,
  };

  it('passes at exactly the minimum proficiency', () => {
    expect(check({ requirements: [needNdt], person: person({ skills: [skill] }) }).qualified).toBe(true);
  });

  it('SKILL_MISSING without the skill or when not qualified in it', () => {
    expect(reasons(check({ requirements: [needNdt] }))).toEqual(['SKILL_MISSING']);
    const unqualified = person({ skills: [{ ...skill, qualified: false }] });
    expect(reasons(check({ requirements: [needNdt], person: unqualified }))).toEqual(['SKILL_MISSING']);
  });

  it('SKILL_BELOW_MINIMUM one level short', () => {
    const weak = person({ skills: [{ ...skill, proficiency: 2 }] });
    expect(reasons(check({ requirements: [needNdt], person: weak }))).toEqual(['SKILL_BELOW_MINIMUM']);
  });

  it('SKILL_EXPIRED when it expires before the window ends, not when exactly at it', () => {
    const before = person({ skills: [{ ...skill, expiryDate: new Date('2026-06-01T09:00:00Z') }] });
    const atEnd = person({ skills: [{ ...skill, expiryDate: window.end }] });
    expect(reasons(check({ requirements: [needNdt], person: before }))).toEqual(['SKILL_EXPIRED']);
    expect(check({ requirements: [needNdt], person: atEnd }).qualified).toBe(true);
  });
});

describe('checkQualification: recency', () => {
  const needRecency = requirement({ minRecencyHours: 8, recencyWindowDays: 90 });

  it('passes with the hours logged on the type in the window', () => {
    const recent = person({ recency: [{ aircraftTypeId: A320, windowDays: 90, hours: 8 }] });
    expect(check({ requirements: [needRecency], person: recent }).qualified).toBe(true);
  });

  it('RECENCY_INSUFFICIENT below the minimum, on another type, or in another window', () => {
    const short = person({ recency: [{ aircraftTypeId: A320, windowDays: 90, hours: 7.99 }] });
    const otherType = person({ recency: [{ aircraftTypeId: 'b738', windowDays: 90, hours: 100 }] });
    const otherWindow = person({ recency: [{ aircraftTypeId: A320, windowDays: 30, hours: 100 }] });
    for (const who of [short, otherType, otherWindow]) {
      expect(check({ requirements: [needRecency], person: who }).missing).toEqual([
        expect.objectContaining({ kind: 'recency', type_id: A320, reason: 'RECENCY_INSUFFICIENT' }),
      ]);
    }
  });

  it('the window is the N whole days before the work starts, [start − N days, start)', () => {
    expect(recencyWindow(window.start, 90)).toEqual({
      start: new Date('2026-03-03T08:00:00Z'),
      end: window.start,
    });
    expect(recencyWindow(new Date('2026-03-01T00:00:00Z'), 1).start).toEqual(
      new Date('2026-02-28T00:00:00Z'),
    );
  });
});

describe('checkQualification: purposes', () => {
  const certifying = requirement({ certificationTypeId: B1, certificationTypeName: 'B1', certifying: true });
  const inspection = requirement({ skillTypeId: NDT, skillTypeName: 'NDT', inspection: true });

  it('unflagged rows bind the performer only; certifying rows the signer; inspection rows the inspector', () => {
    const requirements = [needB1, certifying, inspection];
    const holder = person({ certifications: [cert({ confersInspection: true })] });
    expect(check({ requirements, person: holder, purpose: 'perform' }).qualified).toBe(true);
    expect(check({ requirements, purpose: 'perform' }).missing.map((m) => m.type_id)).toEqual([B1]);
    expect(check({ requirements, purpose: 'certify' }).missing.map((m) => m.type_id)).toEqual([B1]);
    expect(reasons(check({ requirements, person: holder, purpose: 'inspect' }))).toEqual(['SKILL_MISSING']);
  });

  it('an inspector needs a valid certification conferring inspection authority in any case', () => {
    const plain = check({ purpose: 'inspect', person: person({ certifications: [cert()] }) });
    expect(plain.missing).toEqual([expect.objectContaining({ type_id: null, reason: 'CERT_MISSING' })]);
    const suspended = person({ certifications: [cert({ confersInspection: true, status: 'suspended' })] });
    expect(check({ purpose: 'inspect', person: suspended }).qualified).toBe(false);
    const valid = person({ certifications: [cert({ confersInspection: true, expiryDate: window.end })] });
    expect(check({ purpose: 'inspect', person: valid }).qualified).toBe(true);
  });
});

describe('requirementMatches', () => {
  const task = { taskType: 'inspection' as const, aircraftTypeId: A320, programId: 'prog' };
  it('matches on task type, with aircraft type and program unset or equal', () => {
    expect(requirementMatches(requirement(), task)).toBe(true);
    expect(requirementMatches(requirement({ aircraftTypeId: A320, programId: 'prog' }), task)).toBe(true);
    expect(requirementMatches(requirement({ taskType: 'repair' }), task)).toBe(false);
    expect(requirementMatches(requirement({ aircraftTypeId: 'b738' }), task)).toBe(false);
    expect(requirementMatches(requirement({ programId: 'other' }), task)).toBe(false);
    expect(requirementMatches(requirement({ aircraftTypeId: A320 }), { ...task, aircraftTypeId: null })).toBe(
      false,
    );
  });
});
