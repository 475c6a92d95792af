import { Type, type Static, type TSchema } from 'typebox';

/** What a UUID and a timestamp look like, for the OpenAPI examples. */
const EXAMPLE_UUID = '3f6c2a9e-8b1d-4e0f-9a7b-2c5d8e1f4a60';
const EXAMPLE_TIMESTAMP = '2031-01-15T08:00:00Z';

/** A UUID path or body value; anything else is answered 400 before a handler runs. */
export const Uuid = Type.String({ format: 'uuid', description: 'UUID', examples: [EXAMPLE_UUID] });

/** An RFC 3339 timestamp, returned normalised to UTC with a `Z`. */
export const Timestamp = Type.String({
  format: 'date-time',
  description: 'RFC 3339 timestamp (UTC)',
  examples: [EXAMPLE_TIMESTAMP],
});

export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
export type IdParams = Static<typeof IdParams>;

/** `limit`/`offset` paging shared by every list; the response carries `Link: <…>; rel="next"`. */
export const PageQuery = {
  limit: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 200,
      default: 50,
      description: 'Rows per page (1–200, default 50).',
    }),
  ),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'Rows to skip.' })),
};

/** Lets an admin act inside another organization; everyone else acts inside their own. */
export const OrgScopeQuery = {
  org_id: Type.Optional(
    Type.String({ format: 'uuid', description: 'Admins only: the organization to act in.' }),
  ),
};

/** The error envelope every failure answers with. */
export const ErrorResponse = Type.Object(
  {
    error: Type.String({ description: 'What is wrong, for a person.' }),
    code: Type.String({
      description:
        'Error kind: auth, forbidden, validation, not_found, conflict, rate_limited, unavailable, internal.',
    }),
    reason: Type.String({ description: 'Specific machine-readable reason, e.g. TASK_OVERLAP.' }),
    request_id: Type.String({ description: 'The X-Request-Id of the request.' }),
    details: Type.Optional(
      Type.Array(
        Type.Object({
          field: Type.String(),
          message: Type.String(),
          kind: Type.Optional(
            Type.String({
              description:
                'MECHANIC_NOT_QUALIFIED only: what is missing — certification, type_rating, skill or recency.',
            }),
          ),
          type_id: Type.Optional(
            Type.Union([Type.String(), Type.Null()], {
              description:
                'MECHANIC_NOT_QUALIFIED only: the certification, skill or aircraft type at stake (null: any inspection authority).',
            }),
          ),
          name: Type.Optional(
            Type.String({
              description:
                'MECHANIC_NOT_QUALIFIED: the missing item’s name; ORG_ID_REQUIRED: the organization’s name.',
            }),
          ),
          org_id: Type.Optional(
            Type.String({
              description:
                'ORG_ID_REQUIRED only: an organization the email and password both open; sign in again with it as `org_id`.',
            }),
          ),
          reason: Type.Optional(
            Type.String({
              description:
                'MECHANIC_NOT_QUALIFIED only: CERT_MISSING, CERT_EXPIRED, CERT_SUSPENDED, CERT_REVOKED, TYPE_RATING_MISSING, SKILL_MISSING, SKILL_BELOW_MINIMUM, SKILL_EXPIRED or RECENCY_INSUFFICIENT.',
            }),
          ),
        }),
        {
          description:
            'One entry per invalid field; for MECHANIC_NOT_QUALIFIED one entry per missing qualification.',
        },
      ),
    ),
  },
  {
    $id: 'ErrorResponse',
    examples: [
      {
        error:
          'the window overlaps task 9b2e4c1a-… (2031-01-15T08:00:00Z – 2031-01-15T12:00:00Z) on this aircraft',
        code: 'conflict',
        reason: 'TASK_OVERLAP',
        request_id: 'b7e1c2d4-5f6a-4b8c-9d0e-1f2a3b4c5d6e',
      },
      {
        error: 'the request is invalid',
        code: 'validation',
        reason: 'VALIDATION_FAILED',
        request_id: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f',
        details: [{ field: 'body.end_time', message: 'must be after start_time' }],
      },
    ],
  },
);

/** Standard error responses for a route, referencing the shared envelope. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  const ref = Type.Unsafe<Static<typeof ErrorResponse>>(Type.Ref('ErrorResponse'));
  return Object.fromEntries(statuses.map((status) => [status, ref]));
}

/** Serialises a Date as RFC 3339 UTC with `Z` (null stays null). */
export const iso = <T extends Date | null>(value: T): T extends Date ? string : string | null =>
  (value === null ? null : value.toISOString()) as T extends Date ? string : string | null;

/** A UUID field with its own description (a schema's description is its OpenAPI text). */
export const uuidField = (description: string) =>
  Type.String({ format: 'uuid', description, examples: [EXAMPLE_UUID] });

/** An RFC 3339 timestamp field (UTC, with `Z`) with its own description. */
export const timestampField = (description: string) =>
  Type.String({
    format: 'date-time',
    description: `${description} RFC 3339, UTC.`,
    examples: [EXAMPLE_TIMESTAMP],
  });

/** `sort=field,-other` for a list that allows `fields`; the id always breaks ties. */
export const sortQuery = (fields: readonly string[]) =>
  Type.Optional(
    Type.String({
      pattern: `^-?(${fields.join('|')})(,-?(${fields.join('|')}))*$`,
      description: `Comma-separated sort keys among ${fields.join(', ')}; prefix - for descending. Ties are broken by id.`,
    }),
  );

/** Said in the description of every tenant-scoped operation. */
export const SCOPE_NOTE = 'Acts in your organization; an admin may name another with `?org_id=`.';

/** An RFC 3339 body or query value as a Date; undefined stays undefined and null (which clears a field) stays null. */
export function toDate(value: string): Date;
export function toDate(value: string | undefined): Date | undefined;
export function toDate(value: string | null | undefined): Date | null | undefined;
export function toDate(value: string | null | undefined): Date | null | undefined {
  return value === undefined || value === null ? value : new Date(value);
}
