import type { DomainEvent } from '../domain/events.js';
import type { Organization, OrgPolicy, OrgPolicyPatch } from '../domain/organization.js';
import type { Role } from '../domain/roles.js';
import type { User, UserCredentials } from '../domain/user.js';
import type { AircraftRepository } from './aircraft.js';
import type { ProgramRepository } from './programs.js';
import type { ProgramGenerationRepository } from './program-generation.js';
import type { TaskRepository } from './tasks.js';
import type { QualificationRepository } from './qualifications.js';
import type { PartRepository } from './parts.js';
import type { ComplianceRepository } from './compliance.js';
import type { AuditLogRepository } from './audit-logs.js';
import type { WebhookRepository } from './webhooks.js';
import type { ImportRepository } from './imports.js';
import type { ReportRepository } from './reports.js';
import type { ReferenceDataRepository } from './reference-data.js';
import type { RegulatoryRepository } from './regulatory.js';
import type { PeopleRepository } from './people.js';
import type { DirectiveRepository } from './directives.js';
import type { DirectiveComplianceRepository } from './directive-compliance.js';
import type { DueListRepository } from './due-list.js';
import type { ConflictsRepository } from './conflicts.js';
import type { DirectiveTaskRepository } from './directive-tasks.js';
import type { TaskDependencyRepository } from './task-dependencies.js';
import type { ScheduleRepository } from './reschedule.js';
import type { StockRepository } from './stock.js';
import type { AlertRepository } from './alerts.js';
import type { AlertTriggerRepository } from './alert-triggers.js';
import type { DashboardRepository } from './dashboard.js';
import type { AuditRecord } from './audit.js';
import type { IdempotentMutationRepository } from './idempotency.js';
import type { ApiKeyRepository } from './api-keys.js';
import type { UserPrincipal } from './principals.js';
import type { Page } from './pagination.js';

export interface OrganizationRepository {
  insert(input: { name: string }): Promise<Organization>;
  /** A live (not deleted) organization, or a deleted one too with `includeDeleted`. */
  findById(id: string, options?: { includeDeleted?: boolean }): Promise<Organization | undefined>;
  /** A live organization by name, compared case-insensitively. */
  findByName(name: string): Promise<Organization | undefined>;
  /** Fetches `page.limit + 1` rows so the caller knows whether more follow. */
  list(page: Page): Promise<Organization[]>;
  update(id: string, patch: { name?: string }): Promise<Organization | undefined>;
  /**
   * Soft-deletes a live organization (sets `deleted_at`, which is what "deleted" means everywhere:
   * its users' logins, its scope and its name's uniqueness); undefined when none was live.
   */
  softDelete(id: string): Promise<Organization | undefined>;
}

export interface OrgPolicyRepository {
  insertDefaults(orgId: string): Promise<OrgPolicy>;
  get(orgId: string): Promise<OrgPolicy | undefined>;
  update(orgId: string, patch: OrgPolicyPatch): Promise<OrgPolicy | undefined>;
}

export interface UserFilter {
  role?: Role;
  /** Case-insensitive substring of the email. */
  email?: string;
}

export interface UserRepository {
  insert(input: { orgId: string; email: string; role: Role; passwordHash: string }): Promise<User>;
  findById(orgId: string, id: string): Promise<User | undefined>;
  list(orgId: string, filter: UserFilter, page: Page): Promise<User[]>;
  update(
    orgId: string,
    id: string,
    patch: { email?: string; role?: Role; passwordHash?: string },
  ): Promise<User | undefined>;
  softDelete(orgId: string, id: string): Promise<User | undefined>;
  /** What authentication needs of a live user of a live organization (one indexed lookup). */
  findPrincipal(orgId: string, id: string): Promise<UserPrincipal | undefined>;
  /** Live users with this email, in one org or in every org. */
  findCredentials(email: string, orgId?: string): Promise<UserCredentials[]>;
  recordLogin(orgId: string, id: string): Promise<void>;
}

export interface RefreshTokenRecord {
  id: string;
  orgId: string;
  userId: string;
  familyId: string;
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
}

export interface RefreshTokenRepository {
  insert(input: {
    id: string;
    orgId: string;
    userId: string;
    familyId: string;
    tokenHash: string;
    expiresAt: Date;
  }): Promise<void>;
  findByHash(tokenHash: string): Promise<RefreshTokenRecord | undefined>;
  /** Marks the token rotated; false when another request already rotated it (a reuse). */
  markUsed(id: string, replacedBy: string): Promise<boolean>;
  revokeFamily(familyId: string): Promise<void>;
  revokeForUser(orgId: string, userId: string): Promise<void>;
  /** Revokes every live refresh token of every user of the organization. */
  revokeForOrg(orgId: string): Promise<void>;
  /** Deletes tokens that expired before `before`; returns how many. */
  deleteExpired(before: Date): Promise<number>;
}

/**
 * Where a change's audit rows and outbox events go, together: one statement, inside the
 * change's transaction. A duplicate dedupe key means that very effect is already recorded, and
 * the event is left out.
 */
export interface ChangeLogRepository {
  record(audit: AuditRecord[], events: DomainEvent[]): Promise<void>;
}

/**
 * The retention cleaner's store: removes rows older than their org's `retention_interval` that
 * nothing still refers to, and answers how many went per table.
 */
export interface RetentionRepository {
  purgeExpired(now: Date): Promise<Record<string, number>>;
}

/** Which demo `amss dev` last seeded (a fingerprint of its code and data), and on which day (UTC). */
export interface DemoSeedMark {
  version: string;
  /** `YYYY-MM-DD`. */
  seededOn: string;
}

/** The dev command's record of its last demo seed, per demo organization's name. */
export interface DemoSeedRepository {
  last(orgName: string): Promise<DemoSeedMark | undefined>;
  record(orgName: string, mark: DemoSeedMark): Promise<void>;
}

/** Every repository, bound to one connection or one transaction. */
export interface Repositories {
  organizations: OrganizationRepository;
  orgPolicies: OrgPolicyRepository;
  users: UserRepository;
  refreshTokens: RefreshTokenRepository;
  apiKeys: ApiKeyRepository;
  changeLog: ChangeLogRepository;
  demoSeed: DemoSeedRepository;
  /** Records an idempotent request's mutations in their own transactions. */
  idempotentMutations: IdempotentMutationRepository;
  aircraft: AircraftRepository;
  programs: ProgramRepository;
  programGeneration: ProgramGenerationRepository;
  tasks: TaskRepository;
  parts: PartRepository;
  compliance: ComplianceRepository;
  auditLogs: AuditLogRepository;
  imports: ImportRepository;
  webhooks: WebhookRepository;
  reports: ReportRepository;
  referenceData: ReferenceDataRepository;
  /** Regulatory authorities, compliance templates and organization registrations. */
  regulatory: RegulatoryRepository;
  people: PeopleRepository;
  directives: DirectiveRepository;
  /** Task skill requirements and the qualification check's facts. */
  qualifications: QualificationRepository;
  /** Directives tracked on aircraft and their compliance records (issue 12). */
  directiveCompliance: DirectiveComplianceRepository;
  /** The due list, the due tracker and booking a directive's task (issue 12). */
  dueList: DueListRepository & DirectiveTaskRepository;
  /** Dependencies between tasks and the organization's dependency graph lock (issue 13). */
  taskDependencies: TaskDependencyRepository;
  /** The dependency graph a reschedule moves along, its checks and the schedule history (issue 13). */
  schedule: ScheduleRepository;
  /** Stock levels and the lock that serializes a definition's stock changes (issue 13). */
  stock: StockRepository;
  /** The conflicts view's set-based reads (issue 13). */
  conflicts: ConflictsRepository;
  /** Alerts as people read, acknowledge and resolve them (issue 14). */
  alerts: AlertRepository;
  /** The alert triggers' set-based raise, auto-resolve and escalation (issue 14). */
  alertTriggers: AlertTriggerRepository;
  /** The dashboard's aggregate reads (issue 14). */
  dashboard: DashboardRepository;
}

/** Runs work against the database, either directly or inside one transaction. */
export interface UnitOfWork {
  /** Repositories outside any transaction, for reads. */
  readonly repos: Repositories;
  transaction<T>(work: (repos: Repositories) => Promise<T>): Promise<T>;
}

/** Readiness of one dependency, for `/ready`. */
export interface HealthCheck {
  name: string;
  check(): Promise<void>;
}
