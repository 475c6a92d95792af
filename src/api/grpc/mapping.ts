/** Conversions between the domain and the messages of proto/amss.proto. */
import type { AuditAction } from '../../app/audit.js';
import type { AuditLog as AuditRow } from '../../app/audit-logs.js';
import { AppError } from '../../app/errors.js';
import {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  decodeCursor,
  encodeCursor,
  type Page,
} from '../../app/pagination.js';
import type { TaskDetail } from '../../app/tasks.js';
import {
  isInspectionPending,
  isSignedOff,
  type ComplianceItem as ComplianceRow,
  type ComplianceResult,
} from '../../domain/compliance.js';
import type { PartReservation as ReservationRow, ReservationState } from '../../domain/part.js';
import type { TaskPriority } from '../../domain/scheduling.js';
import { MaintenanceTask, type TaskState, type TaskType } from '../../domain/task.js';
import {
  AuditAction as AuditActionMessage,
  ComplianceResult as ComplianceResultMessage,
  ReservationState as ReservationStateMessage,
  TaskPriority as TaskPriorityMessage,
  TaskState as TaskStateMessage,
  TaskType as TaskTypeMessage,
  type AuditLog,
  type ComplianceItem,
  type GetTaskResponse,
  type PartReservation,
  type Task,
} from './gen/amss.js';
import { isUuid } from '../../domain/ids.js';

/** A two-way table between a domain enum and its proto enum (the UNSPECIFIED zero value excluded). */
function enumMap<D extends string, P extends number>(pairs: [D, P][]) {
  const toProto = new Map(pairs);
  const toDomain = new Map(pairs.map(([d, p]) => [p, d] as const));
  return {
    proto: (value: D): P => toProto.get(value)!,
    /** The domain value of a proto enum; undefined for UNSPECIFIED (a filter left unset). */
    domain: (value: P): D | undefined => toDomain.get(value),
    /** The domain value of a required proto enum field: 400 naming the field when unset or unknown. */
    required(value: P, field: string): D {
      const domain = toDomain.get(value);
      if (domain === undefined) {
        throw AppError.validation(`${field} is required`, [
          { field, message: 'must be set to a known value' },
        ]);
      }
      return domain;
    },
  };
}

export const taskTypes = enumMap<TaskType, TaskTypeMessage>([
  ['inspection', TaskTypeMessage.TASK_TYPE_INSPECTION],
  ['repair', TaskTypeMessage.TASK_TYPE_REPAIR],
  ['overhaul', TaskTypeMessage.TASK_TYPE_OVERHAUL],
]);

export const taskStates = enumMap<TaskState, TaskStateMessage>([
  ['scheduled', TaskStateMessage.TASK_STATE_SCHEDULED],
  ['in_progress', TaskStateMessage.TASK_STATE_IN_PROGRESS],
  ['completed', TaskStateMessage.TASK_STATE_COMPLETED],
  ['cancelled', TaskStateMessage.TASK_STATE_CANCELLED],
]);

export const taskPriorities = enumMap<TaskPriority, TaskPriorityMessage>([
  ['routine', TaskPriorityMessage.TASK_PRIORITY_ROUTINE],
  ['urgent', TaskPriorityMessage.TASK_PRIORITY_URGENT],
  ['aog', TaskPriorityMessage.TASK_PRIORITY_AOG],
  ['critical', TaskPriorityMessage.TASK_PRIORITY_CRITICAL],
]);

export const reservationStates = enumMap<ReservationState, ReservationStateMessage>([
  ['reserved', ReservationStateMessage.RESERVATION_STATE_RESERVED],
  ['used', ReservationStateMessage.RESERVATION_STATE_USED],
  ['released', ReservationStateMessage.RESERVATION_STATE_RELEASED],
]);

export const complianceResults = enumMap<ComplianceResult, ComplianceResultMessage>([
  ['pass', ComplianceResultMessage.COMPLIANCE_RESULT_PASS],
  ['fail', ComplianceResultMessage.COMPLIANCE_RESULT_FAIL],
  ['pending', ComplianceResultMessage.COMPLIANCE_RESULT_PENDING],
]);

export const auditActions = enumMap<AuditAction, AuditActionMessage>([
  ['create', AuditActionMessage.AUDIT_ACTION_CREATE],
  ['update', AuditActionMessage.AUDIT_ACTION_UPDATE],
  ['delete', AuditActionMessage.AUDIT_ACTION_DELETE],
  ['state_change', AuditActionMessage.AUDIT_ACTION_STATE_CHANGE],
]);

const optional = <T>(value: T | null): T | undefined => value ?? undefined;

export const taskMessage = (task: MaintenanceTask): Task => ({
  id: task.id,
  orgId: task.orgId,
  aircraftId: task.aircraftId,
  programId: optional(task.programId),
  directiveId: optional(task.directiveId),
  priority: taskPriorities.proto(task.priority),
  type: taskTypes.proto(task.type),
  state: taskStates.proto(task.state),
  startTime: task.startTime,
  endTime: task.endTime,
  assignedMechanicId: optional(task.assignedMechanicId),
  notes: optional(task.notes),
  version: task.version,
  requiredParts: task.requiredParts.map((part) => ({
    partDefinitionId: part.partDefinitionId,
    quantity: part.quantity,
  })),
  createdAt: task.createdAt,
  updatedAt: task.updatedAt,
  startedAt: optional(task.startedAt),
  completedAt: optional(task.completedAt),
});

/** A task as a gRPC client receives it, back in the domain (the inverse of `taskMessage`). */
export function taskFromMessage(message: Task): MaintenanceTask {
  return new MaintenanceTask({
    id: message.id,
    orgId: message.orgId,
    aircraftId: message.aircraftId,
    programId: message.programId ?? null,
    directiveId: message.directiveId ?? null,
    priority: taskPriorities.domain(message.priority) ?? 'routine',
    type: taskTypes.required(message.type, 'task.type'),
    state: taskStates.required(message.state, 'task.state'),
    startTime: requiredTime(message.startTime, 'task.start_time'),
    endTime: requiredTime(message.endTime, 'task.end_time'),
    assignedMechanicId: message.assignedMechanicId ?? null,
    notes: message.notes ?? null,
    version: message.version,
    requiredParts: message.requiredParts.map((part) => ({
      partDefinitionId: part.partDefinitionId,
      quantity: part.quantity,
    })),
    startedAt: message.startedAt ?? null,
    completedAt: message.completedAt ?? null,
    createdAt: requiredTime(message.createdAt, 'task.created_at'),
    updatedAt: requiredTime(message.updatedAt, 'task.updated_at'),
  });
}

export const reservationMessage = (reservation: ReservationRow): PartReservation => ({
  id: reservation.id,
  orgId: reservation.orgId,
  taskId: reservation.taskId,
  partItemId: reservation.partItemId,
  state: reservationStates.proto(reservation.state),
  quantity: reservation.quantity,
  createdAt: reservation.createdAt,
  updatedAt: reservation.updatedAt,
});

export const complianceMessage = (item: ComplianceRow): ComplianceItem => ({
  id: item.id,
  orgId: item.orgId,
  taskId: item.taskId,
  description: item.description,
  result: complianceResults.proto(item.result),
  signedOff: isSignedOff(item),
  signOffUserId: optional(item.signOffUserId),
  signOffTime: optional(item.signOffTime),
  createdAt: item.createdAt,
  updatedAt: item.updatedAt,
  signOffMeaning: optional(item.signOffMeaning),
  requiresInspection: item.requiresInspection,
  inspectionPending: isInspectionPending(item),
  inspectedBy: optional(item.inspectedBy),
  inspectedAt: optional(item.inspectedAt),
  inspectionMeaning: optional(item.inspectionMeaning),
});

export const taskDetailMessage = (detail: TaskDetail): GetTaskResponse => ({
  task: taskMessage(detail.task),
  reservations: detail.reservations.map(reservationMessage),
  compliance: detail.compliance.map(complianceMessage),
});

export const auditLogMessage = (log: AuditRow): AuditLog => ({
  id: log.id,
  orgId: log.orgId,
  actorOrgId: optional(log.actorOrgId),
  userId: optional(log.userId),
  actor: log.actor,
  entityType: log.entityType,
  entityId: log.entityId,
  action: auditActions.proto(log.action),
  entityVersion: log.entityVersion,
  requestId: optional(log.requestId),
  timestamp: log.timestamp,
  details: log.details,
});

/** A required timestamp field: 400 naming the field when it is missing. */
export function requiredTime(value: Date | undefined, field: string): Date {
  if (value === undefined) {
    throw AppError.validation(`${field} is required`, [{ field, message: 'must be set' }]);
  }
  return value;
}

/** An id field: 400 naming the field unless it is a UUID (as the REST API's path and body checks). */
export function id(value: string, field: string): string {
  if (!isUuid(value)) {
    throw AppError.validation(`${field} must be a UUID`, [{ field, message: 'must be a UUID' }]);
  }
  return value;
}

/** An optional id field: unset stays unset, anything else must be a UUID. */
export const optionalId = (value: string | undefined, field: string): string | undefined =>
  value === undefined || value === '' ? undefined : id(value, field);

/** The page a `page_size` / `page_token` pair asks for (offset pages; tokens are opaque to clients). */
export function pageOf(pageSize: number, pageToken: string): Page {
  if (pageSize < 0 || pageSize > MAX_PAGE_SIZE) {
    throw AppError.validation(`page_size must be between 0 and ${MAX_PAGE_SIZE}`, [
      { field: 'page_size', message: `must be between 0 and ${MAX_PAGE_SIZE}` },
    ]);
  }
  const offset = pageToken === '' ? 0 : Number(decodeCursor(pageToken, [/^\d{1,9}$/])[0]);
  return { limit: pageSize === 0 ? DEFAULT_PAGE_SIZE : pageSize, offset };
}

/** The token of the page after `page`, or empty on the last page. */
export const nextPageToken = (page: Page, hasMore: boolean): string =>
  hasMore ? encodeCursor([String(page.offset + page.limit)]) : '';
