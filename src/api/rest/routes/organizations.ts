import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import {
  POLICY_INTEGER_BOUNDS,
  POLICY_INTERVAL_BOUNDS,
  organizationView,
  orgPolicyView,
} from '../../../app/organizations.js';
import type { Services } from '../../../app/services.js';
import type { OrgPolicyPatch } from '../../../domain/organization.js';
import { createdLocation, mutationContext } from '../context.js';
import { CursorQuery, pageFrom, sendPage } from '../pagination.js';
import { actorOf, policy } from '../plugins/auth.js';
import { IdParams, PageQuery, errorResponses, timestampField, uuidField } from '../schemas/common.js';

const OrganizationName = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'Display name; trimmed, unique among live organizations regardless of case.',
});

/** An organization (tenant). */
const Organization = Type.Object(
  {
    id: uuidField('Organization id.'),
    name: Type.String({ description: 'Display name, unique among live organizations regardless of case.' }),
    created_at: timestampField('When the organization was created.'),
    updated_at: timestampField('When the organization last changed.'),
  },
  { additionalProperties: false, description: 'An organization (tenant): an airline or MRO customer.' },
);

const CreateOrganizationBody = Type.Object(
  { name: OrganizationName },
  { additionalProperties: false, description: 'The new organization; its policy starts with the defaults.' },
);

const UpdateOrganizationBody = Type.Object(
  { name: Type.Optional(OrganizationName) },
  { additionalProperties: false, minProperties: 1, description: 'The fields to change.' },
);

const INTERVAL_SYNTAX = 'ISO 8601 duration (e.g. `P365D`) or PostgreSQL interval text (e.g. `30 days`)';

const integerSetting = (key: keyof typeof POLICY_INTEGER_BOUNDS, description: string) =>
  Type.Integer({
    minimum: POLICY_INTEGER_BOUNDS[key].minimum,
    maximum: POLICY_INTEGER_BOUNDS[key].maximum,
    description,
  });

const policySettings = {
  retention_interval: Type.String({
    minLength: 1,
    maxLength: 64,
    description: `How long soft-deleted operational data is kept: ${INTERVAL_SYNTAX}, ${POLICY_INTERVAL_BOUNDS.retentionInterval.range}. Default P365D.`,
  }),
  max_webhook_attempts: integerSetting(
    'maxWebhookAttempts',
    'Deliveries of one webhook event before it is given up. Default 10.',
  ),
  webhook_replay_window_seconds: integerSetting(
    'webhookReplayWindowSeconds',
    'How old a webhook signature timestamp receivers should still accept, in seconds. Default 300.',
  ),
  api_rate_limit_per_min: integerSetting(
    'apiRateLimitPerMin',
    'Requests per minute the organization may make with user tokens. Default 100.',
  ),
  api_key_rate_limit_per_min: integerSetting(
    'apiKeyRateLimitPerMin',
    'Requests per minute each API key of the organization may make (one bucket per key, all categories together). Default 10.',
  ),
  grounding_lead_time: Type.String({
    minLength: 1,
    maxLength: 64,
    description: `How long before a confirmed task starts its aircraft is grounded: ${INTERVAL_SYNTAX}, ${POLICY_INTERVAL_BOUNDS.groundingLeadTime.range}. Default PT24H.`,
  }),
  sign_off_reauthentication: Type.Boolean({
    description:
      "Whether a compliance sign-off or inspection is an electronic signature that re-enters the signer's password (`password` in its body; a wrong one is 401 SIGNATURE_REAUTHENTICATION_FAILED and counts like a failed login). Default true; false lets a signed-in mechanic sign without it.",
    examples: [true],
  }),
  alert_escalation_after: Type.String({
    minLength: 1,
    maxLength: 64,
    description: `How long an open alert may wait for an acknowledgement before it moves up a level (info → warning → critical, once per level): ${INTERVAL_SYNTAX}, ${POLICY_INTERVAL_BOUNDS.alertEscalationAfter.range}. Default PT4H.`,
  }),
  directive_warning_days: integerSetting(
    'directiveWarningDays',
    'How many days before a directive limit (or its projected date) it counts as due: on the due list, in directive_due alerts and on the dashboard. Default 30.',
  ),
};

/** An organization's policy; intervals are returned as ISO 8601 durations. */
const OrgPolicy = Type.Object(
  {
    org_id: uuidField('The organization the policy belongs to.'),
    ...policySettings,
    updated_at: timestampField('When the policy last changed.'),
  },
  { additionalProperties: false, description: "An organization's limits and retention settings." },
);

const UpdateOrgPolicyBody = Type.Object(
  {
    retention_interval: Type.Optional(policySettings.retention_interval),
    max_webhook_attempts: Type.Optional(policySettings.max_webhook_attempts),
    webhook_replay_window_seconds: Type.Optional(policySettings.webhook_replay_window_seconds),
    api_rate_limit_per_min: Type.Optional(policySettings.api_rate_limit_per_min),
    api_key_rate_limit_per_min: Type.Optional(policySettings.api_key_rate_limit_per_min),
    grounding_lead_time: Type.Optional(policySettings.grounding_lead_time),
    sign_off_reauthentication: Type.Optional(policySettings.sign_off_reauthentication),
    alert_escalation_after: Type.Optional(policySettings.alert_escalation_after),
    directive_warning_days: Type.Optional(policySettings.directive_warning_days),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description: 'The settings to change.',
    examples: [{ sign_off_reauthentication: false }, { max_webhook_attempts: 5 }],
  },
);

const ListQuery = Type.Object({ ...PageQuery, ...CursorQuery }, { additionalProperties: false });

const toPolicyPatch = (body: Static<typeof UpdateOrgPolicyBody>): OrgPolicyPatch => ({
  retentionInterval: body.retention_interval,
  maxWebhookAttempts: body.max_webhook_attempts,
  webhookReplayWindowSeconds: body.webhook_replay_window_seconds,
  apiRateLimitPerMin: body.api_rate_limit_per_min,
  apiKeyRateLimitPerMin: body.api_key_rate_limit_per_min,
  groundingLeadTime: body.grounding_lead_time,
  signOffReauthentication: body.sign_off_reauthentication,
  alertEscalationAfter: body.alert_escalation_after,
  directiveWarningDays: body.directive_warning_days,
});

const tags = ['organizations'];

/** `/organizations`: tenants and their policies. Admins manage all; a tenant_admin its own. */
export const organizationRoutes =
  ({ organizations }: Services) =>
  async (instance: FastifyInstance): Promise<void> => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/organizations',
      {
        config: policy('organizations', 'create'),
        schema: {
          tags,
          summary: 'Create an organization',
          description: 'Admins only. Creates the organization and its policy with the default settings.',
          body: CreateOrganizationBody,
          response: { 201: Organization, ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (request, reply) => {
        const org = await organizations.create(mutationContext(request), request.body);
        return reply
          .code(201)
          .header('Location', createdLocation(request, org.id))
          .send(organizationView(org));
      },
    );

    app.get(
      '/organizations',
      {
        config: policy('organizations', 'list'),
        schema: {
          tags,
          summary: 'List organizations',
          description: 'Admins only. Ordered by name; paginated with `Link: <…>; rel="next"`.',
          querystring: ListQuery,
          response: { 200: Type.Array(Organization), ...errorResponses(400, 401, 403) },
        },
      },
      async (request, reply) => {
        const page = pageFrom(request.query);
        const result = await organizations.list(actorOf(request), page);
        return sendPage(request, reply, page, result, organizationView);
      },
    );

    app.get(
      '/organizations/:id',
      {
        config: policy('organizations', 'read'),
        schema: {
          tags,
          summary: 'Get an organization',
          description: 'A tenant_admin sees its own organization only; any other id answers 404.',
          params: IdParams,
          response: { 200: Organization, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => organizationView(await organizations.get(actorOf(request), request.params.id)),
    );

    app.patch(
      '/organizations/:id',
      {
        config: policy('organizations', 'update'),
        schema: {
          tags,
          summary: 'Rename an organization',
          description: 'Admins, or the tenant_admin of this organization.',
          params: IdParams,
          body: UpdateOrganizationBody,
          response: { 200: Organization, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        organizationView(
          await organizations.update(mutationContext(request), request.params.id, request.body),
        ),
    );

    app.delete(
      '/organizations/:id',
      {
        config: policy('organizations', 'delete'),
        schema: {
          tags,
          summary: 'Delete an organization',
          description:
            'Admins only. Soft delete: its users can no longer sign in and their sessions end; the organization answers 404 from then on; its records are kept (audit log included) and only a system admin reaches them, with `?org_id=`. An unknown or already deleted id is 404; the organization you are signed in to cannot be deleted (409 CANNOT_DELETE_OWN_ORGANIZATION).',
          params: IdParams,
          response: {
            204: Type.Null({ description: 'Deleted.' }),
            ...errorResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        await organizations.delete(mutationContext(request), request.params.id);
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/organizations/:id/policy',
      {
        config: policy('org_policies', 'read'),
        schema: {
          tags,
          summary: "Get an organization's policy",
          description: 'Admins, or the tenant_admin of this organization.',
          params: IdParams,
          response: { 200: OrgPolicy, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => orgPolicyView(await organizations.getPolicy(actorOf(request), request.params.id)),
    );

    app.patch(
      '/organizations/:id/policy',
      {
        config: policy('org_policies', 'update'),
        schema: {
          tags,
          summary: "Change an organization's policy",
          description: 'Admins, or the tenant_admin of this organization. Only the fields sent change.',
          params: IdParams,
          body: UpdateOrgPolicyBody,
          response: { 200: OrgPolicy, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        orgPolicyView(
          await organizations.updatePolicy(
            mutationContext(request),
            request.params.id,
            toPolicyPatch(request.body),
          ),
        ),
    );
  };
