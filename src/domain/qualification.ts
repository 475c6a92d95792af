/**
 * The qualification check: whether a person may perform, certify or independently inspect a piece
 * of work, judged from their certifications, type ratings, skills and recent experience against
 * the task skill requirements that match the work. Pure: the facts are loaded elsewhere (one
 * set-based query for any number of people) and judged here.
 */
import type { TaskType } from './task.js';

/** What the person is to do: perform the work, certify it (sign off) or inspect it independently. */
export const QUALIFICATION_PURPOSES = ['perform', 'certify', 'inspect'] as const;
export type QualificationPurpose = (typeof QUALIFICATION_PURPOSES)[number];

/** Every reason the check names for something missing. */
export const MISSING_REASONS = [
  'CERT_MISSING',
  'CERT_EXPIRED',
  'CERT_SUSPENDED',
  'CERT_REVOKED',
  'TYPE_RATING_MISSING',
  'SKILL_MISSING',
  'SKILL_BELOW_MINIMUM',
  'SKILL_EXPIRED',
  'RECENCY_INSUFFICIENT',
] as const;
export type MissingReason = (typeof MISSING_REASONS)[number];

/** The kind of thing a missing item is about. */
export const MISSING_KINDS = ['certification', 'type_rating', 'skill', 'recency'] as const;
export type MissingKind = (typeof MISSING_KINDS)[number];

/** A certification's status as recorded; "expired" is derived from its expiry date, never stored. */
export type CertificationStatus = 'active' | 'suspended' | 'revoked';

/** One task skill requirement, with the names of the types it refers to. */
export interface SkillRequirement {
  id: string;
  orgId: string;
  taskType: TaskType;
  aircraftTypeId: string | null;
  programId: string | null;
  certificationTypeId: string | null;
  certificationTypeName: string | null;
  typeRatingRequired: boolean;
  skillTypeId: string | null;
  skillTypeName: string | null;
  minProficiency: number | null;
  minRecencyHours: number | null;
  recencyWindowDays: number | null;
  certifying: boolean;
  inspection: boolean;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A certification the person holds (a live row). */
export interface HeldCertification {
  id: string;
  certificationTypeId: string;
  name: string;
  status: CertificationStatus;
  expiryDate: Date | null;
  confersCertifying: boolean;
  confersInspection: boolean;
}

/** A type rating the person holds (a live row), endorsed on `certificationId`, one of their certifications. */
export interface HeldTypeRating {
  aircraftTypeId: string;
  certificationId: string;
  expiryDate: Date | null;
}

/** A skill the person holds (a live row). */
export interface HeldSkill {
  skillTypeId: string;
  name: string;
  proficiency: number;
  qualified: boolean;
  expiryDate: Date | null;
}

/** Hours logged on an aircraft type within the `windowDays` days before the window start. */
export interface RecencySum {
  aircraftTypeId: string;
  windowDays: number;
  hours: number;
}

/** Everything the check needs to know about one person. */
export interface PersonFacts {
  userId: string;
  certifications: HeldCertification[];
  typeRatings: HeldTypeRating[];
  skills: HeldSkill[];
  recency: RecencySum[];
}

/** The time the work takes: [start, end). */
export interface WorkWindow {
  start: Date;
  end: Date;
}

/** The work a person is checked against. */
export interface QualificationInput {
  /** The requirements matching the task (task type, aircraft type, program); any purpose. */
  requirements: SkillRequirement[];
  person: PersonFacts;
  /** The task aircraft's type; null when the aircraft has none recorded. */
  aircraftTypeId: string | null;
  /** The aircraft type's designator, for names in the result. */
  aircraftTypeName?: string | null | undefined;
  window: WorkWindow;
  purpose: QualificationPurpose;
}

/** One thing the person lacks. */
export interface MissingQualification {
  kind: MissingKind;
  /** The certification, skill or aircraft type at stake; null for "any inspection authority". */
  type_id: string | null;
  name: string;
  reason: MissingReason;
  message: string;
}

export interface QualificationResult {
  qualified: boolean;
  missing: MissingQualification[];
}

const DAY_MS = 86_400_000;

/**
 * The recency window of a requirement: the `days` days (of 24 hours) before the work starts,
 * [start − days, start). Hours logged at the very start of the work do not count; hours logged
 * exactly `days` days before do.
 */
export function recencyWindow(workStart: Date, days: number): WorkWindow {
  return { start: new Date(workStart.getTime() - days * DAY_MS), end: workStart };
}

/** Whether something expiring at `expiry` is expired for work ending at `windowEnd`: expiring exactly at the end still counts. */
export const expiredFor = (expiry: Date | null, windowEnd: Date): boolean =>
  expiry !== null && expiry.getTime() < windowEnd.getTime();

/** Whether a requirement binds the person doing `purpose`: unflagged rows the performer, flagged rows signers and inspectors. */
export function requirementApplies(requirement: SkillRequirement, purpose: QualificationPurpose): boolean {
  if (purpose === 'perform') return !requirement.certifying && !requirement.inspection;
  if (purpose === 'certify') return requirement.certifying;
  return requirement.inspection;
}

/** Whether a requirement matches a task: same task type, aircraft type and program unset or equal. */
export function requirementMatches(
  requirement: Pick<SkillRequirement, 'taskType' | 'aircraftTypeId' | 'programId'>,
  task: { taskType: TaskType; aircraftTypeId: string | null; programId: string | null },
): boolean {
  return (
    requirement.taskType === task.taskType &&
    (requirement.aircraftTypeId === null || requirement.aircraftTypeId === task.aircraftTypeId) &&
    (requirement.programId === null || requirement.programId === task.programId)
  );
}

const iso = (date: Date): string => date.toISOString();

/** Why a certification does not count for the window, or undefined when it does (revoked, then suspended, then expired). */
function certificationProblem(
  cert: HeldCertification,
  window: WorkWindow,
): { reason: MissingReason; message: string } | undefined {
  if (cert.status === 'revoked') return { reason: 'CERT_REVOKED', message: `${cert.name} is revoked` };
  if (cert.status === 'suspended') return { reason: 'CERT_SUSPENDED', message: `${cert.name} is suspended` };
  if (expiredFor(cert.expiryDate, window.end)) {
    return {
      reason: 'CERT_EXPIRED',
      message: `${cert.name} expires ${iso(cert.expiryDate!)}, before the work ends ${iso(window.end)}`,
    };
  }
  return undefined;
}

/**
 * Checks one person against the requirements of `purpose`; `missing` lists every shortfall once
 * (two requirements naming the same certification give one entry).
 */
export function checkQualification(input: QualificationInput): QualificationResult {
  const { person, window, purpose, aircraftTypeId } = input;
  const aircraftName = input.aircraftTypeName ?? aircraftTypeId ?? 'unknown aircraft type';
  const missing: MissingQualification[] = [];
  const seen = new Set<string>();
  const add = (item: MissingQualification): void => {
    const key = `${item.kind}:${item.type_id ?? ''}:${item.reason}`;
    if (seen.has(key)) return;
    seen.add(key);
    missing.push(item);
  };
  const certById = new Map(person.certifications.map((cert) => [cert.id, cert]));

  for (const requirement of input.requirements) {
    if (!requirementApplies(requirement, purpose)) continue;

    if (requirement.certificationTypeId !== null) {
      const typeId = requirement.certificationTypeId;
      const name = requirement.certificationTypeName ?? typeId;
      const cert = person.certifications.find((held) => held.certificationTypeId === typeId);
      const problem = cert
        ? certificationProblem(cert, window)
        : { reason: 'CERT_MISSING' as const, message: `holds no ${name}` };
      if (problem) add({ kind: 'certification', type_id: typeId, name, ...problem });
    }

    if (requirement.typeRatingRequired) {
      const rating =
        aircraftTypeId === null
          ? undefined
          : person.typeRatings.find((held) => held.aircraftTypeId === aircraftTypeId);
      const carrier = rating && certById.get(rating.certificationId);
      let message: string | undefined;
      if (aircraftTypeId === null) message = 'the aircraft has no type recorded, so no type rating can match';
      else if (!rating) message = `holds no type rating on ${aircraftName}`;
      else if (expiredFor(rating.expiryDate, window.end))
        message = `the type rating on ${aircraftName} expires ${iso(rating.expiryDate!)}, before the work ends ${iso(window.end)}`;
      else if (!carrier) message = `the certification carrying the ${aircraftName} type rating is gone`;
      else {
        const carrierProblem = certificationProblem(carrier, window);
        if (carrierProblem)
          message = `the ${aircraftName} type rating is carried by ${carrier.name}, which does not count: ${carrierProblem.message}`;
      }
      if (message !== undefined) {
        add({
          kind: 'type_rating',
          type_id: aircraftTypeId,
          name: aircraftName,
          reason: 'TYPE_RATING_MISSING',
          message,
        });
      }
    }

    if (requirement.skillTypeId !== null) {
      const typeId = requirement.skillTypeId;
      const name = requirement.skillTypeName ?? typeId;
      const skill = person.skills.find((held) => held.skillTypeId === typeId);
      const min = requirement.minProficiency;
      let problem: { reason: MissingReason; message: string } | undefined;
      if (!skill) problem = { reason: 'SKILL_MISSING', message: `holds no ${name} skill` };
      else if (!skill.qualified)
        problem = { reason: 'SKILL_MISSING', message: `is not qualified in ${name}` };
      else if (expiredFor(skill.expiryDate, window.end)) {
        problem = {
          reason: 'SKILL_EXPIRED',
          message: `${name} expires ${iso(skill.expiryDate!)}, before the work ends ${iso(window.end)}`,
        };
      } else if (min !== null && skill.proficiency < min) {
        problem = {
          reason: 'SKILL_BELOW_MINIMUM',
          message: `${name} proficiency ${skill.proficiency} is below the required ${min}`,
        };
      }
      if (problem) add({ kind: 'skill', type_id: typeId, name, ...problem });
    }

    if (requirement.minRecencyHours !== null && requirement.recencyWindowDays !== null) {
      const days = requirement.recencyWindowDays;
      const hours =
        aircraftTypeId === null
          ? 0
          : (person.recency.find((sum) => sum.aircraftTypeId === aircraftTypeId && sum.windowDays === days)
              ?.hours ?? 0);
      if (hours < requirement.minRecencyHours) {
        const from = recencyWindow(window.start, days).start;
        add({
          kind: 'recency',
          type_id: aircraftTypeId,
          name: aircraftName,
          reason: 'RECENCY_INSUFFICIENT',
          message: `${hours} hours on ${aircraftName} between ${iso(from)} and ${iso(window.start)}; ${requirement.minRecencyHours} required within ${days} days`,
        });
      }
    }
  }

  if (purpose === 'inspect') {
    const authority = person.certifications.some(
      (cert) => cert.confersInspection && certificationProblem(cert, window) === undefined,
    );
    if (!authority) {
      add({
        kind: 'certification',
        type_id: null,
        name: 'inspection authority',
        reason: 'CERT_MISSING',
        message: 'holds no active, unexpired certification conferring inspection authority',
      });
    }
  }

  return { qualified: missing.length === 0, missing };
}

/** A short sentence listing what is missing, for an error message. */
export function describeMissing(missing: MissingQualification[]): string {
  return missing.map((item) => `${item.reason} (${item.name}): ${item.message}`).join('; ');
}
