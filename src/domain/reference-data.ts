/**
 * Reference data for qualified people: aircraft types (global, ICAO designators), certification
 * types and skill types. Certification and skill types are global (org_id null, seeded by
 * migration and shared by every organization) or an organization's own additions.
 */

/** An ICAO aircraft type (Doc 8643), e.g. A320 Airbus A320. Global reference data. */
export interface AircraftType {
  id: string;
  /** ICAO type designator: 2–4 upper-case letters or digits. */
  designator: string;
  manufacturer: string;
  model: string;
  createdAt: Date;
}

/** An aircraft type as records that name one (type ratings, recency entries) carry it. */
export type AircraftTypeSummary = Pick<AircraftType, 'id' | 'designator' | 'manufacturer' | 'model'>;

/** A kind of licence or certificate, e.g. EASA Part-66 B1. */
export interface CertificationType {
  id: string;
  /** null: global reference data; else the organization that added it. */
  orgId: string | null;
  authority: string;
  code: string;
  name: string;
  description: string | null;
  /** Whether certificates of this type carry an expiry date. */
  expires: boolean;
  /** Whether holding it lets a person certify (sign off) work. */
  confersCertifying: boolean;
  /** Whether holding it lets a person perform an independent inspection. */
  confersInspection: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** A kind of skill, e.g. NDT-UT ultrasonic testing. */
export interface SkillType {
  id: string;
  /** null: global reference data; else the organization that added it. */
  orgId: string | null;
  code: string;
  name: string;
  category: string;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The shape of an ICAO type designator, as the database checks it. */
export const DESIGNATOR_PATTERN = /^[A-Z0-9]{2,4}$/;

/** ICAO designators are upper-case: ` a20n ` is A20N. */
export const normalizeDesignator = (designator: string): string => designator.trim().toUpperCase();

/** Codes are stored trimmed and upper-case, so `ndt-ut` and `NDT-UT` are one code. */
export const normalizeCode = (code: string): string => code.trim().toUpperCase();

/** Names, authorities and categories are stored trimmed with single spaces. */
export const normalizeLabel = (text: string): string => text.trim().replace(/\s+/g, ' ');

/** A global row belongs to every organization and no one's to change. */
export const isGlobalType = (type: { orgId: string | null }): boolean => type.orgId === null;

/**
 * Whether a type is visible to an organization: global ones to every organization, an
 * organization's own to that organization only.
 */
export const isTypeVisibleTo = (type: { orgId: string | null }, orgId: string): boolean =>
  type.orgId === null || type.orgId === orgId;

/** Why a change to this type is refused, or undefined when the organization may change it. */
export function typeChangeRefusal(
  kind: 'certification type' | 'skill type',
  type: { orgId: string | null; code: string },
): string | undefined {
  if (!isGlobalType(type)) return undefined;
  return `${kind} ${type.code} is global reference data shared by every organization and cannot be changed or deleted; add your organization's own ${kind} instead`;
}

/** An authority a certification type confers on whoever holds it. */
export type ConferredAuthority = 'confers_certifying' | 'confers_inspection';

/** One conferred authority a change to a certification type turns on or off. */
export interface AuthorityChange {
  field: ConferredAuthority;
  from: boolean;
  to: boolean;
}

/** The conferred authorities a patch actually changes (a field set to its current value is none). */
export function authorityChanges(
  before: { confersCertifying: boolean; confersInspection: boolean },
  patch: { confersCertifying?: boolean | undefined; confersInspection?: boolean | undefined },
): AuthorityChange[] {
  const changes: AuthorityChange[] = [];
  if (patch.confersCertifying !== undefined && patch.confersCertifying !== before.confersCertifying) {
    changes.push({
      field: 'confers_certifying',
      from: before.confersCertifying,
      to: patch.confersCertifying,
    });
  }
  if (patch.confersInspection !== undefined && patch.confersInspection !== before.confersInspection) {
    changes.push({
      field: 'confers_inspection',
      from: before.confersInspection,
      to: patch.confersInspection,
    });
  }
  return changes;
}

/**
 * Why turning `expires` of a certification type on or off is refused, or undefined. While live
 * certifications name the type their expiry dates were checked against its rule (required when it
 * expires, absent when not); flipping it would leave them breaking it (a licence that "expires" with
 * no date, or one that "never expires" with one), so it is refused until they are changed or deleted.
 */
export function expiresChangeRefusal(
  before: { authority: string; code: string; expires: boolean },
  expires: boolean | undefined,
  liveCertifications: number,
): string | undefined {
  if (expires === undefined || expires === before.expires || liveCertifications === 0) return undefined;
  const n = liveCertifications === 1 ? '1 live certification' : `${liveCertifications} live certifications`;
  return `certification type ${before.authority} ${before.code} is held by ${n}, whose expiry dates follow its current rule (${before.expires ? 'expires' : 'never expires'}); delete or change them before changing expires`;
}
