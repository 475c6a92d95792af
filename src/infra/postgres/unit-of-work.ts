import type { Repositories, UnitOfWork } from '../../app/ports.js';
import { PgChangeLogRepository } from './audit-outbox.js';
import { PgDemoSeedRepository } from './demo-seed.js';
import { PgAircraftRepository } from './aircraft.js';
import { PgProgramRepository } from './programs.js';
import { PgProgramGenerationRepository } from './program-generation.js';
import { PgTaskRepository } from './tasks.js';
import { PgQualificationRepository } from './qualifications.js';
import { PgPartRepository } from './parts.js';
import { PgComplianceRepository } from './compliance.js';
import { PgAuditLogRepository } from './audit-logs.js';
import { PgWebhookRepository } from './webhooks.js';
import { PgImportRepository } from './imports.js';
import { PgReportRepository } from './reports.js';
import { PgReferenceDataRepository } from './reference-data.js';
import { PgRegulatoryRepository } from './regulatory.js';
import { PgPeopleRepository } from './people.js';
import { PgDirectiveRepository } from './directives.js';
import { PgDirectiveComplianceRepository } from './directive-compliance.js';
import { PgTaskDependencyRepository } from './task-dependencies.js';
import { PgScheduleRepository } from './scheduling.js';
import { PgDueListRepository } from './due-list.js';
import { PgStockRepository } from './stock.js';
import { PgConflictsRepository } from './conflicts.js';
import { PgAlertRepository } from './alerts.js';
import { PgAlertTriggerRepository } from './alert-triggers.js';
import { PgDashboardRepository } from './dashboard.js';
import { PgIdempotentMutationRepository } from './idempotency.js';
import type { Database } from './database.js';
import { translateDatabaseError } from './errors.js';
import type { Executor } from './executor.js';
import { PgOrgPolicyRepository, PgOrganizationRepository } from './organizations.js';
import { PgRefreshTokenRepository } from './refresh-tokens.js';
import { PgApiKeyRepository } from './api-keys.js';
import { PgUserRepository } from './users.js';

/** Every repository bound to one executor (the pool or one transaction). */
export function createRepositories(db: Executor): Repositories {
  return {
    organizations: new PgOrganizationRepository(db),
    orgPolicies: new PgOrgPolicyRepository(db),
    users: new PgUserRepository(db),
    refreshTokens: new PgRefreshTokenRepository(db),
    apiKeys: new PgApiKeyRepository(db),
    changeLog: new PgChangeLogRepository(db),
    demoSeed: new PgDemoSeedRepository(db),
    idempotentMutations: new PgIdempotentMutationRepository(db),
    aircraft: new PgAircraftRepository(db),
    programs: new PgProgramRepository(db),
    programGeneration: new PgProgramGenerationRepository(db),
    tasks: new PgTaskRepository(db),
    parts: new PgPartRepository(db),
    compliance: new PgComplianceRepository(db),
    auditLogs: new PgAuditLogRepository(db),
    imports: new PgImportRepository(db),
    webhooks: new PgWebhookRepository(db),
    reports: new PgReportRepository(db),
    referenceData: new PgReferenceDataRepository(db),
    regulatory: new PgRegulatoryRepository(db),
    people: new PgPeopleRepository(db),
    directives: new PgDirectiveRepository(db),
    qualifications: new PgQualificationRepository(db),
    directiveCompliance: new PgDirectiveComplianceRepository(db),
    dueList: new PgDueListRepository(db),
    taskDependencies: new PgTaskDependencyRepository(db),
    schedule: new PgScheduleRepository(db),
    stock: new PgStockRepository(db),
    conflicts: new PgConflictsRepository(db),
    alerts: new PgAlertRepository(db),
    alertTriggers: new PgAlertTriggerRepository(db),
    dashboard: new PgDashboardRepository(db),
  };
}

/**
 * Runs work on PostgreSQL; a transaction commits only when the work and its audit trail succeed.
 * PostgreSQL errors leave the transaction as AppErrors, so a constraint violation is never a 500.
 */
export class PgUnitOfWork implements UnitOfWork {
  readonly repos: Repositories;

  constructor(private readonly db: Database) {
    this.repos = createRepositories(db);
  }

  async transaction<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction().execute((tx) => work(createRepositories(tx)));
    } catch (error) {
      throw translateDatabaseError(error);
    }
  }
}
