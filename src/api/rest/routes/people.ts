import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { parseSort } from '../../../app/pagination.js';
import {
  CERTIFICATION_SORT_FIELDS,
  RECENCY_SORT_FIELDS,
  SKILL_SORT_FIELDS,
  TYPE_RATING_SORT_FIELDS,
  certificationView,
  recencyView,
  skillView,
  typeRatingView,
} from '../../../app/people.js';
import type { Services } from '../../../app/services.js';
import {
  CERTIFICATION_STATUSES,
  MAX_DOCUMENT_URL_LENGTH,
  MAX_PROFICIENCY,
  MAX_RECENCY_HOURS,
  MIN_PROFICIENCY,
} from '../../../domain/people.js';
import { actorOf, policy } from '../plugins/auth.js';
import { createdLocation, mutationContext } from '../context.js';
import { CursorQuery, pageFrom, sendPage } from '../pagination.js';
import { AircraftType } from '../schemas/reference-data.js';
import {
  errorResponses,
  OrgScopeQuery,
  PageQuery,
  SCOPE_NOTE,
  sortQuery,
  timestampField,
  toDate,
  Uuid,
  uuidField,
} from '../schemas/common.js';

const tags = ['people'];

const PEOPLE_NOTE = `${SCOPE_NOTE} The user must be a live user of the organization (404 USER_NOT_FOUND otherwise, also for another organization's user); a record id must be one of that user's live records (404).`;
const READ_NOTE = `${PEOPLE_NOTE} A mechanic reads only their own records (403 OWN_RECORDS_ONLY for anyone else's); schedulers, auditors and the organization's admins read everyone's.`;
const WRITE_NOTE = `${PEOPLE_NOTE} Managed by the organization's tenant_admin (and admins). Audited, with an event, in the same transaction.`;

const EXAMPLE_USER = '5b0d3c1e-7f2a-4c8d-9e6b-1a2f3c4d5e6f';
const EXAMPLE_ORG = '8c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const EXAMPLE_CERT = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
const EXAMPLE_TYPE = '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d';
const EXAMPLE_AIRCRAFT_TYPE = '6d5c4b3a-2f1e-4d0c-9b8a-7f6e5d4c3b2a';

const nullable = <T extends ReturnType<typeof Type.String>>(schema: T, description: string) =>
  Type.Union([schema, Type.Null()], { description });

const ExpiryDate = (what: string) =>
  nullable(
    timestampField(`When the ${what} expires.`),
    `When the ${what} expires (RFC 3339, UTC); null when it does not.`,
  );

const ExpiredField = Type.Boolean({
  description:
    'Derived at the time of the request, never stored: true when expiry_date lies before now. Expiring exactly now is still valid.',
});

const ScopeQuery = Type.Object(OrgScopeQuery, { additionalProperties: false });
const UserParams = Type.Object(
  { id: { ...Uuid, description: 'The user whose records these are.' } },
  { additionalProperties: false },
);
const UserIdParam = { ...Uuid, description: 'The user whose record this is.' };
const expiredQuery = Type.Optional(
  Type.Boolean({
    description:
      'true: only records whose expiry_date lies before now; false: only records valid now (or never expiring).',
  }),
);

const deleted = { 204: Type.Null({ description: 'Deleted.' }), ...errorResponses(400, 401, 403, 404, 409) };

// --- certifications -----------------------------------------------------------------------------

const CertificationStatus = Type.Enum(CERTIFICATION_STATUSES, {
  description:
    'active, suspended or revoked, as the authority set it. A revoked certification stays revoked (409 CERTIFICATION_REVOKED). Expiry is separate: see `expired`.',
});

const CertificateNumber = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '\\S',
  description: 'The number on the certificate, e.g. UK.66.12345.',
});

const DocumentUrl = nullable(
  Type.String({
    minLength: 1,
    maxLength: MAX_DOCUMENT_URL_LENGTH,
    description: 'An absolute http or https URL without credentials.',
  }),
  'Where a scan of the certificate is kept: an absolute http(s) URL (400 INVALID_DOCUMENT_URL otherwise), or null.',
);

const Verified = Type.Boolean({
  description:
    'true: you verified the certificate against the original; you are recorded as verified_by, now as verified_at (a system admin acting in another organization with ?org_id= too: verified_by is then a user of their own organization). false: withdraws the verification.',
});

const CERTIFICATION_EXAMPLE = {
  id: EXAMPLE_CERT,
  org_id: EXAMPLE_ORG,
  user_id: EXAMPLE_USER,
  certification_type_id: EXAMPLE_TYPE,
  certification_type: { authority: 'EASA', code: 'PART66-B1', name: 'Part-66 Category B1', expires: true },
  certificate_number: 'UK.66.12345',
  issue_date: '2029-03-01T00:00:00Z',
  expiry_date: '2034-03-01T00:00:00Z',
  expired: false,
  status: 'active',
  document_url: 'https://records.example.com/licences/UK.66.12345.pdf',
  verified: true,
  verified_by: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
  verified_at: '2031-01-15T08:00:00Z',
  created_at: '2031-01-15T08:00:00Z',
  updated_at: '2031-01-15T08:00:00Z',
};

const Certification = Type.Object(
  {
    id: uuidField('Certification id.'),
    org_id: uuidField('The organization.'),
    user_id: uuidField('The holder.'),
    certification_type_id: uuidField('The certification type (global or the organization’s own).'),
    certification_type: Type.Object(
      {
        authority: Type.String({ description: 'Issuing authority, e.g. EASA.' }),
        code: Type.String({ description: 'e.g. PART66-B1.' }),
        name: Type.String({ description: 'e.g. Part-66 Category B1.' }),
        expires: Type.Boolean({ description: 'Whether certificates of this type carry an expiry date.' }),
      },
      { additionalProperties: false, description: 'The type, for display.' },
    ),
    certificate_number: Type.String({ description: 'The number on the certificate.' }),
    issue_date: timestampField('When it was issued.'),
    expiry_date: ExpiryDate('certificate'),
    expired: ExpiredField,
    status: CertificationStatus,
    document_url: nullable(Type.String(), 'Where a scan of the certificate is kept, or null.'),
    verified: Type.Boolean({ description: 'Whether someone verified it against the original.' }),
    verified_by: nullable(uuidField('Who verified it.'), 'Who verified it, or null.'),
    verified_at: nullable(timestampField('When it was verified.'), 'When it was verified, or null.'),
    created_at: timestampField('When it was recorded.'),
    updated_at: timestampField('When it last changed.'),
  },
  {
    additionalProperties: false,
    description: 'A licence or certificate a person holds.',
    examples: [CERTIFICATION_EXAMPLE],
  },
);

const CreateCertificationBody = Type.Object(
  {
    certification_type_id: uuidField(
      'A global certification type or the organization’s own (another organization’s, or a deleted one, is 404 CERTIFICATION_TYPE_NOT_FOUND).',
    ),
    certificate_number: CertificateNumber,
    issue_date: timestampField('When it was issued; not in the future (400 ISSUE_DATE_IN_FUTURE).'),
    expiry_date: Type.Optional(
      nullable(
        timestampField('When it expires.'),
        'Required when the type expires (400 EXPIRY_DATE_REQUIRED); must be null or absent when it does not (400 EXPIRY_DATE_NOT_ALLOWED); after issue_date (400 EXPIRY_NOT_AFTER_ISSUE).',
      ),
    ),
    status: Type.Optional(CertificationStatus),
    document_url: Type.Optional(DocumentUrl),
    verified: Type.Optional(Verified),
  },
  {
    additionalProperties: false,
    description: 'A certification to record; active unless said otherwise.',
    examples: [
      {
        certification_type_id: EXAMPLE_TYPE,
        certificate_number: 'UK.66.12345',
        issue_date: '2029-03-01T00:00:00Z',
        expiry_date: '2034-03-01T00:00:00Z',
        document_url: 'https://records.example.com/licences/UK.66.12345.pdf',
        verified: true,
      },
    ],
  },
);

const UpdateCertificationBody = Type.Object(
  {
    certificate_number: Type.Optional(CertificateNumber),
    issue_date: Type.Optional(timestampField('When it was issued; not in the future.')),
    expiry_date: Type.Optional(
      nullable(
        timestampField('When it expires.'),
        'Checked against the type and issue_date like on creation.',
      ),
    ),
    status: Type.Optional(CertificationStatus),
    document_url: Type.Optional(DocumentUrl),
    verified: Type.Optional(Verified),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description:
      'The fields to change. The type cannot change (a different licence is a new certification). Changing the number, dates or document withdraws an earlier verification unless `verified: true` comes with it. A status change is audited with the old and new status.',
    examples: [{ status: 'suspended' }, { expiry_date: '2036-03-01T00:00:00Z', verified: true }],
  },
);

const CertificationListQuery = Type.Object(
  {
    ...PageQuery,
    ...CursorQuery,
    ...OrgScopeQuery,
    status: Type.Optional(CertificationStatus),
    expired: expiredQuery,
    certification_type_id: Type.Optional(uuidField('Only certifications of this type.')),
    sort: sortQuery(CERTIFICATION_SORT_FIELDS),
  },
  { additionalProperties: false },
);

// --- type ratings -------------------------------------------------------------------------------

const TYPE_RATING_EXAMPLE = {
  id: '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
  org_id: EXAMPLE_ORG,
  user_id: EXAMPLE_USER,
  aircraft_type_id: EXAMPLE_AIRCRAFT_TYPE,
  aircraft_type: { id: EXAMPLE_AIRCRAFT_TYPE, designator: 'A320', manufacturer: 'Airbus', model: 'A320' },
  certification_id: EXAMPLE_CERT,
  endorsed_date: '2029-06-01T00:00:00Z',
  expiry_date: null,
  expired: false,
  created_at: '2031-01-15T08:00:00Z',
  updated_at: '2031-01-15T08:00:00Z',
};

const TypeRating = Type.Object(
  {
    id: uuidField('Type rating id.'),
    org_id: uuidField('The organization.'),
    user_id: uuidField('The holder.'),
    aircraft_type_id: uuidField('The aircraft type endorsed.'),
    aircraft_type: AircraftType,
    certification_id: uuidField('The holder’s own certification that carries the endorsement.'),
    endorsed_date: timestampField('When it was endorsed.'),
    expiry_date: ExpiryDate('rating'),
    expired: ExpiredField,
    created_at: timestampField('When it was recorded.'),
    updated_at: timestampField('When it last changed.'),
  },
  {
    additionalProperties: false,
    description: 'An aircraft type endorsement on one of the holder’s certifications.',
    examples: [TYPE_RATING_EXAMPLE],
  },
);

const CertificationId = uuidField(
  "A live, not revoked certification of this same user (another user's, or a deleted one, is 404 CERTIFICATION_NOT_FOUND; a revoked one 409 CERTIFICATION_REVOKED).",
);
const AircraftTypeId = uuidField('An aircraft type (404 AIRCRAFT_TYPE_NOT_FOUND otherwise).');
const EndorsedDate = timestampField('When it was endorsed; not in the future (400 DATE_IN_FUTURE).');
const RatingExpiry = nullable(
  timestampField('When it expires.'),
  'When it expires, after endorsed_date (400 EXPIRY_NOT_AFTER_START); null when it does not.',
);

const CreateTypeRatingBody = Type.Object(
  {
    aircraft_type_id: AircraftTypeId,
    certification_id: CertificationId,
    endorsed_date: EndorsedDate,
    expiry_date: Type.Optional(RatingExpiry),
  },
  {
    additionalProperties: false,
    description:
      'A type rating to record; one live rating per aircraft type and user (409 TYPE_RATING_DUPLICATE).',
    examples: [
      {
        aircraft_type_id: EXAMPLE_AIRCRAFT_TYPE,
        certification_id: EXAMPLE_CERT,
        endorsed_date: '2029-06-01T00:00:00Z',
      },
    ],
  },
);

const UpdateTypeRatingBody = Type.Object(
  {
    aircraft_type_id: Type.Optional(AircraftTypeId),
    certification_id: Type.Optional(CertificationId),
    endorsed_date: Type.Optional(EndorsedDate),
    expiry_date: Type.Optional(RatingExpiry),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description: 'The fields to change, checked like on creation.',
    examples: [{ expiry_date: '2033-06-01T00:00:00Z' }],
  },
);

const TypeRatingListQuery = Type.Object(
  {
    ...PageQuery,
    ...CursorQuery,
    ...OrgScopeQuery,
    aircraft_type_id: Type.Optional(uuidField('Only ratings on this aircraft type.')),
    certification_id: Type.Optional(uuidField('Only ratings carried by this certification.')),
    expired: expiredQuery,
    sort: sortQuery(TYPE_RATING_SORT_FIELDS),
  },
  { additionalProperties: false },
);

// --- skills -------------------------------------------------------------------------------------

const Proficiency = Type.Integer({
  minimum: MIN_PROFICIENCY,
  maximum: MAX_PROFICIENCY,
  description: `${MIN_PROFICIENCY} (trainee) to ${MAX_PROFICIENCY} (expert).`,
});
const Qualified = Type.Boolean({
  description: 'Whether the person is qualified to do the work unsupervised (default true).',
});
const SkillExpiry = nullable(
  timestampField('When it expires.'),
  'When the skill lapses (RFC 3339, UTC); null when it does not.',
);

const Skill = Type.Object(
  {
    id: uuidField('Skill id.'),
    org_id: uuidField('The organization.'),
    user_id: uuidField('The holder.'),
    skill_type_id: uuidField('The skill type (global or the organization’s own).'),
    skill_type: Type.Object(
      {
        code: Type.String({ description: 'e.g. NDT-ET.' }),
        name: Type.String({ description: 'e.g. Eddy current testing.' }),
        category: Type.String({ description: 'e.g. NDT.' }),
      },
      { additionalProperties: false, description: 'The type, for display.' },
    ),
    proficiency: Proficiency,
    qualified: Qualified,
    expiry_date: ExpiryDate('skill'),
    expired: ExpiredField,
    created_at: timestampField('When it was recorded.'),
    updated_at: timestampField('When it last changed.'),
  },
  {
    additionalProperties: false,
    description: 'A skill a person holds.',
    examples: [
      {
        id: '3e4f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b',
        org_id: EXAMPLE_ORG,
        user_id: EXAMPLE_USER,
        skill_type_id: '4f5a6b7c-8d9e-4f0a-9b1c-2d3e4f5a6b7c',
        skill_type: { code: 'NDT-ET', name: 'Eddy current testing', category: 'NDT' },
        proficiency: 4,
        qualified: true,
        expiry_date: '2032-12-31T00:00:00Z',
        expired: false,
        created_at: '2031-01-15T08:00:00Z',
        updated_at: '2031-01-15T08:00:00Z',
      },
    ],
  },
);

const CreateSkillBody = Type.Object(
  {
    skill_type_id: uuidField(
      'A global skill type or the organization’s own (another organization’s, or a deleted one, is 404 SKILL_TYPE_NOT_FOUND).',
    ),
    proficiency: Proficiency,
    qualified: Type.Optional(Qualified),
    expiry_date: Type.Optional(SkillExpiry),
  },
  {
    additionalProperties: false,
    description: 'A skill to record; one live skill per type and user (409 SKILL_DUPLICATE).',
    examples: [
      {
        skill_type_id: '4f5a6b7c-8d9e-4f0a-9b1c-2d3e4f5a6b7c',
        proficiency: 4,
        expiry_date: '2032-12-31T00:00:00Z',
      },
    ],
  },
);

const UpdateSkillBody = Type.Object(
  {
    proficiency: Type.Optional(Proficiency),
    qualified: Type.Optional(Qualified),
    expiry_date: Type.Optional(SkillExpiry),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description: 'The fields to change; the type cannot change (a different skill is a new record).',
    examples: [{ proficiency: 5 }],
  },
);

const SkillListQuery = Type.Object(
  {
    ...PageQuery,
    ...CursorQuery,
    ...OrgScopeQuery,
    skill_type_id: Type.Optional(uuidField('Only skills of this type.')),
    qualified: Type.Optional(Type.Boolean({ description: 'Only skills with this qualified flag.' })),
    expired: expiredQuery,
    sort: sortQuery(SKILL_SORT_FIELDS),
  },
  { additionalProperties: false },
);

// --- recency ------------------------------------------------------------------------------------

const Hours = Type.Number({
  exclusiveMinimum: 0,
  maximum: MAX_RECENCY_HOURS,
  description: `Hours worked on the type: more than 0, at most ${MAX_RECENCY_HOURS}, two decimals (400 RECENCY_HOURS_PRECISION).`,
});
const PerformedAt = timestampField('When the work was done; not in the future (400 PERFORMED_AT_IN_FUTURE).');
const Notes = nullable(
  Type.String({ maxLength: 2000, description: 'Free text, e.g. where the work was done.' }),
  'Free text, e.g. where the work was done; blank or null clears it.',
);

const Recency = Type.Object(
  {
    id: uuidField('Recency entry id.'),
    org_id: uuidField('The organization.'),
    user_id: uuidField('Who did the work.'),
    aircraft_type_id: uuidField('The aircraft type worked on.'),
    aircraft_type: AircraftType,
    hours: Type.Number({ description: 'Hours worked.' }),
    performed_at: timestampField('When the work was done.'),
    task_id: nullable(
      uuidField('The completed task it came from.'),
      'The completed task it came from, or null for a manual entry.',
    ),
    source: Type.Enum(['task', 'manual'] as const, {
      description: 'task: written when a task completed (read-only); manual: entered by a person.',
    }),
    notes: nullable(Type.String(), 'Free text, or null.'),
    created_by: nullable(
      uuidField('Who entered it.'),
      'Who entered it (a system admin acting with ?org_id= is a user of their own organization); null for an entry a completed task or a job wrote.',
    ),
    created_at: timestampField('When it was recorded.'),
    updated_at: timestampField('When it last changed.'),
  },
  {
    additionalProperties: false,
    description:
      'Hours a person worked on an aircraft type; the qualification check sums them over a window.',
    examples: [
      {
        id: '7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d',
        org_id: EXAMPLE_ORG,
        user_id: EXAMPLE_USER,
        aircraft_type_id: EXAMPLE_AIRCRAFT_TYPE,
        aircraft_type: {
          id: EXAMPLE_AIRCRAFT_TYPE,
          designator: 'A320',
          manufacturer: 'Airbus',
          model: 'A320',
        },
        hours: 6.5,
        performed_at: '2031-01-10T14:00:00Z',
        task_id: null,
        source: 'manual',
        notes: 'C-check at a partner MRO',
        created_by: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
        created_at: '2031-01-15T08:00:00Z',
        updated_at: '2031-01-15T08:00:00Z',
      },
    ],
  },
);

const CreateRecencyBody = Type.Object(
  {
    aircraft_type_id: AircraftTypeId,
    hours: Hours,
    performed_at: PerformedAt,
    notes: Type.Optional(Notes),
  },
  {
    additionalProperties: false,
    description: 'Hours to log by hand (work done elsewhere); completed tasks log their own.',
    examples: [
      {
        aircraft_type_id: EXAMPLE_AIRCRAFT_TYPE,
        hours: 6.5,
        performed_at: '2031-01-10T14:00:00Z',
        notes: 'C-check at a partner MRO',
      },
    ],
  },
);

const UpdateRecencyBody = Type.Object(
  {
    aircraft_type_id: Type.Optional(AircraftTypeId),
    hours: Type.Optional(Hours),
    performed_at: Type.Optional(PerformedAt),
    notes: Type.Optional(Notes),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description: 'The fields of a manual entry to change; an entry from a task is 409 RECENCY_FROM_TASK.',
    examples: [{ hours: 7 }],
  },
);

const RecencyListQuery = Type.Object(
  {
    ...PageQuery,
    ...CursorQuery,
    ...OrgScopeQuery,
    aircraft_type_id: Type.Optional(uuidField('Only hours on this aircraft type.')),
    from: Type.Optional(timestampField('Only work performed at or after this time.')),
    to: Type.Optional(
      timestampField('Only work performed before this time; must be after from (400 INVALID_TIME_RANGE).'),
    ),
    source: Type.Optional(
      Type.Enum(['task', 'manual'] as const, {
        description: 'task: only entries from tasks; manual: only hand-entered ones.',
      }),
    ),
    sort: sortQuery(RECENCY_SORT_FIELDS),
  },
  { additionalProperties: false },
);

// --- routes -------------------------------------------------------------------------------------

const CertificationParams = Type.Object(
  { id: UserIdParam, certificationId: { ...Uuid, description: 'The certification.' } },
  { additionalProperties: false },
);
const TypeRatingParams = Type.Object(
  { id: UserIdParam, typeRatingId: { ...Uuid, description: 'The type rating.' } },
  { additionalProperties: false },
);
const SkillParams = Type.Object(
  { id: UserIdParam, skillId: { ...Uuid, description: 'The skill.' } },
  { additionalProperties: false },
);
const RecencyParams = Type.Object(
  { id: UserIdParam, recencyId: { ...Uuid, description: 'The recency entry.' } },
  { additionalProperties: false },
);

/**
 * `/users/{id}/certifications`, `/type-ratings`, `/skills` and `/recency`: the people records the
 * qualification check reads.
 */
export const peopleRoutes =
  ({ people }: Services) =>
  async (instance: FastifyInstance): Promise<void> => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    // --- certifications ---

    app.get(
      '/users/:id/certifications',
      {
        config: policy('people', 'read'),
        schema: {
          tags,
          summary: "List a user's certifications",
          description: `${READ_NOTE} Sorted by expiry_date (soonest first, never-expiring last) unless \`sort\` says otherwise; paginated with \`Link: <…>; rel="next"\`.`,
          params: UserParams,
          querystring: CertificationListQuery,
          response: { 200: Type.Array(Certification), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const {
          org_id: orgId,
          status,
          expired,
          certification_type_id: certificationTypeId,
          sort,
        } = request.query;
        const page = pageFrom(request.query);
        const keys = parseSort(sort, CERTIFICATION_SORT_FIELDS, [{ field: 'expiry_date', direction: 'asc' }]);
        const result = await people.listCertifications(
          actorOf(request),
          request.params.id,
          { orgId, status, expired, certificationTypeId },
          keys,
          page,
        );
        const now = new Date();
        return sendPage(request, reply, page, result, (c) => certificationView(c, now));
      },
    );

    app.get(
      '/users/:id/certifications/:certificationId',
      {
        config: policy('people', 'read'),
        schema: {
          tags,
          summary: 'Get a certification',
          description: READ_NOTE,
          params: CertificationParams,
          querystring: ScopeQuery,
          response: { 200: Certification, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        certificationView(
          await people.getCertification(actorOf(request), request.params.id, request.params.certificationId, {
            orgId: request.query.org_id,
          }),
        ),
    );

    app.post(
      '/users/:id/certifications',
      {
        config: policy('people', 'create'),
        schema: {
          tags,
          summary: 'Record a certification',
          description: `${WRITE_NOTE} One live certification per user and type (409 CERTIFICATION_DUPLICATE). Emits certification_created.`,
          params: UserParams,
          querystring: ScopeQuery,
          body: CreateCertificationBody,
          response: { 201: Certification, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const created = await people.createCertification(
          mutationContext(request),
          request.params.id,
          {
            certificationTypeId: body.certification_type_id,
            certificateNumber: body.certificate_number,
            issueDate: toDate(body.issue_date),
            expiryDate: toDate(body.expiry_date),
            status: body.status,
            documentUrl: body.document_url,
            verified: body.verified,
          },
          { orgId: request.query.org_id },
        );
        return reply
          .code(201)
          .header('Location', createdLocation(request, created.id))
          .send(certificationView(created));
      },
    );

    app.patch(
      '/users/:id/certifications/:certificationId',
      {
        config: policy('people', 'update'),
        schema: {
          tags,
          summary: 'Change a certification',
          description: `${WRITE_NOTE} Suspending or revoking is a status change, audited as a state change with the previous and new status; a revoked certification cannot become active or suspended again (409 CERTIFICATION_REVOKED). Emits certification_updated.`,
          params: CertificationParams,
          querystring: ScopeQuery,
          body: UpdateCertificationBody,
          response: { 200: Certification, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const body = request.body;
        return certificationView(
          await people.updateCertification(
            mutationContext(request),
            request.params.id,
            request.params.certificationId,
            {
              certificateNumber: body.certificate_number,
              issueDate: toDate(body.issue_date),
              expiryDate: toDate(body.expiry_date),
              status: body.status,
              documentUrl: body.document_url,
              verified: body.verified,
            },
            { orgId: request.query.org_id },
          ),
        );
      },
    );

    app.delete(
      '/users/:id/certifications/:certificationId',
      {
        config: policy('people', 'delete'),
        schema: {
          tags,
          summary: 'Delete a certification',
          description: `${WRITE_NOTE} Soft delete. Refused with 409 CERTIFICATION_HAS_TYPE_RATINGS while live type ratings are carried by it: delete or move them first. Emits certification_deleted.`,
          params: CertificationParams,
          querystring: ScopeQuery,
          response: deleted,
        },
      },
      async (request, reply) => {
        await people.deleteCertification(
          mutationContext(request),
          request.params.id,
          request.params.certificationId,
          {
            orgId: request.query.org_id,
          },
        );
        return reply.code(204).send(null);
      },
    );

    // --- type ratings ---

    app.get(
      '/users/:id/type-ratings',
      {
        config: policy('people', 'read'),
        schema: {
          tags,
          summary: "List a user's type ratings",
          description: `${READ_NOTE} Sorted by endorsed_date unless \`sort\` says otherwise; paginated with \`Link: <…>; rel="next"\`.`,
          params: UserParams,
          querystring: TypeRatingListQuery,
          response: { 200: Type.Array(TypeRating), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const page = pageFrom(q);
        const keys = parseSort(q.sort, TYPE_RATING_SORT_FIELDS, [
          { field: 'endorsed_date', direction: 'asc' },
        ]);
        const result = await people.listTypeRatings(
          actorOf(request),
          request.params.id,
          {
            orgId: q.org_id,
            aircraftTypeId: q.aircraft_type_id,
            certificationId: q.certification_id,
            expired: q.expired,
          },
          keys,
          page,
        );
        const now = new Date();
        return sendPage(request, reply, page, result, (r) => typeRatingView(r, now));
      },
    );

    app.get(
      '/users/:id/type-ratings/:typeRatingId',
      {
        config: policy('people', 'read'),
        schema: {
          tags,
          summary: 'Get a type rating',
          description: READ_NOTE,
          params: TypeRatingParams,
          querystring: ScopeQuery,
          response: { 200: TypeRating, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        typeRatingView(
          await people.getTypeRating(actorOf(request), request.params.id, request.params.typeRatingId, {
            orgId: request.query.org_id,
          }),
        ),
    );

    app.post(
      '/users/:id/type-ratings',
      {
        config: policy('people', 'create'),
        schema: {
          tags,
          summary: 'Record a type rating',
          description: `${WRITE_NOTE} Emits type_rating_created.`,
          params: UserParams,
          querystring: ScopeQuery,
          body: CreateTypeRatingBody,
          response: { 201: TypeRating, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const created = await people.createTypeRating(
          mutationContext(request),
          request.params.id,
          {
            aircraftTypeId: body.aircraft_type_id,
            certificationId: body.certification_id,
            endorsedDate: toDate(body.endorsed_date),
            expiryDate: toDate(body.expiry_date),
          },
          { orgId: request.query.org_id },
        );
        return reply
          .code(201)
          .header('Location', createdLocation(request, created.id))
          .send(typeRatingView(created));
      },
    );

    app.patch(
      '/users/:id/type-ratings/:typeRatingId',
      {
        config: policy('people', 'update'),
        schema: {
          tags,
          summary: 'Change a type rating',
          description: `${WRITE_NOTE} Emits type_rating_updated.`,
          params: TypeRatingParams,
          querystring: ScopeQuery,
          body: UpdateTypeRatingBody,
          response: { 200: TypeRating, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const body = request.body;
        return typeRatingView(
          await people.updateTypeRating(
            mutationContext(request),
            request.params.id,
            request.params.typeRatingId,
            {
              aircraftTypeId: body.aircraft_type_id,
              certificationId: body.certification_id,
              endorsedDate: toDate(body.endorsed_date),
              expiryDate: toDate(body.expiry_date),
            },
            { orgId: request.query.org_id },
          ),
        );
      },
    );

    app.delete(
      '/users/:id/type-ratings/:typeRatingId',
      {
        config: policy('people', 'delete'),
        schema: {
          tags,
          summary: 'Delete a type rating',
          description: `${WRITE_NOTE} Soft delete. Emits type_rating_deleted.`,
          params: TypeRatingParams,
          querystring: ScopeQuery,
          response: deleted,
        },
      },
      async (request, reply) => {
        await people.deleteTypeRating(
          mutationContext(request),
          request.params.id,
          request.params.typeRatingId,
          {
            orgId: request.query.org_id,
          },
        );
        return reply.code(204).send(null);
      },
    );

    // --- skills ---

    app.get(
      '/users/:id/skills',
      {
        config: policy('people', 'read'),
        schema: {
          tags,
          summary: "List a user's skills",
          description: `${READ_NOTE} Sorted by created_at unless \`sort\` says otherwise; paginated with \`Link: <…>; rel="next"\`.`,
          params: UserParams,
          querystring: SkillListQuery,
          response: { 200: Type.Array(Skill), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const page = pageFrom(q);
        const keys = parseSort(q.sort, SKILL_SORT_FIELDS, [{ field: 'created_at', direction: 'asc' }]);
        const result = await people.listSkills(
          actorOf(request),
          request.params.id,
          { orgId: q.org_id, skillTypeId: q.skill_type_id, qualified: q.qualified, expired: q.expired },
          keys,
          page,
        );
        const now = new Date();
        return sendPage(request, reply, page, result, (s) => skillView(s, now));
      },
    );

    app.get(
      '/users/:id/skills/:skillId',
      {
        config: policy('people', 'read'),
        schema: {
          tags,
          summary: 'Get a skill',
          description: READ_NOTE,
          params: SkillParams,
          querystring: ScopeQuery,
          response: { 200: Skill, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        skillView(
          await people.getSkill(actorOf(request), request.params.id, request.params.skillId, {
            orgId: request.query.org_id,
          }),
        ),
    );

    app.post(
      '/users/:id/skills',
      {
        config: policy('people', 'create'),
        schema: {
          tags,
          summary: 'Record a skill',
          description: `${WRITE_NOTE} Emits skill_created.`,
          params: UserParams,
          querystring: ScopeQuery,
          body: CreateSkillBody,
          response: { 201: Skill, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const created = await people.createSkill(
          mutationContext(request),
          request.params.id,
          {
            skillTypeId: body.skill_type_id,
            proficiency: body.proficiency,
            qualified: body.qualified,
            expiryDate: toDate(body.expiry_date),
          },
          { orgId: request.query.org_id },
        );
        return reply
          .code(201)
          .header('Location', createdLocation(request, created.id))
          .send(skillView(created));
      },
    );

    app.patch(
      '/users/:id/skills/:skillId',
      {
        config: policy('people', 'update'),
        schema: {
          tags,
          summary: 'Change a skill',
          description: `${WRITE_NOTE} Emits skill_updated.`,
          params: SkillParams,
          querystring: ScopeQuery,
          body: UpdateSkillBody,
          response: { 200: Skill, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const body = request.body;
        return skillView(
          await people.updateSkill(
            mutationContext(request),
            request.params.id,
            request.params.skillId,
            {
              proficiency: body.proficiency,
              qualified: body.qualified,
              expiryDate: toDate(body.expiry_date),
            },
            { orgId: request.query.org_id },
          ),
        );
      },
    );

    app.delete(
      '/users/:id/skills/:skillId',
      {
        config: policy('people', 'delete'),
        schema: {
          tags,
          summary: 'Delete a skill',
          description: `${WRITE_NOTE} Soft delete. Emits skill_deleted.`,
          params: SkillParams,
          querystring: ScopeQuery,
          response: deleted,
        },
      },
      async (request, reply) => {
        await people.deleteSkill(mutationContext(request), request.params.id, request.params.skillId, {
          orgId: request.query.org_id,
        });
        return reply.code(204).send(null);
      },
    );

    // --- recency ---

    app.get(
      '/users/:id/recency',
      {
        config: policy('people', 'read'),
        schema: {
          tags,
          summary: "List a user's logged hours",
          description: `${READ_NOTE} Latest first unless \`sort\` says otherwise; \`from\`/\`to\` bound performed_at as [from, to); paginated with \`Link: <…>; rel="next"\`.`,
          params: UserParams,
          querystring: RecencyListQuery,
          response: { 200: Type.Array(Recency), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const page = pageFrom(q);
        const keys = parseSort(q.sort, RECENCY_SORT_FIELDS, [{ field: 'performed_at', direction: 'desc' }]);
        const result = await people.listRecency(
          actorOf(request),
          request.params.id,
          {
            orgId: q.org_id,
            aircraftTypeId: q.aircraft_type_id,
            from: toDate(q.from),
            to: toDate(q.to),
            source: q.source,
          },
          keys,
          page,
        );
        return sendPage(request, reply, page, result, recencyView);
      },
    );

    app.get(
      '/users/:id/recency/:recencyId',
      {
        config: policy('people', 'read'),
        schema: {
          tags,
          summary: 'Get a recency entry',
          description: READ_NOTE,
          params: RecencyParams,
          querystring: ScopeQuery,
          response: { 200: Recency, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        recencyView(
          await people.getRecency(actorOf(request), request.params.id, request.params.recencyId, {
            orgId: request.query.org_id,
          }),
        ),
    );

    app.post(
      '/users/:id/recency',
      {
        config: policy('people', 'create'),
        schema: {
          tags,
          summary: 'Log hours',
          description: `${WRITE_NOTE} For work done elsewhere or outside a task; a completed task logs its mechanic's hours itself. You are recorded as created_by. Emits recency_logged.`,
          params: UserParams,
          querystring: ScopeQuery,
          body: CreateRecencyBody,
          response: { 201: Recency, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const created = await people.logRecency(
          mutationContext(request),
          request.params.id,
          {
            aircraftTypeId: body.aircraft_type_id,
            hours: body.hours,
            performedAt: toDate(body.performed_at),
            notes: body.notes,
          },
          { orgId: request.query.org_id },
        );
        return reply
          .code(201)
          .header('Location', createdLocation(request, created.id))
          .send(recencyView(created));
      },
    );

    app.patch(
      '/users/:id/recency/:recencyId',
      {
        config: policy('people', 'update'),
        schema: {
          tags,
          summary: 'Change logged hours',
          description: `${WRITE_NOTE} Manual entries only: an entry written by a completed task is that task's record (409 RECENCY_FROM_TASK). Emits recency_updated.`,
          params: RecencyParams,
          querystring: ScopeQuery,
          body: UpdateRecencyBody,
          response: { 200: Recency, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const body = request.body;
        return recencyView(
          await people.updateRecency(
            mutationContext(request),
            request.params.id,
            request.params.recencyId,
            {
              aircraftTypeId: body.aircraft_type_id,
              hours: body.hours,
              performedAt: toDate(body.performed_at),
              notes: body.notes,
            },
            { orgId: request.query.org_id },
          ),
        );
      },
    );

    app.delete(
      '/users/:id/recency/:recencyId',
      {
        config: policy('people', 'delete'),
        schema: {
          tags,
          summary: 'Delete logged hours',
          description: `${WRITE_NOTE} Soft delete of a manual entry; an entry from a task is 409 RECENCY_FROM_TASK. Emits recency_deleted.`,
          params: RecencyParams,
          querystring: ScopeQuery,
          response: deleted,
        },
      },
      async (request, reply) => {
        await people.deleteRecency(mutationContext(request), request.params.id, request.params.recencyId, {
          orgId: request.query.org_id,
        });
        return reply.code(204).send(null);
      },
    );
  };
