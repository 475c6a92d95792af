import type { AircraftService } from './aircraft.js';
import type { ProgramService } from './programs.js';
import type { ProgramGenerationService } from './program-generation.js';
import type { TaskService } from './tasks.js';
import type { PartService } from './parts.js';
import type { ComplianceService } from './compliance.js';
import type { AuditLogService } from './audit-logs.js';
import type { AuthService } from './auth.js';
import type { ApiKeyService } from './api-keys.js';
import type { OrganizationService } from './organizations.js';
import type { UserService } from './users.js';
import type { WebhookService } from './webhooks.js';
import type { ImportService } from './imports.js';
import type { ReportService } from './reports.js';
import type { ReferenceDataService } from './reference-data.js';
import type { RegulatoryService } from './regulatory.js';
import type { PeopleService } from './people.js';
import type { QualificationService } from './qualifications.js';
import type { DirectiveService } from './directives.js';
import type { DirectiveComplianceService } from './directive-compliance.js';
import type { DueListService } from './due-list.js';
import type { ConflictsService } from './conflicts.js';
import type { TimelineService } from './timeline.js';
import type { DirectiveTaskService } from './directive-tasks.js';
import type { TaskDependencyService } from './task-dependencies.js';
import type { RescheduleService } from './reschedule.js';
import type { StockService } from './stock.js';
import type { AlertService } from './alerts.js';
import type { DashboardService } from './dashboard.js';

/** The application services every interface (REST now, gRPC later) calls. */
export interface Services {
  auth: AuthService;
  organizations: OrganizationService;
  users: UserService;
  apiKeys: ApiKeyService;
  aircraft: AircraftService;
  programs: ProgramService;
  programGeneration: ProgramGenerationService;
  tasks: TaskService;
  parts: PartService;
  compliance: ComplianceService;
  auditLogs: AuditLogService;
  webhooks: WebhookService;
  imports: ImportService;
  reports: ReportService;
  referenceData: ReferenceDataService;
  regulatory: RegulatoryService;
  people: PeopleService;
  qualifications: QualificationService;
  directives: DirectiveService;
  directiveCompliance: DirectiveComplianceService;
  dueList: DueListService;
  conflicts: ConflictsService;
  directiveTasks: DirectiveTaskService;
  taskDependencies: TaskDependencyService;
  /** Rescheduling with cascade and dry run, and the schedule history (issue 13). */
  rescheduling: RescheduleService;
  timeline: TimelineService;
  stock: StockService;
  /** Alerts: list, summary, acknowledge, resolve (issue 14). */
  alerts: AlertService;
  /** `GET /dashboard/metrics`, cached per org (issue 14); the live events push the same payload. */
  dashboard: DashboardService;
}
