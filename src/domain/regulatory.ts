/**
 * Regulatory reference data and an organization's approvals. Authorities (FAA, EASA, UK CAA, …)
 * and their compliance templates (named checklists of compliance items) are global, seeded by
 * migration and read-only; an organization records its registrations (AOC, Part-145, …) under an
 * authority. Calendar days are ISO dates ('YYYY-MM-DD'), as in src/domain/directive.ts.
 */
import type { CalendarDay } from './directive.js';

/** A civil aviation authority. Global reference data. */
export interface RegulatoryAuthority {
  id: string;
  /** The short name everyone uses: FAA, EASA, UK CAA. */
  code: string;
  name: string;
  /** ISO 3166-1 alpha-2 country, or null for a supranational body (EASA, ICAO). */
  country: string | null;
  /** How many years maintenance and compliance records must be kept under its rules. */
  recordRetentionYears: number;
  website: string | null;
  createdAt: Date;
}

/** An authority as the records that name one (templates, registrations) carry it. */
export type AuthoritySummary = Pick<RegulatoryAuthority, 'id' | 'code' | 'name'>;

/** A named checklist of compliance items under one authority. Global reference data. */
export interface ComplianceTemplate {
  id: string;
  authority: AuthoritySummary;
  code: string;
  name: string;
  description: string | null;
  createdAt: Date;
}

/** One item of a template, in checklist order. */
export interface ComplianceTemplateItem {
  id: string;
  /** 1-based order in the checklist. */
  position: number;
  description: string;
  /** The compliance item created from it asks for an independent inspection. */
  requiresInspection: boolean;
}

/** A template with its items, in checklist order. */
export interface ComplianceTemplateDetail extends ComplianceTemplate {
  items: ComplianceTemplateItem[];
}

/** An organization's approval under an authority: its AOC, Part-145, Part-CAMO certificate and the like. */
export interface Registration {
  id: string;
  orgId: string;
  authority: AuthoritySummary;
  /** AOC, Part-145, Part-CAMO, Part-121, … */
  approvalType: string;
  certificateNumber: string;
  validFrom: CalendarDay | null;
  /** null: valid until revoked. */
  validUntil: CalendarDay | null;
  scope: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Approval types and certificate numbers are stored trimmed with single spaces. */
export const normalizeRegistrationText = (text: string): string => text.trim().replace(/\s+/g, ' ');

/**
 * Whether a registration is valid on `today`: as the list's `valid` filter reads it, it has not
 * expired (no end, or an end on or after today).
 */
export const isRegistrationValid = (
  registration: Pick<Registration, 'validUntil'>,
  today: CalendarDay,
): boolean => registration.validUntil === null || registration.validUntil >= today;

/** Why a registration's validity period is refused, or undefined: it must end after it starts. */
export function registrationPeriodProblem(
  validFrom: CalendarDay | null,
  validUntil: CalendarDay | null,
): string | undefined {
  if (validFrom === null || validUntil === null || validUntil > validFrom) return undefined;
  return `must be after valid_from (${validFrom})`;
}
