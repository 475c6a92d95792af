/**
 * People records: the licences (certifications), aircraft type ratings, skills and logged hours
 * (recency) of the people of an organization. Pure rules only; the qualification check that reads
 * them lives in qualification.ts.
 */
import type { AircraftTypeSummary } from './reference-data.js';
import type { Role } from './roles.js';

/** A certification's standing as its authority set it. "Expired" is not a status: it is derived from the date. */
export const CERTIFICATION_STATUSES = ['active', 'suspended', 'revoked'] as const;
export type CertificationStatus = (typeof CERTIFICATION_STATUSES)[number];

/** The type of a certification as its views show it. */
export interface CertificationTypeSummary {
  authority: string;
  code: string;
  name: string;
  /** Whether certificates of this type carry an expiry date. */
  expires: boolean;
}

/** A licence or certificate a person holds. */
export interface EmployeeCertification {
  id: string;
  orgId: string;
  userId: string;
  certificationTypeId: string;
  type: CertificationTypeSummary;
  certificateNumber: string;
  issueDate: Date;
  /** Null when the type does not expire. */
  expiryDate: Date | null;
  status: CertificationStatus;
  documentUrl: string | null;
  verifiedBy: string | null;
  verifiedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** An endorsement on an aircraft type, carried by one of the same person's certifications. */
export interface TypeRating {
  id: string;
  orgId: string;
  userId: string;
  aircraftTypeId: string;
  aircraftType: AircraftTypeSummary;
  certificationId: string;
  endorsedDate: Date;
  expiryDate: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A skill type as the views of skills show it. */
export interface SkillTypeSummary {
  code: string;
  name: string;
  category: string;
}

/** A skill a person holds, with proficiency 1 (trainee) to 5 (expert). */
export interface EmployeeSkill {
  id: string;
  orgId: string;
  userId: string;
  skillTypeId: string;
  skillType: SkillTypeSummary;
  proficiency: number;
  qualified: boolean;
  expiryDate: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Hours a person worked on an aircraft type: from a completed task (`taskId`) or entered by hand. */
export interface RecencyEntry {
  id: string;
  orgId: string;
  userId: string;
  aircraftTypeId: string;
  aircraftType: AircraftTypeSummary;
  hours: number;
  performedAt: Date;
  taskId: string | null;
  notes: string | null;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The lowest and highest proficiency. */
export const MIN_PROFICIENCY = 1;
export const MAX_PROFICIENCY = 5;

/**
 * The most hours one recency entry may hold: a manual entry may sum up a stretch of work done
 * elsewhere, but a figure beyond this is a typo (minutes for hours), not experience.
 */
export const MAX_RECENCY_HOURS = 1000;

/** How far in the future a date that must be past may lie, to allow for clocks that run ahead. */
export const CLOCK_SKEW_MS = 5 * 60_000;

/** The longest document URL accepted. */
export const MAX_DOCUMENT_URL_LENGTH = 2000;

/**
 * Whether something that expires at `expiryDate` is expired at `at`: expiring before that instant
 * is; expiring exactly at it is still valid, as is never expiring (null). Never stored, always derived.
 */
export const isExpired = (expiryDate: Date | null, at: Date): boolean =>
  expiryDate !== null && expiryDate.getTime() < at.getTime();

/** One thing wrong with a request, with the field it names and the machine reason. */
export interface PeopleProblem {
  field: string;
  message: string;
  reason: string;
}

const inFuture = (date: Date, now: Date): boolean => date.getTime() > now.getTime() + CLOCK_SKEW_MS;

/**
 * What is wrong with a certification's dates against its type, or [] when nothing is:
 * - issue_date must not be in the future (ISSUE_DATE_IN_FUTURE);
 * - a type that expires needs an expiry_date (EXPIRY_DATE_REQUIRED);
 * - a type that does not expire takes none (EXPIRY_DATE_NOT_ALLOWED): a date there would make a
 *   lifetime licence look expired one day;
 * - expiry_date must be after issue_date (EXPIRY_NOT_AFTER_ISSUE).
 */
export function certificationDateProblems(input: {
  typeExpires: boolean;
  issueDate: Date;
  expiryDate: Date | null;
  now: Date;
}): PeopleProblem[] {
  const problems: PeopleProblem[] = [];
  if (inFuture(input.issueDate, input.now)) {
    problems.push({
      field: 'body.issue_date',
      message: 'must not be in the future',
      reason: 'ISSUE_DATE_IN_FUTURE',
    });
  }
  if (input.typeExpires && input.expiryDate === null) {
    problems.push({
      field: 'body.expiry_date',
      message: 'is required: certificates of this type expire',
      reason: 'EXPIRY_DATE_REQUIRED',
    });
  }
  if (!input.typeExpires && input.expiryDate !== null) {
    problems.push({
      field: 'body.expiry_date',
      message: 'must be null: certificates of this type do not expire',
      reason: 'EXPIRY_DATE_NOT_ALLOWED',
    });
  }
  if (input.expiryDate !== null && input.expiryDate.getTime() <= input.issueDate.getTime()) {
    problems.push({
      field: 'body.expiry_date',
      message: 'must be after issue_date',
      reason: 'EXPIRY_NOT_AFTER_ISSUE',
    });
  }
  return problems;
}

/**
 * What is wrong with a dated record that starts at `start` (a rating's endorsement): it must not
 * be in the future, and an expiry_date must follow it (EXPIRY_NOT_AFTER_START).
 */
export function startAndExpiryProblems(input: {
  startField: string;
  start: Date;
  expiryDate: Date | null;
  now: Date;
}): PeopleProblem[] {
  const problems: PeopleProblem[] = [];
  if (inFuture(input.start, input.now)) {
    problems.push({
      field: input.startField,
      message: 'must not be in the future',
      reason: 'DATE_IN_FUTURE',
    });
  }
  if (input.expiryDate !== null && input.expiryDate.getTime() <= input.start.getTime()) {
    const name = input.startField.replace(/^body\./, '');
    problems.push({
      field: 'body.expiry_date',
      message: `must be after ${name}`,
      reason: 'EXPIRY_NOT_AFTER_START',
    });
  }
  return problems;
}

/**
 * What is wrong with logged hours: more than zero and at most MAX_RECENCY_HOURS
 * (RECENCY_HOURS_OUT_OF_RANGE), at most two decimals (RECENCY_HOURS_PRECISION), performed_at not in
 * the future (PERFORMED_AT_IN_FUTURE).
 */
export function recencyProblems(input: { hours?: number; performedAt?: Date; now: Date }): PeopleProblem[] {
  const problems: PeopleProblem[] = [];
  const { hours, performedAt } = input;
  if (hours !== undefined) {
    if (!(hours > 0 && hours <= MAX_RECENCY_HOURS)) {
      problems.push({
        field: 'body.hours',
        message: `must be more than 0 and at most ${MAX_RECENCY_HOURS}`,
        reason: 'RECENCY_HOURS_OUT_OF_RANGE',
      });
    } else if (Math.abs(hours * 100 - Math.round(hours * 100)) > 1e-6) {
      problems.push({
        field: 'body.hours',
        message: 'must have at most two decimals',
        reason: 'RECENCY_HOURS_PRECISION',
      });
    }
  }
  if (performedAt !== undefined && inFuture(performedAt, input.now)) {
    problems.push({
      field: 'body.performed_at',
      message: 'must not be in the future',
      reason: 'PERFORMED_AT_IN_FUTURE',
    });
  }
  return problems;
}

/**
 * Why a certification may not move from `from` to `to`, or undefined when it may. Active and
 * suspended go both ways; a revocation is final: a licence the authority revoked is reinstated
 * only as a new certificate (delete this record, record the new one).
 */
export function certificationStatusRefusal(
  from: CertificationStatus,
  to: CertificationStatus,
): { reason: string; message: string } | undefined {
  if (from === to || from !== 'revoked') return undefined;
  return {
    reason: 'CERTIFICATION_REVOKED',
    message: `a revoked certification cannot become ${to}; record the reinstated licence as a new certification`,
  };
}

/** Why a document URL is not acceptable, or undefined: an absolute http(s) URL with a host and no credentials. */
export function documentUrlProblem(url: string): string | undefined {
  if (url.length > MAX_DOCUMENT_URL_LENGTH) return `must be at most ${MAX_DOCUMENT_URL_LENGTH} characters`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute http or https URL';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'must be an http or https URL';
  if (parsed.hostname === '') return 'must name a host';
  if (parsed.username !== '' || parsed.password !== '') return 'must not carry a user name or password';
  return undefined;
}

/**
 * Whether `actor` may see the records of `subjectUserId` at all (the RBAC table already let the
 * role read people records): a mechanic sees only their own, as a mechanic works only on the
 * tasks assigned to them; every other role that reads people records sees everyone's.
 */
export function recordAccessRefusal(
  actor: { role: Role; userId: string },
  subjectUserId: string,
): { reason: 'OWN_RECORDS_ONLY'; message: string } | undefined {
  if (actor.role !== 'mechanic' || actor.userId === subjectUserId) return undefined;
  return { reason: 'OWN_RECORDS_ONLY', message: 'a mechanic may read only their own people records' };
}
