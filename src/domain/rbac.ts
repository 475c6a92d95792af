import type { ImportType } from './import.js';
import type { Role } from './roles.js';

/**
 * The specification's "Roles and RBAC" section as one table: resource × action → roles.
 * Routes declare which entry they need; the OpenAPI shows it as `x-roles`. Rules that depend on
 * the data (a tenant_admin only inside its own org, never over an admin user, a mechanic only on
 * the task assigned to them) are checked by the services on top of this table.
 */
export const POLICY = {
  /** The signed-in user's own account (`/auth/me`): everyone may read it. */
  account: {
    read: ['admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor'],
  },
  organizations: {
    create: ['admin'],
    list: ['admin'],
    read: ['admin', 'tenant_admin'],
    update: ['admin', 'tenant_admin'],
    delete: ['admin'],
  },
  org_policies: {
    read: ['admin', 'tenant_admin'],
    update: ['admin', 'tenant_admin'],
  },
  users: {
    create: ['admin', 'tenant_admin'],
    list: ['admin', 'tenant_admin'],
    read: ['admin', 'tenant_admin'],
    update: ['admin', 'tenant_admin'],
    delete: ['admin', 'tenant_admin'],
  },
  aircraft: {
    create: ['admin', 'scheduler', 'mechanic'],
    update: ['admin', 'scheduler', 'mechanic'],
    delete: ['admin', 'scheduler', 'mechanic'],
    read: ['admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor'],
  },
  maintenance_programs: {
    create: ['admin', 'scheduler'],
    update: ['admin', 'scheduler'],
    delete: ['admin', 'scheduler'],
    /** Runs the program generator on demand for the organization (`POST /maintenance-programs/generate`). */
    generate: ['admin', 'scheduler'],
    read: ['admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor'],
  },
  maintenance_tasks: {
    create: ['admin', 'scheduler'],
    update: ['admin', 'scheduler'],
    delete: ['admin', 'scheduler'],
    transition: ['admin', 'scheduler', 'mechanic'],
    read: ['admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor'],
  },
  parts: {
    create: ['admin', 'scheduler', 'mechanic'],
    update: ['admin', 'scheduler', 'mechanic'],
    delete: ['admin', 'scheduler', 'mechanic'],
    read: ['admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor'],
  },
  /**
   * Compliance items. Mechanics record the checks (create, edit, delete until sign-off). Whether an
   * item needs an independent inspection is also a planning decision: a scheduler or tenant_admin
   * may change that flag alone (so `update`, the PATCH, is open to them, while `record` — the
   * description and result — is not). Anyone who may change an item may raise the flag
   * (`require_inspection`); clearing it, or deleting an item that requires an inspection, is a
   * waiver (`waive_inspection`) the mechanics whose work it checks may not make (403
   * INSPECTION_REQUIREMENT_LOCKED).
   */
  compliance_items: {
    create: ['admin', 'mechanic'],
    /** PATCH of an unsigned item; what it may change is narrowed by `record` and the inspection entries. */
    update: ['admin', 'tenant_admin', 'scheduler', 'mechanic'],
    /** The record of the check on an unsigned item: its description and result. */
    record: ['admin', 'mechanic'],
    /** Raising `requires_inspection` (on create or PATCH). */
    require_inspection: ['admin', 'tenant_admin', 'scheduler', 'mechanic'],
    /** Clearing `requires_inspection`, or deleting an item that requires an inspection. */
    waive_inspection: ['admin', 'tenant_admin', 'scheduler'],
    delete: ['admin', 'mechanic'],
    sign_off: ['mechanic'],
    /** The independent inspection: a second mechanic's signature (issue 11). */
    inspect: ['mechanic'],
    read: ['admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor'],
  },
  audit_logs: {
    read: ['admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor'],
    /** Recording an action performed in another system (gRPC AuditService.LogAction); auditors only read. */
    write: ['admin', 'tenant_admin', 'scheduler', 'mechanic'],
    export: ['admin', 'auditor'],
  },
  reports: {
    read: ['admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor'],
    advanced: ['admin', 'auditor'],
    /**
     * The directive compliance report of one authority (`/reports/directive-compliance`, issue 12):
     * the document an operator shows its regulator. Auditors run it, and the tenant_admin who holds
     * the organization's approvals; schedulers and mechanics read the same statuses through the
     * compliance status and the due list.
     */
    directive_compliance: ['admin', 'tenant_admin', 'auditor'],
  },
  webhooks: {
    create: ['admin', 'tenant_admin'],
    read: ['admin', 'tenant_admin'],
    delete: ['admin', 'tenant_admin'],
  },
  /** Keys for integrations (`/api-keys`); a key never manages keys, whatever its scope. */
  api_keys: {
    create: ['admin', 'tenant_admin'],
    list: ['admin', 'tenant_admin'],
    delete: ['admin', 'tenant_admin'],
  },
  /**
   * People records (`/users/{id}/certifications`, `/type-ratings`, `/skills`, `/recency`): the
   * organization's admins manage them; schedulers (who assign work) and auditors read everyone's;
   * a mechanic reads their own only (checked by the service: 403 OWN_RECORDS_ONLY).
   */
  people: {
    create: ['admin', 'tenant_admin'],
    update: ['admin', 'tenant_admin'],
    delete: ['admin', 'tenant_admin'],
    read: ['admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor'],
  },
  /**
   * An import creates and updates the rows of its type's resource, so whoever may create and
   * update that resource may import it, and no one else (rbac.test.ts holds the two together).
   */
  imports: {
    /** Uploading a CSV at all (`POST /imports/csv`): the union of the per-type entries below. */
    create: ['admin', 'scheduler', 'mechanic'],
    create_aircraft: ['admin', 'scheduler', 'mechanic'],
    create_parts: ['admin', 'scheduler', 'mechanic'],
    create_programs: ['admin', 'scheduler'],
    /** Everyone who may import may follow the import; tenant admins and auditors read them too. */
    read: ['admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor'],
  },
  /**
   * Aircraft, certification and skill types (`/aircraft-types`, `/certification-types`,
   * `/skill-types`): every role reads them (assignment and records need them); an organization's
   * own certification and skill types are managed by its tenant_admin, or an admin naming the org.
   * Global rows are read-only for everyone.
   */
  reference_data: {
    read: ['admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor'],
    create: ['admin', 'tenant_admin'],
    update: ['admin', 'tenant_admin'],
    delete: ['admin', 'tenant_admin'],
  },
  /** Task skill requirements (`/task-skill-requirements`): tenant admins manage them, everyone reads them. */
  skill_requirements: {
    create: ['admin', 'tenant_admin'],
    update: ['admin', 'tenant_admin'],
    delete: ['admin', 'tenant_admin'],
    read: ['admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor'],
  },
  /**
   * The qualification check: one person (`/users/{id}/qualification-check`, a mechanic only
   * themselves), or every mechanic of the org (`/qualified-mechanics`, the assignment dialog).
   */
  qualification_checks: {
    read: ['admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor'],
    list: ['admin', 'tenant_admin', 'scheduler', 'auditor'],
  },
  /**
   * Regulatory authorities and compliance templates (global reference data, issue 12): every role
   * reads them. Creating a template's compliance items on a task is `compliance_items.create`.
   */
  regulatory_reference: {
    read: ['admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor'],
  },
  /** The organization's approvals (`/organizations/{id}/registrations`): its tenant_admin manages them. */
  registrations: {
    create: ['admin', 'tenant_admin'],
    update: ['admin', 'tenant_admin'],
    delete: ['admin', 'tenant_admin'],
    read: ['admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor'],
  },
  /**
   * Airworthiness directives (`/directives`): the tenant_admin manages them; schedulers scan the
   * fleet for them; everyone reads them.
   */
  directives: {
    create: ['admin', 'tenant_admin'],
    update: ['admin', 'tenant_admin'],
    delete: ['admin', 'tenant_admin'],
    scan: ['admin', 'tenant_admin', 'scheduler'],
    read: ['admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor'],
  },
  /**
   * A directive on an aircraft: mechanics record compliance (signed, and only when qualified, which
   * the service checks); the tenant_admin marks it not applicable or approves a deferral;
   * schedulers book the task that complies with it; everyone reads the status and history.
   */
  directive_compliance: {
    record: ['admin', 'mechanic'],
    set_status: ['admin', 'tenant_admin'],
    book_task: ['admin', 'tenant_admin', 'scheduler'],
    read: ['admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor'],
  },
  /** The due list (`/due-list`): what falls due across the fleet, for everyone who plans or does the work. */
  due_list: {
    read: ['admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor'],
  },
  /** Dependencies between tasks (`/maintenance-tasks/{id}/dependencies`, issue 13): planners edit, everyone reads. */
  task_dependencies: {
    create: ['admin', 'tenant_admin', 'scheduler'],
    delete: ['admin', 'tenant_admin', 'scheduler'],
    read: ['admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor'],
  },
  /**
   * Rescheduling a task with its dependents (`/maintenance-tasks/{id}/reschedule`, issue 13):
   * whoever plans the work; everyone reads a task's schedule history.
   */
  task_schedule: {
    reschedule: ['admin', 'tenant_admin', 'scheduler'],
    read: ['admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor'],
  },
  /**
   * Stock levels (`/parts/stock`) and a task's parts availability
   * (`/maintenance-tasks/{id}/parts-availability`): everyone who reads parts (issue 13).
   */
  stock: {
    read: ['admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor'],
  },
  /** The scheduling views (`/scheduling/conflicts`, `/scheduling/timeline`): every role reads the plan and what is wrong with it. */
  scheduling_conflicts: {
    read: ['admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor'],
  },
  /**
   * Alerts (`/alerts`, issue 14): everyone reads; those who act on them acknowledge and resolve — a
   * mechanic only the alerts about them (their certifications, their tasks; the service checks).
   */
  alerts: {
    read: ['admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor'],
    acknowledge: ['admin', 'tenant_admin', 'scheduler', 'mechanic'],
    resolve: ['admin', 'tenant_admin', 'scheduler', 'mechanic'],
  },
  /** The dashboard (`/dashboard/metrics`) and the live events (`/ws`): every role (issue 14). */
  dashboard: {
    read: ['admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor'],
  },
} as const satisfies Record<string, Record<string, readonly Role[]>>;

export type Resource = keyof typeof POLICY;
export type Action<R extends Resource> = keyof (typeof POLICY)[R] & string;

/** The roles allowed to perform `action` on `resource`. */
export function allowedRoles<R extends Resource>(resource: R, action: Action<R>): readonly Role[] {
  return (POLICY[resource] as Record<string, readonly Role[]>)[action] ?? [];
}

/** The resource each import type writes: its create and update rights decide who may import it. */
export const IMPORT_TARGETS: Record<ImportType, 'aircraft' | 'parts' | 'maintenance_programs'> = {
  aircraft: 'aircraft',
  parts: 'parts',
  programs: 'maintenance_programs',
};

/** The RBAC action that uploading a CSV of `type` needs (on top of `imports.create`). */
export function importAction(type: ImportType): Action<'imports'> {
  return `create_${type}`;
}

export function isAllowed<R extends Resource>(role: Role, resource: R, action: Action<R>): boolean {
  return allowedRoles(resource, action).includes(role);
}
