import { randomUUID } from 'node:crypto';
import { domainEvent } from '../domain/events.js';
import { intervalSeconds } from '../domain/interval.js';
import {
  normalizeOrganizationName,
  type OrgPolicy,
  type OrgPolicyPatch,
  type Organization,
} from '../domain/organization.js';
import { actsAcrossOrgs, authorize } from './access.js';
import type { Actor } from './actor.js';
import { AppError, type FieldProblem } from './errors.js';
import { mutate, type MutationContext } from './mutation.js';
import { pageOf, type Page, type PageOf } from './pagination.js';
import type { Repositories, UnitOfWork } from './ports.js';
import type { Revocations } from './principals.js';

/** An organization as the API, audit rows and events show it (a type alias, so it fits an event's data). */
export type OrganizationView = {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
};

/** The view of an organization. */
export const organizationView = (org: Organization): OrganizationView => ({
  id: org.id,
  name: org.name,
  created_at: org.createdAt.toISOString(),
  updated_at: org.updatedAt.toISOString(),
});

/** An organization's policy as the API, audit rows and events show it. */
export type OrgPolicyView = {
  org_id: string;
  retention_interval: string;
  max_webhook_attempts: number;
  webhook_replay_window_seconds: number;
  api_rate_limit_per_min: number;
  api_key_rate_limit_per_min: number;
  grounding_lead_time: string;
  sign_off_reauthentication: boolean;
  alert_escalation_after: string;
  directive_warning_days: number;
  updated_at: string;
};

/** The view of a policy; intervals in PostgreSQL's ISO 8601 output, e.g. `P365D`. */
export const orgPolicyView = (policy: OrgPolicy): OrgPolicyView => ({
  org_id: policy.orgId,
  retention_interval: policy.retentionInterval,
  max_webhook_attempts: policy.maxWebhookAttempts,
  webhook_replay_window_seconds: policy.webhookReplayWindowSeconds,
  api_rate_limit_per_min: policy.apiRateLimitPerMin,
  api_key_rate_limit_per_min: policy.apiKeyRateLimitPerMin,
  grounding_lead_time: policy.groundingLeadTime,
  sign_off_reauthentication: policy.signOffReauthentication,
  alert_escalation_after: policy.alertEscalationAfter,
  directive_warning_days: policy.directiveWarningDays,
  updated_at: policy.updatedAt.toISOString(),
});

const DAY_SECONDS = 86_400;

/** The accepted range of each numeric policy setting (the REST schema documents the same numbers). */
export const POLICY_INTEGER_BOUNDS = {
  maxWebhookAttempts: { field: 'max_webhook_attempts', minimum: 1, maximum: 50 },
  webhookReplayWindowSeconds: { field: 'webhook_replay_window_seconds', minimum: 30, maximum: 3600 },
  apiRateLimitPerMin: { field: 'api_rate_limit_per_min', minimum: 1, maximum: 100_000 },
  apiKeyRateLimitPerMin: { field: 'api_key_rate_limit_per_min', minimum: 1, maximum: 100_000 },
  directiveWarningDays: { field: 'directive_warning_days', minimum: 1, maximum: 365 },
} as const;

/** The accepted range of each interval policy setting, in seconds, and how it reads to a person. */
export const POLICY_INTERVAL_BOUNDS = {
  retentionInterval: {
    field: 'retention_interval',
    minimum: DAY_SECONDS,
    maximum: 100 * 360 * DAY_SECONDS,
    range: 'between 1 day and 100 years',
  },
  groundingLeadTime: {
    field: 'grounding_lead_time',
    minimum: 0,
    maximum: 30 * DAY_SECONDS,
    range: 'between 0 and 30 days',
  },
  alertEscalationAfter: {
    field: 'alert_escalation_after',
    minimum: 60,
    maximum: 30 * DAY_SECONDS,
    range: 'between 1 minute and 30 days',
  },
} as const;

/** What the organization service needs. */
export interface OrganizationServiceDeps {
  uow: UnitOfWork;
  /** Where a deleted organization is announced, so its users' tokens and keys stop at once. */
  revocations: Pick<Revocations, 'announce'>;
}

/**
 * Tenants and their policies. Admins manage every organization; a tenant_admin reads and updates
 * its own only, and another organization's id answers 404 exactly like a missing one.
 */
export class OrganizationService {
  constructor(private readonly deps: OrganizationServiceDeps) {}

  /** Creates an organization together with its policy row (defaults), audited as one change. */
  async create(ctx: MutationContext, input: { name: string }): Promise<Organization> {
    authorize(ctx.actor, 'organizations', 'create');
    const name = organizationName(input.name);
    return mutate(this.deps.uow, ctx, async (repos) => {
      const org = await repos.organizations.insert({ name });
      const policy = await repos.orgPolicies.insertDefaults(org.id);
      const after = organizationView(org);
      return {
        result: org,
        audit: {
          orgId: org.id,
          entityType: 'organization',
          entityId: org.id,
          action: 'create',
          after,
          extra: { policy: orgPolicyView(policy) },
        },
        events: [
          domainEvent({
            orgId: org.id,
            type: 'organization_created',
            aggregateType: 'organization',
            aggregateId: org.id,
            data: after,
            occurredAt: org.createdAt,
          }),
        ],
      };
    });
  }

  /** One live organization: any for an admin, its own for a tenant_admin (404 otherwise). */
  async get(actor: Actor, id: string): Promise<Organization> {
    authorize(actor, 'organizations', 'read');
    return findOrganization(this.deps.uow.repos, actor, id);
  }

  /** Every live organization, by name. */
  async list(actor: Actor, page: Page): Promise<PageOf<Organization>> {
    authorize(actor, 'organizations', 'list');
    return pageOf(await this.deps.uow.repos.organizations.list(page), page);
  }

  /** Renames an organization the actor may see (404 otherwise); a taken name is 409. */
  async update(ctx: MutationContext, id: string, patch: { name?: string }): Promise<Organization> {
    authorize(ctx.actor, 'organizations', 'update');
    const name = patch.name === undefined ? undefined : organizationName(patch.name);
    const changeId = randomUUID();
    return mutate(this.deps.uow, ctx, async (repos) => {
      const before = await findOrganization(repos, ctx.actor, id);
      const org = (await repos.organizations.update(id, { name })) ?? notFound();
      const after = organizationView(org);
      return {
        result: org,
        audit: {
          orgId: id,
          entityType: 'organization',
          entityId: id,
          action: 'update',
          before: organizationView(before),
          after,
        },
        events: [
          domainEvent({
            orgId: id,
            type: 'organization_updated',
            aggregateType: 'organization',
            aggregateId: id,
            discriminator: changeId,
            data: after,
            occurredAt: org.updatedAt,
          }),
        ],
      };
    });
  }

  /**
   * Soft-deletes an organization: its users can no longer sign in, their refresh tokens are
   * revoked, and the organization answers 404; its rows stay (the audit log and signed records are
   * immutable) and only the system admin reaches them, by naming it with `?org_id=`. Admins only; an unknown or already deleted id is 404, and nobody
   * deletes the organization they are signed in to (409 CANNOT_DELETE_OWN_ORGANIZATION), so the
   * last admin cannot lock themselves out.
   */
  async delete(ctx: MutationContext, id: string): Promise<void> {
    authorize(ctx.actor, 'organizations', 'delete');
    if (ctx.actor.kind === 'user' && ctx.actor.orgId === id) {
      throw AppError.conflict(
        'CANNOT_DELETE_OWN_ORGANIZATION',
        'you cannot delete the organization you are signed in to',
      );
    }
    await mutate(this.deps.uow, ctx, async (repos) => {
      const before = await findOrganization(repos, ctx.actor, id);
      const org = (await repos.organizations.softDelete(id)) ?? notFound();
      await repos.refreshTokens.revokeForOrg(id);
      return {
        result: undefined,
        audit: {
          orgId: id,
          entityType: 'organization',
          entityId: id,
          action: 'delete',
          before: organizationView(before),
        },
        events: [
          domainEvent({
            orgId: id,
            type: 'organization_deleted',
            aggregateType: 'organization',
            aggregateId: id,
            data: organizationView(org),
            occurredAt: org.updatedAt,
          }),
        ],
      };
    });
    // Its users' tokens and keys stop on every server at once, not when their cached state expires.
    await this.deps.revocations.announce({ orgId: id });
  }

  /** The policy of an organization the actor may see (404 otherwise). */
  async getPolicy(actor: Actor, orgId: string): Promise<OrgPolicy> {
    authorize(actor, 'org_policies', 'read');
    const repos = this.deps.uow.repos;
    await findOrganization(repos, actor, orgId);
    return (await repos.orgPolicies.get(orgId)) ?? notFound();
  }

  /** Changes some policy settings; each is checked against its bounds first (400 naming every bad field). */
  async updatePolicy(ctx: MutationContext, orgId: string, patch: OrgPolicyPatch): Promise<OrgPolicy> {
    authorize(ctx.actor, 'org_policies', 'update');
    const problems = policyProblems(patch);
    if (problems.length > 0) {
      throw AppError.validation(
        `invalid policy: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
        problems,
      );
    }
    const changeId = randomUUID();
    return mutate(this.deps.uow, ctx, async (repos) => {
      await findOrganization(repos, ctx.actor, orgId);
      const before = (await repos.orgPolicies.get(orgId)) ?? notFound();
      const policy = (await repos.orgPolicies.update(orgId, patch)) ?? notFound();
      const after = orgPolicyView(policy);
      return {
        result: policy,
        audit: {
          orgId,
          entityType: 'org_policy',
          entityId: orgId,
          action: 'update',
          before: orgPolicyView(before),
          after,
        },
        events: [
          domainEvent({
            orgId,
            type: 'org_policy_updated',
            aggregateType: 'org_policy',
            aggregateId: orgId,
            discriminator: changeId,
            data: after,
            occurredAt: policy.updatedAt,
          }),
        ],
      };
    });
  }
}

const notFound = (): never => {
  throw AppError.notFound('organization');
};

/** A live organization the actor may see; any other id is simply not found. */
async function findOrganization(
  repos: Pick<Repositories, 'organizations'>,
  actor: Actor,
  id: string,
): Promise<Organization> {
  if (!actsAcrossOrgs(actor) && actor.kind === 'user' && actor.orgId !== id) return notFound();
  return (await repos.organizations.findById(id)) ?? notFound();
}

function organizationName(raw: string): string {
  const name = normalizeOrganizationName(raw);
  if (name === '') {
    throw AppError.validation('the organization name must not be blank', [
      { field: 'name', message: 'must not be blank' },
    ]);
  }
  return name;
}

/** Every setting in the patch that is out of bounds or, for intervals, not readable as a duration. */
function policyProblems(patch: OrgPolicyPatch): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const [key, bounds] of Object.entries(POLICY_INTEGER_BOUNDS)) {
    const value = patch[key as keyof typeof POLICY_INTEGER_BOUNDS];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < bounds.minimum || value > bounds.maximum) {
      problems.push({
        field: bounds.field,
        message: `must be an integer between ${bounds.minimum} and ${bounds.maximum}`,
      });
    }
  }
  for (const [key, bounds] of Object.entries(POLICY_INTERVAL_BOUNDS)) {
    const value = patch[key as keyof typeof POLICY_INTERVAL_BOUNDS];
    if (value === undefined) continue;
    const seconds = intervalSeconds(value);
    if (seconds === undefined) {
      problems.push({
        field: bounds.field,
        message: 'must be an ISO 8601 duration (e.g. P365D) or an interval such as "30 days"',
      });
    } else if (seconds < bounds.minimum || seconds > bounds.maximum) {
      problems.push({ field: bounds.field, message: `must be ${bounds.range}` });
    }
  }
  return problems;
}
