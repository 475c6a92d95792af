import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { parseSort } from '../../../app/pagination.js';
import {
  AIRCRAFT_TYPE_SORT_FIELDS,
  CERTIFICATION_TYPE_SORT_FIELDS,
  SKILL_TYPE_SORT_FIELDS,
  aircraftTypeView,
  certificationTypeView,
  skillTypeView,
} from '../../../app/reference-data.js';
import type { Services } from '../../../app/services.js';
import { createdLocation, mutationContext } from '../context.js';
import { AircraftType } from '../schemas/reference-data.js';
import { CursorQuery, pageFrom, sendPage } from '../pagination.js';
import { actorOf, policy } from '../plugins/auth.js';
import {
  errorResponses,
  IdParams,
  OrgScopeQuery,
  PageQuery,
  SCOPE_NOTE,
  sortQuery,
  timestampField,
  uuidField,
} from '../schemas/common.js';

const tags = ['reference data'];
const Deleted = Type.Null({ description: 'Deleted.' });

const GLOBAL_NOTE =
  'Global rows (org_id null, seeded with AMSS and shared by every organization) cannot be changed or deleted through the API: 403 GLOBAL_TYPE_READ_ONLY. Another organization’s type answers 404, as one that does not exist.';

const text = (maxLength: number, description: string, examples: string[]) =>
  Type.String({ minLength: 1, maxLength, pattern: '\\S', description, examples });

const Description = Type.Union([Type.String({ maxLength: 2000, description: 'Free text.' }), Type.Null()], {
  description: 'What the type covers; null or empty for none.',
});

// -- aircraft types ------------------------------------------------------------------------

const AircraftTypeListQuery = Type.Object(
  {
    ...PageQuery,
    ...CursorQuery,
    manufacturer: Type.Optional(
      text(100, 'Only types of this manufacturer (exact, regardless of case), e.g. Boeing.', ['Boeing']),
    ),
    q: Type.Optional(
      text(100, 'Only types whose designator or model contains this text, regardless of case.', ['737']),
    ),
    sort: sortQuery(AIRCRAFT_TYPE_SORT_FIELDS),
  },
  { additionalProperties: false },
);

// -- certification types -------------------------------------------------------------------

const CertificationType = Type.Object(
  {
    id: uuidField('Certification type id.'),
    org_id: Type.Union([uuidField('The organization that added it.'), Type.Null()], {
      description: 'null for a global type; else the organization that added it.',
    }),
    global: Type.Boolean({ description: 'True for global reference data (read-only through the API).' }),
    authority: Type.String({ description: 'Issuing authority, e.g. FAA, EASA, UK CAA, ECAA.' }),
    code: Type.String({ description: 'Code, unique per authority, e.g. PART66-B1 or A&P.' }),
    name: Type.String({ description: 'Name, e.g. Part-66 Category B1.' }),
    description: Type.Union([Type.String(), Type.Null()], { description: 'What it covers, if said.' }),
    expires: Type.Boolean({ description: 'Whether certificates of this type carry an expiry date.' }),
    confers_certifying: Type.Boolean({
      description: 'Whether holding it lets a person certify (sign off) work.',
    }),
    confers_inspection: Type.Boolean({
      description: 'Whether holding it lets a person perform an independent inspection.',
    }),
    created_at: timestampField('When the type was added.'),
    updated_at: timestampField('When the type last changed.'),
  },
  {
    additionalProperties: false,
    description: 'A kind of licence or certificate: global, or the organization’s own.',
    examples: [
      {
        id: '7d1f0a3b-2c4e-4f6a-9b8c-1d2e3f4a5b6c',
        org_id: null,
        global: true,
        authority: 'EASA',
        code: 'PART66-B1',
        name: 'Part-66 Category B1',
        description: 'Mechanical: airframe, engines, electrical',
        expires: true,
        confers_certifying: true,
        confers_inspection: true,
        created_at: '2031-01-15T08:00:00Z',
        updated_at: '2031-01-15T08:00:00Z',
      },
    ],
  },
);

const CertificationTypeListQuery = Type.Object(
  {
    ...PageQuery,
    ...CursorQuery,
    ...OrgScopeQuery,
    authority: Type.Optional(text(50, 'Only types of this authority (exact, regardless of case).', ['EASA'])),
    confers_certifying: Type.Optional(
      Type.Boolean({
        description: 'true: only types that let a person certify work; false: only the others.',
      }),
    ),
    confers_inspection: Type.Optional(
      Type.Boolean({
        description: 'true: only types that confer inspection authority; false: only the others.',
      }),
    ),
    q: Type.Optional(
      text(100, 'Only types whose code or name contains this text, regardless of case.', ['B1']),
    ),
    sort: sortQuery(CERTIFICATION_TYPE_SORT_FIELDS),
  },
  { additionalProperties: false },
);

const certificationTypeFields = {
  authority: text(50, 'Issuing authority, e.g. FAA, EASA or your company (stored with single spaces).', [
    'COMPANY',
  ]),
  code: text(50, 'Code, unique among the types of the same authority you can see (stored upper-case).', [
    'AUTH-ENG-RUN',
  ]),
  name: text(200, 'Name.', ['Company engine run authorization']),
  description: Description,
  expires: Type.Boolean({
    description: 'Whether certificates of this type carry an expiry date (default true).',
  }),
  confers_certifying: Type.Boolean({
    description: 'Whether holding it lets a person certify (sign off) work (default false).',
  }),
  confers_inspection: Type.Boolean({
    description: 'Whether holding it lets a person perform an independent inspection (default false).',
  }),
};

const CreateCertificationTypeBody = Type.Object(
  {
    authority: certificationTypeFields.authority,
    code: certificationTypeFields.code,
    name: certificationTypeFields.name,
    description: Type.Optional(certificationTypeFields.description),
    expires: Type.Optional(certificationTypeFields.expires),
    confers_certifying: Type.Optional(certificationTypeFields.confers_certifying),
    confers_inspection: Type.Optional(certificationTypeFields.confers_inspection),
  },
  {
    additionalProperties: false,
    description: 'The organization’s own certification type.',
    examples: [
      {
        authority: 'COMPANY',
        code: 'AUTH-ENG-RUN',
        name: 'Company engine run authorization',
        expires: true,
        confers_certifying: false,
        confers_inspection: false,
      },
    ],
  },
);

const UpdateCertificationTypeBody = Type.Object(
  {
    authority: Type.Optional(certificationTypeFields.authority),
    code: Type.Optional(certificationTypeFields.code),
    name: Type.Optional(certificationTypeFields.name),
    description: Type.Optional(certificationTypeFields.description),
    expires: Type.Optional(certificationTypeFields.expires),
    confers_certifying: Type.Optional(certificationTypeFields.confers_certifying),
    confers_inspection: Type.Optional(certificationTypeFields.confers_inspection),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description: 'The fields to change; null clears the description.',
    examples: [{ name: 'Company engine run and taxi authorization', confers_certifying: true }],
  },
);

// -- skill types ---------------------------------------------------------------------------

const SkillType = Type.Object(
  {
    id: uuidField('Skill type id.'),
    org_id: Type.Union([uuidField('The organization that added it.'), Type.Null()], {
      description: 'null for a global type; else the organization that added it.',
    }),
    global: Type.Boolean({ description: 'True for global reference data (read-only through the API).' }),
    code: Type.String({ description: 'Code, unique among the types an organization sees, e.g. NDT-UT.' }),
    name: Type.String({ description: 'Name, e.g. Ultrasonic testing.' }),
    category: Type.String({ description: 'Category, e.g. NDT, Avionics, Structures.' }),
    description: Type.Union([Type.String(), Type.Null()], { description: 'What it covers, if said.' }),
    created_at: timestampField('When the type was added.'),
    updated_at: timestampField('When the type last changed.'),
  },
  {
    additionalProperties: false,
    description: 'A kind of skill: global, or the organization’s own.',
    examples: [
      {
        id: '9e2a1b4c-3d5f-4a7b-8c9d-2e3f4a5b6c7d',
        org_id: null,
        global: true,
        code: 'NDT-UT',
        name: 'Ultrasonic testing',
        category: 'NDT',
        description: null,
        created_at: '2031-01-15T08:00:00Z',
        updated_at: '2031-01-15T08:00:00Z',
      },
    ],
  },
);

const SkillTypeListQuery = Type.Object(
  {
    ...PageQuery,
    ...CursorQuery,
    ...OrgScopeQuery,
    category: Type.Optional(text(100, 'Only types of this category (exact, regardless of case).', ['NDT'])),
    q: Type.Optional(
      text(100, 'Only types whose code or name contains this text, regardless of case.', ['ndt']),
    ),
    sort: sortQuery(SKILL_TYPE_SORT_FIELDS),
  },
  { additionalProperties: false },
);

const skillTypeFields = {
  code: text(50, 'Code, unique among the types you can see (stored upper-case).', ['APU-RUN']),
  name: text(200, 'Name.', ['APU run']),
  category: text(100, 'Category (stored with single spaces).', ['Powerplant']),
  description: Description,
};

const CreateSkillTypeBody = Type.Object(
  {
    code: skillTypeFields.code,
    name: skillTypeFields.name,
    category: skillTypeFields.category,
    description: Type.Optional(skillTypeFields.description),
  },
  {
    additionalProperties: false,
    description: 'The organization’s own skill type.',
    examples: [{ code: 'APU-RUN', name: 'APU run', category: 'Powerplant' }],
  },
);

const UpdateSkillTypeBody = Type.Object(
  {
    code: Type.Optional(skillTypeFields.code),
    name: Type.Optional(skillTypeFields.name),
    category: Type.Optional(skillTypeFields.category),
    description: Type.Optional(skillTypeFields.description),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description: 'The fields to change; null clears the description.',
    examples: [{ name: 'APU run and shutdown' }],
  },
);

const ScopeQuery = Type.Object(OrgScopeQuery, { additionalProperties: false });

const certificationPatch = (body: Static<typeof UpdateCertificationTypeBody>) => ({
  authority: body.authority,
  code: body.code,
  name: body.name,
  description: body.description,
  expires: body.expires,
  confersCertifying: body.confers_certifying,
  confersInspection: body.confers_inspection,
});

/**
 * `/aircraft-types`, `/certification-types`, `/skill-types`: reference data. Every role reads
 * it; tenant admins (and admins naming the org) manage their organization's own certification
 * and skill types.
 */
export const referenceDataRoutes =
  ({ referenceData }: Services) =>
  async (instance: FastifyInstance): Promise<void> => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    // -- aircraft types --------------------------------------------------------------------

    app.get(
      '/aircraft-types',
      {
        config: policy('reference_data', 'read'),
        schema: {
          tags,
          summary: 'List aircraft types',
          description:
            'The ICAO aircraft types AMSS knows (global reference data), by designator unless `sort` says otherwise; paginated with `Link: <…>; rel="next"`. An aircraft names its type by `aircraft_type_id`; a CSV import by designator.',
          querystring: AircraftTypeListQuery,
          response: { 200: Type.Array(AircraftType), ...errorResponses(400, 401, 403) },
        },
      },
      async (request, reply) => {
        const { manufacturer, q, sort } = request.query;
        const page = pageFrom(request.query);
        const keys = parseSort(sort, AIRCRAFT_TYPE_SORT_FIELDS, [{ field: 'designator', direction: 'asc' }]);
        const result = await referenceData.listAircraftTypes(
          actorOf(request),
          { manufacturer, q },
          keys,
          page,
        );
        return sendPage(request, reply, page, result, aircraftTypeView);
      },
    );

    app.get(
      '/aircraft-types/:id',
      {
        config: policy('reference_data', 'read'),
        schema: {
          tags,
          summary: 'Get an aircraft type',
          description: 'One ICAO aircraft type (404 AIRCRAFT_TYPE_NOT_FOUND when there is none).',
          params: IdParams,
          response: { 200: AircraftType, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        aircraftTypeView(await referenceData.getAircraftType(actorOf(request), request.params.id)),
    );

    // -- certification types ---------------------------------------------------------------

    app.get(
      '/certification-types',
      {
        config: policy('reference_data', 'read'),
        schema: {
          tags,
          summary: 'List certification types',
          description: `${SCOPE_NOTE} The global types and the organization’s own live ones, by authority and code unless \`sort\` says otherwise; paginated with \`Link: <…>; rel="next"\`.`,
          querystring: CertificationTypeListQuery,
          response: { 200: Type.Array(CertificationType), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const page = pageFrom(query);
        const keys = parseSort(query.sort, CERTIFICATION_TYPE_SORT_FIELDS, [
          { field: 'authority', direction: 'asc' },
          { field: 'code', direction: 'asc' },
        ]);
        const result = await referenceData.listCertificationTypes(
          actorOf(request),
          {
            orgId: query.org_id,
            authority: query.authority,
            confersCertifying: query.confers_certifying,
            confersInspection: query.confers_inspection,
            q: query.q,
          },
          keys,
          page,
        );
        return sendPage(request, reply, page, result, certificationTypeView);
      },
    );

    app.get(
      '/certification-types/:id',
      {
        config: policy('reference_data', 'read'),
        schema: {
          tags,
          summary: 'Get a certification type',
          description: `${SCOPE_NOTE} A global type or the organization’s own (404 CERTIFICATION_TYPE_NOT_FOUND otherwise).`,
          params: IdParams,
          querystring: ScopeQuery,
          response: { 200: CertificationType, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        certificationTypeView(
          await referenceData.getCertificationType(actorOf(request), request.params.id, {
            orgId: request.query.org_id,
          }),
        ),
    );

    app.post(
      '/certification-types',
      {
        config: policy('reference_data', 'create'),
        schema: {
          tags,
          summary: 'Add a certification type of the organization',
          description: `${SCOPE_NOTE} An authority and code the organization already sees (a global type or its own live one) is 409 CERTIFICATION_TYPE_CODE_TAKEN. Emits certification_type_created.`,
          querystring: ScopeQuery,
          body: CreateCertificationTypeBody,
          response: { 201: CertificationType, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const created = await referenceData.createCertificationType(mutationContext(request), {
          ...certificationPatch(body),
          authority: body.authority,
          code: body.code,
          name: body.name,
          orgId: request.query.org_id,
        });
        return reply
          .code(201)
          .header('Location', createdLocation(request, created.id))
          .send(certificationTypeView(created));
      },
    );

    app.patch(
      '/certification-types/:id',
      {
        config: policy('reference_data', 'update'),
        schema: {
          tags,
          summary: 'Change a certification type of the organization',
          description: `${SCOPE_NOTE} ${GLOBAL_NOTE} A new authority and code the organization already sees is 409 CERTIFICATION_TYPE_CODE_TAKEN. Changing \`expires\` while live certifications hold the type is 409 CERTIFICATION_TYPE_IN_USE naming how many (their expiry dates follow the current rule; change or delete them first). Changing \`confers_certifying\` or \`confers_inspection\` is allowed while it is held and takes effect at once for every holder's next check; the audit row and the event name each authority turned on or off (\`authority_changed\`) and how many live certifications hold the type (\`live_certifications\`). Emits certification_type_updated.`,
          params: IdParams,
          querystring: ScopeQuery,
          body: UpdateCertificationTypeBody,
          response: { 200: CertificationType, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        certificationTypeView(
          await referenceData.updateCertificationType(
            mutationContext(request),
            request.params.id,
            certificationPatch(request.body),
            { orgId: request.query.org_id },
          ),
        ),
    );

    app.delete(
      '/certification-types/:id',
      {
        config: policy('reference_data', 'delete'),
        schema: {
          tags,
          summary: 'Delete a certification type of the organization',
          description: `${SCOPE_NOTE} Soft delete: the type disappears from the lists and its code may be reused. ${GLOBAL_NOTE} Refused with 409 CERTIFICATION_TYPE_IN_USE while a live certification or skill requirement names it. Emits certification_type_deleted.`,
          params: IdParams,
          querystring: ScopeQuery,
          response: { 204: Deleted, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        await referenceData.deleteCertificationType(mutationContext(request), request.params.id, {
          orgId: request.query.org_id,
        });
        return reply.code(204).send(null);
      },
    );

    // -- skill types -----------------------------------------------------------------------

    app.get(
      '/skill-types',
      {
        config: policy('reference_data', 'read'),
        schema: {
          tags,
          summary: 'List skill types',
          description: `${SCOPE_NOTE} The global types and the organization’s own live ones, by code unless \`sort\` says otherwise; paginated with \`Link: <…>; rel="next"\`.`,
          querystring: SkillTypeListQuery,
          response: { 200: Type.Array(SkillType), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const page = pageFrom(query);
        const keys = parseSort(query.sort, SKILL_TYPE_SORT_FIELDS, [{ field: 'code', direction: 'asc' }]);
        const result = await referenceData.listSkillTypes(
          actorOf(request),
          { orgId: query.org_id, category: query.category, q: query.q },
          keys,
          page,
        );
        return sendPage(request, reply, page, result, skillTypeView);
      },
    );

    app.get(
      '/skill-types/:id',
      {
        config: policy('reference_data', 'read'),
        schema: {
          tags,
          summary: 'Get a skill type',
          description: `${SCOPE_NOTE} A global type or the organization’s own (404 SKILL_TYPE_NOT_FOUND otherwise).`,
          params: IdParams,
          querystring: ScopeQuery,
          response: { 200: SkillType, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        skillTypeView(
          await referenceData.getSkillType(actorOf(request), request.params.id, {
            orgId: request.query.org_id,
          }),
        ),
    );

    app.post(
      '/skill-types',
      {
        config: policy('reference_data', 'create'),
        schema: {
          tags,
          summary: 'Add a skill type of the organization',
          description: `${SCOPE_NOTE} A code the organization already sees (a global type or its own live one) is 409 SKILL_TYPE_CODE_TAKEN. Emits skill_type_created.`,
          querystring: ScopeQuery,
          body: CreateSkillTypeBody,
          response: { 201: SkillType, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const created = await referenceData.createSkillType(mutationContext(request), {
          code: body.code,
          name: body.name,
          category: body.category,
          description: body.description,
          orgId: request.query.org_id,
        });
        return reply
          .code(201)
          .header('Location', createdLocation(request, created.id))
          .send(skillTypeView(created));
      },
    );

    app.patch(
      '/skill-types/:id',
      {
        config: policy('reference_data', 'update'),
        schema: {
          tags,
          summary: 'Change a skill type of the organization',
          description: `${SCOPE_NOTE} ${GLOBAL_NOTE} A new code the organization already sees is 409 SKILL_TYPE_CODE_TAKEN. Emits skill_type_updated.`,
          params: IdParams,
          querystring: ScopeQuery,
          body: UpdateSkillTypeBody,
          response: { 200: SkillType, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const body = request.body;
        return skillTypeView(
          await referenceData.updateSkillType(
            mutationContext(request),
            request.params.id,
            { code: body.code, name: body.name, category: body.category, description: body.description },
            { orgId: request.query.org_id },
          ),
        );
      },
    );

    app.delete(
      '/skill-types/:id',
      {
        config: policy('reference_data', 'delete'),
        schema: {
          tags,
          summary: 'Delete a skill type of the organization',
          description: `${SCOPE_NOTE} Soft delete: the type disappears from the lists and its code may be reused. ${GLOBAL_NOTE} Refused with 409 SKILL_TYPE_IN_USE while a live skill or skill requirement names it. Emits skill_type_deleted.`,
          params: IdParams,
          querystring: ScopeQuery,
          response: { 204: Deleted, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        await referenceData.deleteSkillType(mutationContext(request), request.params.id, {
          orgId: request.query.org_id,
        });
        return reply.code(204).send(null);
      },
    );
  };
