import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { apiKeyView } from '../../../app/api-keys.js';
import type { Services } from '../../../app/services.js';
import { API_KEY_SCOPES, MAX_API_KEY_NAME_LENGTH } from '../../../domain/api-key.js';
import { createdLocation, mutationContext } from '../context.js';
import { CursorQuery, pageFrom, sendPage } from '../pagination.js';
import { actorOf, policy } from '../plugins/auth.js';
import {
  errorResponses,
  IdParams,
  OrgScopeQuery,
  PageQuery,
  SCOPE_NOTE,
  timestampField,
  uuidField,
} from '../schemas/common.js';

const tags = ['api-keys'];

const Scope = Type.Enum(API_KEY_SCOPES, {
  description:
    'What the key may do: `read_only` (read everything an auditor reads, change nothing) or the rights of one role. A tenant_admin may give any scope but `admin`.',
});

/** An API key, without its secret. */
const ApiKey = Type.Object(
  {
    id: uuidField('API key id.'),
    org_id: uuidField('The organization the key acts in.'),
    name: Type.String({
      description: 'The name its creator gave it, unique among the live keys of the organization.',
    }),
    scope: Scope,
    hint: Type.String({
      description:
        '`amss_` and the first 8 characters of the secret, to recognise the key; not enough to use it.',
    }),
    created_by: uuidField(
      'The user who created the key and whom it acts for: it stops working if they are deleted or may no longer create such a key.',
    ),
    created_at: timestampField('When the key was created.'),
    last_used_at: Type.Union([timestampField('When a request last used the key.'), Type.Null()], {
      description: 'When a request last used the key (to within a few seconds); null if never.',
    }),
    revoked_at: Type.Union([timestampField('When the key was revoked.'), Type.Null()], {
      description: 'When the key was revoked; null while it works (the list shows only live keys).',
    }),
  },
  { additionalProperties: false, description: 'An API key. The secret is never shown again.' },
);

/** A key just created: the only response that carries its secret. */
const CreatedApiKey = Type.Object(
  {
    ...ApiKey.properties,
    secret: Type.String({
      description:
        'The key itself (`amss_` and 43 random characters), to send as `Authorization: Bearer <secret>`. Shown only in this response: store it now; AMSS keeps only its SHA-256.',
    }),
  },
  { additionalProperties: false, description: 'The new API key with its secret, shown this once.' },
);

const CreateApiKeyBody = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: MAX_API_KEY_NAME_LENGTH,
      pattern: '\\S',
      description: 'What the key is for, e.g. `erp-sync`; unique among the live keys of your organization.',
    }),
    scope: Scope,
  },
  { additionalProperties: false, description: 'The new API key.' },
);

const ScopeQuery = Type.Object(OrgScopeQuery, { additionalProperties: false });
const ListQuery = Type.Object(
  { ...PageQuery, ...CursorQuery, ...OrgScopeQuery },
  { additionalProperties: false },
);

const NOT_BY_KEY =
  'A request made with an API key is refused (403 API_KEY_FORBIDDEN): keys never manage keys.';

/**
 * `/api-keys`: keys for integrations. An organization's admins create them (the secret is shown
 * once), list them with their last use, and revoke them.
 */
export const apiKeyRoutes =
  ({ apiKeys }: Services) =>
  async (instance: FastifyInstance): Promise<void> => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/api-keys',
      {
        config: policy('api_keys', 'create'),
        schema: {
          tags,
          summary: 'Create an API key',
          description: `Creates a key in your organization that acts for you with the rights of its \`scope\`, and answers it with its \`secret\`, shown this once. A scope above your own rights is 403 API_KEY_SCOPE_FORBIDDEN; a name a live key already has is 409 API_KEY_NAME_TAKEN. Requests with the key are limited per key by the organization's \`api_key_rate_limit_per_min\` and audited as \`api_key:<name>\`. ${NOT_BY_KEY}`,
          body: CreateApiKeyBody,
          response: { 201: CreatedApiKey, ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (request, reply) => {
        const { key, secret } = await apiKeys.create(mutationContext(request), request.body);
        return reply
          .code(201)
          .header('Location', createdLocation(request, key.id))
          .send({ ...apiKeyView(key), secret });
      },
    );

    app.get(
      '/api-keys',
      {
        config: policy('api_keys', 'list'),
        schema: {
          tags,
          summary: 'List API keys',
          description: `${SCOPE_NOTE} Live keys, oldest first, with when each was last used; never their secrets. Paginated with \`Link: <…>; rel="next"\`. ${NOT_BY_KEY}`,
          querystring: ListQuery,
          response: { 200: Type.Array(ApiKey), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const page = pageFrom(request.query);
        const result = await apiKeys.list(actorOf(request), { orgId: request.query.org_id }, page);
        return sendPage(request, reply, page, result, apiKeyView);
      },
    );

    app.delete(
      '/api-keys/:id',
      {
        config: policy('api_keys', 'delete'),
        schema: {
          tags,
          summary: 'Revoke an API key',
          description: `${SCOPE_NOTE} The key stops working within seconds on every server, REST and gRPC alike; its name is free again. Another organization's key, or one already revoked, is 404. ${NOT_BY_KEY}`,
          params: IdParams,
          querystring: ScopeQuery,
          response: { 204: Type.Null({ description: 'Revoked.' }), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        await apiKeys.revoke(mutationContext(request), request.params.id, { orgId: request.query.org_id });
        return reply.code(204).send(null);
      },
    );
  };
