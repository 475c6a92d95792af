import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { COMPLIANCE_SORT_FIELDS, complianceItemView } from '../../../app/compliance.js';
import type { Services } from '../../../app/services.js';
import { COMPLIANCE_RESULTS } from '../../../domain/compliance.js';
import { createdLocation, mutationContext } from '../context.js';
import { complianceSignatureFields } from '../schemas/compliance.js';
import { pageFrom, sendPage, CursorQuery } from '../pagination.js';
import { actorOf, policy } from '../plugins/auth.js';
import {
  errorResponses,
  IdParams,
  OrgScopeQuery,
  PageQuery,
  SCOPE_NOTE,
  sortQuery,
  timestampField,
  toDate,
  uuidField,
} from '../schemas/common.js';

const Result = Type.Enum(COMPLIANCE_RESULTS, {
  description: 'Outcome of the check: pass, fail, or pending until it is recorded.',
});

const Description = Type.String({
  minLength: 1,
  maxLength: 2000,
  description: 'What is checked, e.g. "Torque main gear bolts to 25 Nm"; trimmed, not blank.',
});

/** A compliance item of a maintenance task. */
export const ComplianceItem = Type.Object(
  {
    id: uuidField('Compliance item id.'),
    org_id: uuidField('The organization the item belongs to.'),
    task_id: uuidField('The maintenance task the item belongs to.'),
    description: Type.String({ description: 'What is checked.' }),
    result: Result,
    signed_off: Type.Boolean({
      description: 'Whether a mechanic signed the item off; a signed-off item never changes again.',
    }),
    sign_off_user_id: Type.Union([uuidField('The mechanic who signed off.'), Type.Null()], {
      description: 'The mechanic who signed the item off, or null before sign-off.',
    }),
    sign_off_time: Type.Union([timestampField('When the item was signed off.'), Type.Null()], {
      description: 'When the item was signed off (RFC 3339, UTC), or null before sign-off.',
    }),
    ...complianceSignatureFields,
    created_at: timestampField('When the item was created.'),
    updated_at: timestampField('When the item last changed.'),
  },
  {
    additionalProperties: false,
    description:
      'One check a task must pass before it completes. Editable until a mechanic signs it off, immutable after (but for its one independent inspection, when it requires one).',
    examples: [
      {
        id: '6f1c2b9e-4d0a-4c8e-9a57-3b2f1e0d9c84',
        org_id: '0b6f3c1e-2a4d-4e8f-9b1a-5c7d9e0f1a2b',
        task_id: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a',
        description: 'Duplicate inspection of elevator control rigging',
        result: 'pass',
        signed_off: true,
        sign_off_user_id: '3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b',
        sign_off_time: '2030-03-01T10:15:00.000Z',
        sign_off_meaning: 'performed',
        requires_inspection: true,
        inspection_pending: false,
        inspected_by: '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d',
        inspected_at: '2030-03-01T10:40:00.000Z',
        inspection_meaning: 'inspected',
        created_at: '2030-03-01T08:00:00.000Z',
        updated_at: '2030-03-01T10:40:00.000Z',
      },
    ],
  },
);

const Password = Type.String({
  minLength: 1,
  maxLength: 256,
  description:
    "Your own account password: the signature's re-authentication. Required while the organization's policy `sign_off_reauthentication` is on (the default); a missing or wrong one is 401 SIGNATURE_REAUTHENTICATION_FAILED and counts like a failed login (429 after too many). Never stored, logged or echoed.",
});

const RequiresInspection = Type.Boolean({
  description:
    'Whether a second person must independently inspect the work after the sign-off; only before sign-off. Anyone who may change the item may raise it (false → true); clearing it is for a scheduler, tenant_admin or admin (a mechanic gets 403 INSPECTION_REQUIREMENT_LOCKED).',
});

const ScopeQuery = Type.Object(OrgScopeQuery, { additionalProperties: false });

const ListQuery = Type.Object(
  {
    ...PageQuery,
    ...CursorQuery,
    ...OrgScopeQuery,
    task_id: Type.Optional(uuidField('Only items of this task.')),
    result: Type.Optional(Type.Enum(COMPLIANCE_RESULTS, { description: 'Only items with this result.' })),
    signed: Type.Optional(
      Type.Boolean({ description: 'true: only signed-off items; false: only items not signed off yet.' }),
    ),
    signed_by: Type.Optional(uuidField('Only items signed off by this user.')),
    inspection_pending: Type.Optional(
      Type.Boolean({
        description: 'true: only items still awaiting their independent inspection; false: every other item.',
      }),
    ),
    from: Type.Optional(timestampField('Only items signed off at or after this time.')),
    to: Type.Optional(timestampField('Only items signed off before this time; must be after `from`.')),
    sort: sortQuery(COMPLIANCE_SORT_FIELDS),
  },
  { additionalProperties: false },
);

const CreateBody = Type.Object(
  {
    task_id: uuidField('The task to add the item to: scheduled or in progress, in your organization.'),
    description: Description,
    result: Type.Optional(
      Type.Enum(COMPLIANCE_RESULTS, { description: 'The result so far; pending when omitted.' }),
    ),
    requires_inspection: Type.Optional(RequiresInspection),
  },
  {
    additionalProperties: false,
    description: 'The new compliance item.',
    examples: [
      {
        task_id: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a',
        description: 'Duplicate inspection of elevator control rigging',
        requires_inspection: true,
      },
    ],
  },
);

const UpdateBody = Type.Object(
  {
    description: Type.Optional(Description),
    result: Type.Optional(Type.Enum(COMPLIANCE_RESULTS, { description: 'The result so far.' })),
    requires_inspection: Type.Optional(RequiresInspection),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description: 'The fields to change; only before sign-off.',
  },
);

const SignOffBody = Type.Object(
  {
    result: Type.Optional(
      Type.Enum(COMPLIANCE_RESULTS, {
        description:
          'The final result, recorded in the same step; when omitted the current result is kept. Must not be pending.',
      }),
    ),
    password: Type.Optional(Password),
  },
  {
    additionalProperties: false,
    description:
      "The signer's password (unless the organization's policy turns re-authentication off) and optionally the final result.",
    examples: [{ password: 'your-own-password', result: 'pass' }],
  },
);

const InspectBody = Type.Object(
  { password: Type.Optional(Password) },
  {
    additionalProperties: false,
    description: "The inspector's password (unless the organization's policy turns re-authentication off).",
    examples: [{ password: 'your-own-password' }],
  },
);

/**
 * A signature's password is left out of the Idempotency-Key fingerprint: a fast hash over a body
 * that is otherwise known would be an offline-guessable copy of the password.
 */
const SIGNATURE_CONFIG = { idempotencyFingerprintOmits: ['password'] };

const tags = ['compliance'];
const FROZEN_NOTE =
  'Only before sign-off (409 ALREADY_SIGNED_OFF after) and while the task is scheduled or in progress (409 TASK_CLOSED).';

/** `/compliance-items`: the checks of maintenance tasks and their one-time sign-off by a mechanic. */
export const complianceRoutes =
  ({ compliance }: Services) =>
  async (instance: FastifyInstance): Promise<void> => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/compliance-items',
      {
        config: policy('compliance_items', 'create'),
        schema: {
          tags,
          summary: 'Create a compliance item',
          description: `${SCOPE_NOTE} The task must exist in the organization (404 TASK_NOT_FOUND) and be scheduled or in progress (409 TASK_CLOSED).`,
          querystring: ScopeQuery,
          body: CreateBody,
          response: { 201: ComplianceItem, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const { task_id: taskId, description, result, requires_inspection } = request.body;
        const item = await compliance.create(mutationContext(request), {
          taskId,
          description,
          result,
          requiresInspection: requires_inspection,
          orgId: request.query.org_id,
        });
        return reply
          .code(201)
          .header('Location', createdLocation(request, item.id))
          .send(complianceItemView(item));
      },
    );

    app.get(
      '/compliance-items',
      {
        config: policy('compliance_items', 'read'),
        schema: {
          tags,
          summary: 'List compliance items',
          description: `${SCOPE_NOTE} Oldest first unless \`sort\` says otherwise; paginated with \`Link: <…>; rel="next"\`.`,
          querystring: ListQuery,
          response: { 200: Type.Array(ComplianceItem), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const page = pageFrom(query);
        const result = await compliance.list(
          actorOf(request),
          {
            orgId: query.org_id,
            taskId: query.task_id,
            result: query.result,
            signed: query.signed,
            signedBy: query.signed_by,
            inspectionPending: query.inspection_pending,
            from: toDate(query.from),
            to: toDate(query.to),
            sort: query.sort,
          },
          page,
        );
        return sendPage(request, reply, page, result, complianceItemView);
      },
    );

    app.get(
      '/compliance-items/:id',
      {
        config: policy('compliance_items', 'read'),
        schema: {
          tags,
          summary: 'Get a compliance item',
          description: SCOPE_NOTE,
          params: IdParams,
          querystring: ScopeQuery,
          response: { 200: ComplianceItem, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        complianceItemView(
          await compliance.get(actorOf(request), request.params.id, { orgId: request.query.org_id }),
        ),
    );

    app.patch(
      '/compliance-items/:id',
      {
        config: policy('compliance_items', 'update'),
        schema: {
          tags,
          summary: 'Change a compliance item',
          description: `${SCOPE_NOTE} ${FROZEN_NOTE} The description and result are the mechanics' (and admins') record: a scheduler or tenant_admin may change \`requires_inspection\` only (403 otherwise). A mechanic may raise \`requires_inspection\` but not clear it: waiving an independent inspection is for a scheduler, tenant_admin or admin (403 INSPECTION_REQUIREMENT_LOCKED naming the field).`,
          params: IdParams,
          querystring: ScopeQuery,
          body: UpdateBody,
          response: { 200: ComplianceItem, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        complianceItemView(
          await compliance.update(
            mutationContext(request),
            request.params.id,
            {
              description: request.body.description,
              result: request.body.result,
              requiresInspection: request.body.requires_inspection,
            },
            { orgId: request.query.org_id },
          ),
        ),
    );

    app.patch(
      '/compliance-items/:id/sign-off',
      {
        config: { ...policy('compliance_items', 'sign_off'), ...SIGNATURE_CONFIG },
        // The body is optional: a sign-off without one keeps the recorded result.
        preValidation: async (request) => {
          request.body ??= {};
        },
        schema: {
          tags,
          summary: 'Sign off a compliance item',
          description: `An electronic signature meaning \`performed\`. Mechanics only (not even admins), signed in as themselves: a request with an API key is 403 API_KEY_FORBIDDEN (a key has no password). Unless the organization's policy \`sign_off_reauthentication\` is off, the body carries your password: missing or wrong is 401 SIGNATURE_REAUTHENTICATION_FAILED and nothing is written; failures count like failed logins (429 with Retry-After). Records you as the signer and now as the sign-off time, once: a second sign-off, also a racing one, is 409 ALREADY_SIGNED_OFF. The final result must be pass or fail (409 RESULT_PENDING), and the task scheduled or in progress (409 TASK_CLOSED). The item never changes again, except for its one independent inspection when it requires one.`,
          params: IdParams,
          querystring: ScopeQuery,
          body: SignOffBody,
          response: { 200: ComplianceItem, ...errorResponses(400, 401, 403, 404, 409, 429) },
        },
      },
      async (request) =>
        complianceItemView(
          await compliance.signOff(mutationContext(request), request.params.id, request.body, {
            orgId: request.query.org_id,
          }),
        ),
    );

    app.post(
      '/compliance-items/:id/inspect',
      {
        config: { ...policy('compliance_items', 'inspect'), ...SIGNATURE_CONFIG },
        // The body is optional when the organization's policy needs no password.
        preValidation: async (request) => {
          request.body ??= {};
        },
        schema: {
          tags,
          summary: 'Inspect a signed-off compliance item',
          description: `The independent inspection: an electronic signature meaning \`inspected\`, by a mechanic other than the one who signed the item off, signed in as themselves (API key: 403 API_KEY_FORBIDDEN). Re-authenticates like a sign-off (401 SIGNATURE_REAUTHENTICATION_FAILED, 429 after too many failures). 409 NOT_SIGNED_OFF before the sign-off, INSPECTION_NOT_REQUIRED for an item without \`requires_inspection\`, ALREADY_INSPECTED the second time, INSPECTOR_IS_PERFORMER when you signed it off yourself (the database refuses that too) or are the mechanic assigned to its task (\`details\` say which), TASK_CLOSED on a cancelled or deleted task. Once inspected the item never changes again. Emits \`compliance_item_inspected\`.`,
          params: IdParams,
          querystring: ScopeQuery,
          body: InspectBody,
          response: { 200: ComplianceItem, ...errorResponses(400, 401, 403, 404, 409, 429) },
        },
      },
      async (request) =>
        complianceItemView(
          await compliance.inspect(mutationContext(request), request.params.id, request.body, {
            orgId: request.query.org_id,
          }),
        ),
    );

    app.delete(
      '/compliance-items/:id',
      {
        config: policy('compliance_items', 'delete'),
        schema: {
          tags,
          summary: 'Delete a compliance item',
          description: `${SCOPE_NOTE} Soft delete. ${FROZEN_NOTE} A signed-off item stays forever. An item that requires an independent inspection is deleted only by an admin; a mechanic gets 403 INSPECTION_REQUIREMENT_LOCKED (a scheduler or tenant_admin waives the inspection first, with PATCH \`requires_inspection: false\`).`,
          params: IdParams,
          querystring: ScopeQuery,
          response: {
            204: Type.Null({ description: 'Deleted.' }),
            ...errorResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        await compliance.delete(mutationContext(request), request.params.id, {
          orgId: request.query.org_id,
        });
        return reply.code(204).send(null);
      },
    );
  };
