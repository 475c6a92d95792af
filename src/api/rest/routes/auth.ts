import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TokenPair } from '../../../app/auth.js';
import type { Services } from '../../../app/services.js';
import { ROLES } from '../../../domain/roles.js';
import { requestContext } from '../context.js';
import { actorOf, policy } from '../plugins/auth.js';
import { errorResponses, iso, Timestamp } from '../schemas/common.js';

const LoginBody = Type.Object(
  {
    org_id: Type.Optional(
      Type.String({
        format: 'uuid',
        description:
          'The organization to sign in to. Needed only when the email and password match accounts in several organizations.',
      }),
    ),
    email: Type.String({
      minLength: 1,
      maxLength: 254,
      description: 'The account email (case-insensitive).',
    }),
    password: Type.String({ minLength: 1, maxLength: 256, description: 'The account password.' }),
  },
  { additionalProperties: false },
);

const RefreshTokenBody = Type.Object(
  {
    refresh_token: Type.String({
      minLength: 1,
      maxLength: 8192,
      description: 'The refresh token of the last login or refresh.',
    }),
  },
  { additionalProperties: false },
);

const TokenPairResponse = Type.Object(
  {
    access_token: Type.String({
      description: 'RS256 JWT to send as `Authorization: Bearer …`; valid for `expires_in` seconds.',
    }),
    refresh_token: Type.String({
      description:
        'Single-use RS256 JWT that POST /auth/refresh exchanges for a new pair; valid for 7 days unless configured otherwise. Using it twice revokes the sign-in.',
    }),
    token_type: Type.Literal('Bearer', { description: 'Always `Bearer`.' }),
    expires_in: Type.Integer({ description: 'Seconds until the access token expires.' }),
  },
  { additionalProperties: false },
);

const CurrentUser = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: "The user's id." }),
    org_id: Type.String({ format: 'uuid', description: 'The organization the user belongs to.' }),
    email: Type.String({ description: 'The email the user signs in with.' }),
    role: Type.Enum(ROLES, { description: 'The role: admin, tenant_admin, scheduler, mechanic or auditor.' }),
    last_login: Type.Union([Timestamp, Type.Null()], {
      description: 'When the user last signed in (RFC 3339, UTC), or null if never.',
    }),
    created_at: Type.String({
      format: 'date-time',
      description: 'When the account was created (RFC 3339, UTC).',
    }),
    updated_at: Type.String({
      format: 'date-time',
      description: 'When the account last changed (RFC 3339, UTC).',
    }),
  },
  { additionalProperties: false },
);

const tokenPairBody = (pair: TokenPair) => ({
  access_token: pair.accessToken,
  refresh_token: pair.refreshToken,
  token_type: 'Bearer' as const,
  expires_in: pair.expiresIn,
});

/** `/auth`: login, refresh-token rotation, logout and the signed-in user. */
export const authRoutes =
  ({ auth }: Services) =>
  async (base: FastifyInstance): Promise<void> => {
    const app = base.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/auth/login',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'Sign in with email and password',
          description:
            'Without `org_id` the password is checked against the account with this email in every organization. ' +
            'An unknown email and a wrong password get the same 401. Failed attempts are limited per email and ' +
            'client address, per email across all addresses (a much higher ceiling) and per client address ' +
            '(429 with `Retry-After`); successful logins never count, and failures from other addresses never ' +
            'lock an email out of an address that has not failed until the per-email ceiling. A sign-in, a wrong ' +
            'password for an existing account and the lockout it starts are recorded in the account’s audit log.',
          body: LoginBody,
          response: { 200: TokenPairResponse, ...errorResponses(400, 401, 429) },
        },
      },
      async (request) => {
        const { org_id, email, password } = request.body;
        const client = requestContext(request);
        return tokenPairBody(
          await auth.login({ orgId: org_id, email, password, ip: client.ip, request: client }),
        );
      },
    );

    app.post(
      '/auth/refresh',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'Exchange a refresh token for a new token pair',
          description:
            'The refresh token is spent and a new one returned; the new access token carries the current role. ' +
            'Presenting a spent token again answers 401 `REFRESH_TOKEN_REUSED`, revokes every token of that sign-in and ' +
            'records `refresh_token_reused` in the account’s audit log.',
          body: RefreshTokenBody,
          response: { 200: TokenPairResponse, ...errorResponses(400, 401) },
        },
      },
      async (request) =>
        tokenPairBody(await auth.refresh(request.body.refresh_token, requestContext(request))),
    );

    app.post(
      '/auth/logout',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'Revoke a sign-in',
          description:
            'Revokes the refresh token and every token refreshed from the same login. Idempotent: an unknown or ' +
            'already revoked token also answers 204. Access tokens already issued expire on their own. Revoking a live ' +
            'sign-in is recorded as `signed_out` in the account’s audit log.',
          body: RefreshTokenBody,
          response: {
            204: Type.Null({ description: 'The sign-in is revoked (or there was nothing to revoke).' }),
            ...errorResponses(400),
          },
        },
      },
      async (request, reply) => {
        await auth.logout(request.body.refresh_token, requestContext(request));
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/auth/me',
      {
        config: policy('account', 'read'),
        schema: {
          tags: ['auth'],
          summary: 'The signed-in user',
          response: { 200: CurrentUser, ...errorResponses(401, 403, 404) },
        },
      },
      async (request) => {
        const user = await auth.me(actorOf(request));
        return {
          id: user.id,
          org_id: user.orgId,
          email: user.email,
          role: user.role,
          last_login: iso(user.lastLogin),
          created_at: iso(user.createdAt),
          updated_at: iso(user.updatedAt),
        };
      },
    );
  };
