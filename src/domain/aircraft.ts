/** The three statuses of the specification. Only `operational` aircraft fly. */
export const AIRCRAFT_STATUSES = ['operational', 'maintenance', 'grounded'] as const;
export type AircraftStatus = (typeof AIRCRAFT_STATUSES)[number];

/** Who set the current status: a person, or the grounding workflow. */
export const AIRCRAFT_STATUS_SOURCES = ['manual', 'automatic'] as const;
export type AircraftStatusSource = (typeof AIRCRAFT_STATUS_SOURCES)[number];

/** An aircraft of an organization's fleet, with the usage counters its flights move forward. */
export interface Aircraft {
  id: string;
  orgId: string;
  tailNumber: string;
  model: string;
  /** The ICAO aircraft type (global reference data), when known. */
  aircraftTypeId: string | null;
  /** The manufacturer serial number (MSN), when known; directives name serial ranges. */
  serialNumber: string | null;
  status: AircraftStatus;
  statusSource: AircraftStatusSource;
  capacitySlots: number;
  lastMaintenance: Date | null;
  nextDue: Date | null;
  /** Total flight hours, two decimals. */
  flightHoursTotal: number;
  cyclesTotal: number;
  createdAt: Date;
  updatedAt: Date;
}

/** One reported flight: hours and cycles flown, identified by its reference in the sending system. */
export interface AircraftUsage {
  id: string;
  orgId: string;
  aircraftId: string;
  sourceRef: string;
  flightHours: number;
  cycles: number;
  recordedAt: Date;
  createdAt: Date;
  createdBy: string | null;
}

/** Tail numbers (registration marks) are stored trimmed and upper-case, so `n101da` and `N101DA` are one aircraft. */
export const normalizeTailNumber = (tailNumber: string): string => tailNumber.trim().toUpperCase();

/** Serial numbers (MSN) are stored trimmed; a blank one is no serial number. */
export const normalizeSerialNumber = (serial: string): string => serial.trim();

/** Models are stored trimmed with single spaces. */
export const normalizeModel = (model: string): string => model.trim().replace(/\s+/g, ' ');

/** Why `nextDue` cannot follow `lastMaintenance`, or undefined when the pair is fine (either may be unset). */
export function maintenanceDatesProblem(
  lastMaintenance: Date | null,
  nextDue: Date | null,
): string | undefined {
  if (lastMaintenance === null || nextDue === null) return undefined;
  if (nextDue.getTime() > lastMaintenance.getTime()) return undefined;
  return `next_due (${nextDue.toISOString()}) must be after last_maintenance (${lastMaintenance.toISOString()})`;
}

/** True when `value` has at most two decimals (flight hours are kept to the hundredth). */
export function hasAtMostTwoDecimals(value: number): boolean {
  const hundredths = value * 100;
  return Math.abs(hundredths - Math.round(hundredths)) < 1e-6;
}

/**
 * Whether the workflow may move this aircraft at all: operational ones may be grounded and
 * automatically grounded ones released; manual groundings and `maintenance` are never touched.
 */
export const statusFollowsTasks = (current: {
  status: AircraftStatus;
  statusSource: AircraftStatusSource;
}): boolean =>
  current.status === 'operational' || (current.status === 'grounded' && current.statusSource === 'automatic');

/**
 * The specification's aircraft status workflow: the status the workflow moves an aircraft to, or
 * undefined when it leaves it alone. `needsGrounding` says whether one of its tasks is in progress
 * or is a confirmed (assigned) scheduled task starting within the org's grounding lead time.
 * - operational → grounded when it needs grounding, whoever set `operational`;
 * - grounded → operational when it no longer does, but only if the workflow grounded it: a
 *   grounding by hand stays until changed by hand;
 * - `maintenance` is set and lifted by hand only.
 */
export function automaticStatusChange(
  current: { status: AircraftStatus; statusSource: AircraftStatusSource },
  needsGrounding: boolean,
): AircraftStatus | undefined {
  if (!statusFollowsTasks(current)) return undefined;
  const wanted: AircraftStatus = needsGrounding ? 'grounded' : 'operational';
  return wanted === current.status ? undefined : wanted;
}
