import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Services } from '../../../app/services.js';
import { userView } from '../../../app/users.js';
import { ROLES } from '../../../domain/roles.js';
import { createdLocation, mutationContext } from '../context.js';
import { pageFrom, sendPage, CursorQuery } from '../pagination.js';
import { actorOf, policy } from '../plugins/auth.js';
import {
  IdParams,
  OrgScopeQuery,
  PageQuery,
  SCOPE_NOTE,
  errorResponses,
  timestampField,
  uuidField,
} from '../schemas/common.js';

const Role = Type.Enum(ROLES, {
  description: 'admin (system-wide), tenant_admin, scheduler, mechanic or auditor.',
});

const Email = Type.String({
  format: 'email',
  maxLength: 254,
  description: 'Login email, unique among the live users of the organization regardless of case.',
});

const Password = Type.String({
  maxLength: 1024,
  description:
    'At least 12 characters with a letter and a digit, at most 72 bytes, not containing the email name. Never returned.',
});

/** A user; the password hash never leaves the server. */
const User = Type.Object(
  {
    id: uuidField('User id.'),
    org_id: uuidField('The organization the user belongs to.'),
    email: Type.String({ description: 'Login email, unique per organization regardless of case.' }),
    role: Role,
    last_login: Type.Union([timestampField('Last successful login.'), Type.Null()], {
      description: 'Last successful login (RFC 3339, UTC), or null if the user never logged in.',
    }),
    created_at: timestampField('When the user was created.'),
    updated_at: timestampField('When the user last changed.'),
  },
  { additionalProperties: false, description: 'A person who signs in to one organization with one role.' },
);

/** `?org_id=`: the only way an admin acts in another organization; anyone else naming one gets 403. */
const ScopeQuery = Type.Object(OrgScopeQuery, { additionalProperties: false });

const ListQuery = Type.Object(
  {
    ...PageQuery,
    ...CursorQuery,
    ...OrgScopeQuery,
    role: Type.Optional(Type.Enum(ROLES, { description: 'Only users with this role.' })),
    email: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 254,
        description: 'Only users whose email contains this text, regardless of case.',
      }),
    ),
  },
  { additionalProperties: false },
);

const CreateUserBody = Type.Object(
  { email: Email, role: Role, password: Password },
  {
    additionalProperties: false,
    description: 'The new user. It joins your organization, or the one an admin names with `?org_id=`.',
  },
);

const UpdateUserBody = Type.Object(
  {
    email: Type.Optional(Email),
    role: Type.Optional(Role),
    password: Type.Optional(Password),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description: 'The fields to change. A new password or role signs the user out of every session.',
  },
);

/**
 * The password stays out of the Idempotency-Key fingerprint of the routes that carry one: a fast
 * hash of a body that is otherwise known would be an offline-guessable copy of the password. So a
 * retry with the same key and a different password answers the first response.
 */
const PASSWORD_CONFIG = { idempotencyFingerprintOmits: ['password'] };
const PASSWORD_FINGERPRINT_NOTE =
  'With an `Idempotency-Key`, `password` is not part of the request fingerprint: a repeat that differs only in its password replays the first answer.';

const tags = ['users'];
const USER_SCOPE_NOTE = `${SCOPE_NOTE} A tenant_admin never creates, changes or deletes an admin, nor grants the admin role.`;

/** `/users`: user management inside one organization, for admins and tenant_admins. */
export const userRoutes =
  ({ users }: Services) =>
  async (instance: FastifyInstance): Promise<void> => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/users',
      {
        config: { ...policy('users', 'create'), ...PASSWORD_CONFIG },
        schema: {
          tags,
          summary: 'Create a user',
          description: `${USER_SCOPE_NOTE} ${PASSWORD_FINGERPRINT_NOTE}`,
          querystring: ScopeQuery,
          body: CreateUserBody,
          response: { 201: User, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const user = await users.create(mutationContext(request), {
          ...request.body,
          orgId: request.query.org_id,
        });
        return reply.code(201).header('Location', createdLocation(request, user.id)).send(userView(user));
      },
    );

    app.get(
      '/users',
      {
        config: policy('users', 'list'),
        schema: {
          tags,
          summary: 'List users',
          description: `${USER_SCOPE_NOTE} Ordered by email; paginated with \`Link: <…>; rel="next"\`.`,
          querystring: ListQuery,
          response: { 200: Type.Array(User), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { org_id: orgId, role, email } = request.query;
        const page = pageFrom(request.query);
        const result = await users.list(actorOf(request), { orgId, role, email }, page);
        return sendPage(request, reply, page, result, userView);
      },
    );

    app.get(
      '/users/:id',
      {
        config: policy('users', 'read'),
        schema: {
          tags,
          summary: 'Get a user',
          description: USER_SCOPE_NOTE,
          params: IdParams,
          querystring: ScopeQuery,
          response: { 200: User, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        userView(await users.get(actorOf(request), request.params.id, { orgId: request.query.org_id })),
    );

    app.patch(
      '/users/:id',
      {
        config: { ...policy('users', 'update'), ...PASSWORD_CONFIG },
        schema: {
          tags,
          summary: 'Change a user',
          description: `${USER_SCOPE_NOTE} Nobody changes their own role. ${PASSWORD_FINGERPRINT_NOTE}`,
          params: IdParams,
          querystring: ScopeQuery,
          body: UpdateUserBody,
          response: { 200: User, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        userView(
          await users.update(mutationContext(request), request.params.id, request.body, {
            orgId: request.query.org_id,
          }),
        ),
    );

    app.delete(
      '/users/:id',
      {
        config: policy('users', 'delete'),
        schema: {
          tags,
          summary: 'Delete a user',
          description: `${USER_SCOPE_NOTE} Soft delete: the user can no longer log in, their sessions end, and the email may be reused. Nobody deletes themselves.`,
          params: IdParams,
          querystring: ScopeQuery,
          response: {
            204: Type.Null({ description: 'Deleted.' }),
            ...errorResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        await users.delete(mutationContext(request), request.params.id, { orgId: request.query.org_id });
        return reply.code(204).send(null);
      },
    );
  };
