import { orderBySortKeys } from './listing.js';
import type { Organization, OrgPolicy, OrgPolicyPatch } from '../../domain/organization.js';
import type { Page } from '../../app/pagination.js';
import type { OrgPolicyRepository, OrganizationRepository } from '../../app/ports.js';
import type { Executor } from './executor.js';
import { registerConstraints } from './errors.js';
import type { OrganizationsTable, OrgPoliciesTable } from './schema.js';
import { sql, type Selectable } from 'kysely';

registerConstraints({
  organizations_name_live_key: {
    kind: 'conflict',
    reason: 'ORGANIZATION_NAME_TAKEN',
    message: 'an organization with this name already exists',
    field: 'name',
  },
});

const toOrganization = (row: Selectable<OrganizationsTable>): Organization => ({
  id: row.id,
  name: row.name,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export class PgOrganizationRepository implements OrganizationRepository {
  constructor(private readonly db: Executor) {}

  async insert(input: { name: string }): Promise<Organization> {
    const row = await this.db
      .insertInto('organizations')
      .values(input)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toOrganization(row);
  }

  async findById(id: string, options: { includeDeleted?: boolean } = {}): Promise<Organization | undefined> {
    let query = this.db.selectFrom('organizations').selectAll().where('id', '=', id);
    if (options.includeDeleted !== true) query = query.where('deleted_at', 'is', null);
    const row = await query.executeTakeFirst();
    return row && toOrganization(row);
  }

  async findByName(name: string): Promise<Organization | undefined> {
    const row = await this.db
      .selectFrom('organizations')
      .selectAll()
      .where(sql<string>`lower(name)`, '=', name.toLowerCase())
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row && toOrganization(row);
  }

  async list(page: Page): Promise<Organization[]> {
    const query = this.db.selectFrom('organizations').selectAll().where('deleted_at', 'is', null);
    const rows = await orderBySortKeys(query, [{ field: 'name', direction: 'asc' }], { name: 'name' }, 'id', {
      table: 'organizations',
      after: page.after,
      orgId: undefined,
    })
      .limit(page.limit + 1)
      .offset(page.offset)
      .execute();
    return rows.map(toOrganization);
  }

  async update(id: string, patch: { name?: string }): Promise<Organization | undefined> {
    const row = await this.db
      .updateTable('organizations')
      .set({ ...patch, updated_at: new Date() })
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row && toOrganization(row);
  }

  async softDelete(id: string): Promise<Organization | undefined> {
    const now = new Date();
    const row = await this.db
      .updateTable('organizations')
      .set({ deleted_at: now, updated_at: now })
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row && toOrganization(row);
  }
}

const toPolicy = (row: Selectable<OrgPoliciesTable>): OrgPolicy => ({
  orgId: row.org_id,
  retentionInterval: row.retention_interval,
  maxWebhookAttempts: row.max_webhook_attempts,
  webhookReplayWindowSeconds: row.webhook_replay_window_seconds,
  apiRateLimitPerMin: row.api_rate_limit_per_min,
  apiKeyRateLimitPerMin: row.api_key_rate_limit_per_min,
  groundingLeadTime: row.grounding_lead_time,
  signOffReauthentication: row.sign_off_reauthentication,
  alertEscalationAfter: row.alert_escalation_after,
  directiveWarningDays: row.directive_warning_days,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export class PgOrgPolicyRepository implements OrgPolicyRepository {
  constructor(private readonly db: Executor) {}

  async insertDefaults(orgId: string): Promise<OrgPolicy> {
    const row = await this.db
      .insertInto('org_policies')
      .values({ org_id: orgId })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toPolicy(row);
  }

  async get(orgId: string): Promise<OrgPolicy | undefined> {
    const row = await this.db
      .selectFrom('org_policies')
      .selectAll()
      .where('org_id', '=', orgId)
      .executeTakeFirst();
    return row && toPolicy(row);
  }

  async update(orgId: string, patch: OrgPolicyPatch): Promise<OrgPolicy | undefined> {
    const row = await this.db
      .updateTable('org_policies')
      .set({
        retention_interval: patch.retentionInterval,
        max_webhook_attempts: patch.maxWebhookAttempts,
        webhook_replay_window_seconds: patch.webhookReplayWindowSeconds,
        api_rate_limit_per_min: patch.apiRateLimitPerMin,
        api_key_rate_limit_per_min: patch.apiKeyRateLimitPerMin,
        grounding_lead_time: patch.groundingLeadTime,
        sign_off_reauthentication: patch.signOffReauthentication,
        alert_escalation_after: patch.alertEscalationAfter,
        directive_warning_days: patch.directiveWarningDays,
        updated_at: new Date(),
      })
      .where('org_id', '=', orgId)
      .returningAll()
      .executeTakeFirst();
    return row && toPolicy(row);
  }
}
