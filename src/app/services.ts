import type { AircraftService } from './aircraft.js';
import type { ProgramService } from './programs.js';
import type { TaskService } from './tasks.js';
import type { PartService } from './parts.js';
import type { ComplianceService } from './compliance.js';
import type { AuditLogService } from './audit-logs.js';
import type { AuthService } from './auth.js';
import type { OrganizationService } from './organizations.js';
import type { UserService } from './users.js';

/** The application services every interface (REST now, gRPC later) calls. */
export interface Services {
  auth: AuthService;
  organizations: OrganizationService;
  users: UserService;
  aircraft: AircraftService;
  programs: ProgramService;
  tasks: TaskService;
  parts: PartService;
  compliance: ComplianceService;
  auditLogs: AuditLogService;
}
