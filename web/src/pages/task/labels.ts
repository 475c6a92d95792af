import { ApiError } from '../../api/errors';

export const STATE_LABEL = {
  scheduled: 'Scheduled',
  in_progress: 'In progress',
  completed: 'Completed',
  cancelled: 'Cancelled',
} as const;

export const STATE_COLOR = {
  scheduled: 'blue.8',
  in_progress: 'orange.4',
  completed: 'teal.9',
  cancelled: 'gray.7',
} as const;

export const TYPE_LABEL = { inspection: 'Inspection', repair: 'Repair', overhaul: 'Overhaul' } as const;

export const PRIORITY_LABEL = {
  routine: 'Routine',
  urgent: 'Urgent',
  aog: 'AOG',
  critical: 'Critical',
} as const;

export const PRIORITY_COLOR = {
  routine: 'gray.7',
  urgent: 'yellow.4',
  aog: 'red.9',
  critical: 'grape.9',
} as const;

/** Light shades take dark text (Badge autoContrast); the dark ones white. */
export const isLight = (color: string): boolean => /\.[0-4]$/.test(color);

export const DEPENDENCY_TYPE_LABEL = {
  finish_to_start: 'finish-to-start',
  start_to_start: 'start-to-start',
  finish_to_finish: 'finish-to-finish',
} as const;

export const DEPENDENCY_STATUS = {
  satisfied: { label: 'Satisfied', color: 'teal.9' },
  waiting: { label: 'Waiting', color: 'blue.8' },
  schedule_violated: { label: 'Schedule violated', color: 'red.9' },
  predecessor_cancelled: { label: 'Predecessor cancelled', color: 'gray.7' },
  predecessor_deleted: { label: 'Predecessor deleted', color: 'gray.7' },
} as const;

/** What a qualification shortfall means, in words (docs/API_GUIDE.md, "the qualification check"). */
export function missingInWords(missing: { reason: string; name: string | null; message: string }): string {
  const name = missing.name ?? 'inspection authority';
  switch (missing.reason) {
    case 'CERT_MISSING':
      return `No ${name}`;
    case 'CERT_EXPIRED':
      return `${name} expires before the work ends`;
    case 'CERT_SUSPENDED':
      return `${name} is suspended`;
    case 'CERT_REVOKED':
      return `${name} is revoked`;
    case 'TYPE_RATING_MISSING':
      return `No type rating on ${name}`;
    case 'SKILL_MISSING':
      return `No ${name} skill`;
    case 'SKILL_EXPIRED':
      return `${name} skill expires before the work ends`;
    case 'SKILL_BELOW_MINIMUM':
      return `${name} proficiency below the minimum`;
    case 'RECENCY_INSUFFICIENT':
      return `Not enough recent hours on ${name}`;
    default:
      return missing.message;
  }
}

/** A heading for a refusal, by the API's reason; the API's own message follows it. */
const REFUSAL_TITLE: Record<string, string> = {
  TOO_EARLY_TO_START: 'Too early to start',
  AIRCRAFT_NOT_GROUNDED: 'The aircraft is not grounded',
  NO_ASSIGNED_MECHANIC: 'No mechanic is assigned',
  NOT_ASSIGNED_MECHANIC: 'This task is not assigned to you',
  REQUIRED_PARTS_NOT_RESERVED: 'The required parts are not reserved',
  DEPENDENCY_NOT_MET: 'A task it depends on is not done yet',
  TOO_EARLY_TO_COMPLETE: 'Too early to complete: the window has not ended',
  OVERRIDE_NOT_ALLOWED: 'Your role may not override this',
  RESERVATIONS_OPEN: 'Parts are still reserved',
  COMPLIANCE_INCOMPLETE: 'Compliance items are not signed off',
  INSPECTION_PENDING: 'An independent inspection is pending',
  NOTES_REQUIRED: 'Notes are required',
  CANCEL_NOT_ALLOWED: 'Your role may not cancel tasks',
  TOO_LATE_TO_CANCEL: 'Too late to cancel',
  INVALID_TRANSITION: 'Not possible from this state',
  CONCURRENT_UPDATE: 'Someone else changed the task first',
  MECHANIC_NOT_QUALIFIED: 'Not qualified',
  MECHANIC_BUSY: 'The mechanic is busy then',
  INSPECTOR_IS_PERFORMER: 'The inspection must be independent',
  SIGNATURE_REAUTHENTICATION_FAILED: 'The password is not right: nothing was signed',
  RESULT_PENDING: 'Choose pass or fail',
  ALREADY_SIGNED_OFF: 'Already signed off',
  ALREADY_INSPECTED: 'Already inspected',
  NOT_SIGNED_OFF: 'Not signed off yet',
  INSPECTION_NOT_REQUIRED: 'No inspection required',
  INSPECTION_REQUIREMENT_LOCKED: 'Only a planner may waive an inspection',
  TASK_CLOSED: 'The task is closed',
  TASK_FINAL: 'The task is closed',
  TASK_NOT_OPEN: 'The task is closed',
  PART_NOT_AVAILABLE: 'That part is not available',
  PART_EXPIRED: 'That part has expired',
  LOCKED: 'The part is busy: try again in a moment',
  TOO_MANY_REQUESTS: 'Too many attempts',
};

export function refusalTitle(error: unknown): string {
  if (error instanceof ApiError) return REFUSAL_TITLE[error.reason] ?? 'Refused';
  return 'That did not work';
}
