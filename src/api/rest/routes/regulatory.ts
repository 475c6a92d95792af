import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { complianceItemView } from '../../../app/compliance.js';
import { parseSort } from '../../../app/pagination.js';
import {
  AUTHORITY_SORT_FIELDS,
  REGISTRATION_SORT_FIELDS,
  TEMPLATE_SORT_FIELDS,
  authorityView,
  registrationView,
  templateDetailView,
  templateView,
} from '../../../app/regulatory.js';
import type { Services } from '../../../app/services.js';
import { createdLocation, mutationContext } from '../context.js';
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
  Uuid,
  uuidField,
} from '../schemas/common.js';
import { ComplianceItem } from './compliance.js';

const tags = ['regulatory'];

const text = (maxLength: number, description: string, examples: string[]) =>
  Type.String({ minLength: 1, maxLength, pattern: '\\S', description, examples });

/** A calendar day on the wire: 'YYYY-MM-DD'. */
const dateField = (description: string) =>
  Type.String({
    format: 'date',
    description: `${description} A calendar day, YYYY-MM-DD.`,
    examples: ['2031-01-15'],
  });

// -- authorities ---------------------------------------------------------------------------

const Authority = Type.Object(
  {
    id: uuidField('Authority id.'),
    code: Type.String({ description: 'The short name everyone uses, e.g. FAA, EASA, UK CAA.' }),
    name: Type.String({ description: 'Full name, e.g. European Union Aviation Safety Agency.' }),
    country: Type.Union([Type.String({ description: 'ISO 3166-1 alpha-2 country.' }), Type.Null()], {
      description: 'ISO 3166-1 alpha-2 country, or null for a supranational body (EASA, ICAO).',
    }),
    record_retention_years: Type.Integer({
      description: 'How many years maintenance and compliance records must be kept under its rules.',
    }),
    website: Type.Union([Type.String(), Type.Null()], { description: 'Its website, if known.' }),
    created_at: timestampField('When the authority was added.'),
  },
  {
    additionalProperties: false,
    description: 'A civil aviation authority: global reference data, seeded with AMSS.',
    examples: [
      {
        id: '2c9d4e1f-7a3b-4c5d-8e6f-9a0b1c2d3e4f',
        code: 'EASA',
        name: 'European Union Aviation Safety Agency',
        country: null,
        record_retention_years: 3,
        website: 'https://www.easa.europa.eu',
        created_at: '2031-01-15T08:00:00Z',
      },
    ],
  },
);

const AuthorityListQuery = Type.Object(
  {
    ...PageQuery,
    ...CursorQuery,
    country: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z]{2}$',
        description: 'Only authorities of this ISO 3166-1 alpha-2 country, e.g. US.',
        examples: ['US'],
      }),
    ),
    q: Type.Optional(
      text(100, 'Only authorities whose code or name contains this text, regardless of case.', ['aviation']),
    ),
    sort: sortQuery(AUTHORITY_SORT_FIELDS),
  },
  { additionalProperties: false },
);

// -- templates -----------------------------------------------------------------------------

const templateFields = {
  id: uuidField('Template id.'),
  authority_id: uuidField('The authority whose rules the checklist follows.'),
  authority_code: Type.String({ description: 'That authority’s code, e.g. FAA.' }),
  code: Type.String({ description: 'Code, unique per authority, e.g. RTS-121.' }),
  name: Type.String({ description: 'Name, e.g. Return to service (14 CFR 43.9 / 121.709).' }),
  description: Type.Union([Type.String(), Type.Null()], { description: 'What it is for, if said.' }),
  created_at: timestampField('When the template was added.'),
};

const Template = Type.Object(templateFields, {
  additionalProperties: false,
  description: 'A named checklist of compliance items under one authority: global reference data.',
  examples: [
    {
      id: '4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b',
      authority_id: '2c9d4e1f-7a3b-4c5d-8e6f-9a0b1c2d3e4f',
      authority_code: 'EASA',
      code: 'CRS-145',
      name: 'Certificate of release to service (Part-145.A.50)',
      description: 'Release to service by a Part-145 organisation',
      created_at: '2031-01-15T08:00:00Z',
    },
  ],
});

const TemplateItem = Type.Object(
  {
    id: uuidField('Template item id.'),
    position: Type.Integer({ minimum: 1, description: '1-based place in the checklist.' }),
    description: Type.String({ description: 'What is checked; the created compliance item’s description.' }),
    requires_inspection: Type.Boolean({
      description: 'Whether the compliance item created from it asks for an independent inspection.',
    }),
  },
  { additionalProperties: false, description: 'One item of a compliance template.' },
);

const TemplateDetail = Type.Object(
  {
    ...templateFields,
    items: Type.Array(TemplateItem, { description: 'The checklist, in order (by position).' }),
  },
  {
    additionalProperties: false,
    description: 'A compliance template with its items in checklist order.',
  },
);

const TemplateListQuery = Type.Object(
  {
    ...PageQuery,
    ...CursorQuery,
    authority_id: Type.Optional(uuidField('Only templates of this authority.')),
    q: Type.Optional(
      text(100, 'Only templates whose code or name contains this text, regardless of case.', ['release']),
    ),
    sort: sortQuery(TEMPLATE_SORT_FIELDS),
  },
  { additionalProperties: false },
);

const FromTemplateBody = Type.Object(
  {
    template_id: uuidField('The compliance template whose items to create (see GET /compliance-templates).'),
  },
  {
    additionalProperties: false,
    description: 'The template to create compliance items from.',
    examples: [{ template_id: '4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b' }],
  },
);

const ScopeQuery = Type.Object(OrgScopeQuery, { additionalProperties: false });

// -- registrations -------------------------------------------------------------------------

const Registration = Type.Object(
  {
    id: uuidField('Registration id.'),
    org_id: uuidField('The organization holding the approval.'),
    authority_id: uuidField('The authority that granted it.'),
    authority_code: Type.String({ description: 'That authority’s code, e.g. EASA.' }),
    approval_type: Type.String({ description: 'The kind of approval, e.g. AOC, Part-145, Part-CAMO.' }),
    certificate_number: Type.String({ description: 'The certificate’s number, e.g. DE.145.0123.' }),
    valid_from: Type.Union([dateField('First day it is valid.'), Type.Null()], {
      description: 'First day it is valid; null when not recorded.',
    }),
    valid_until: Type.Union([dateField('Last day it is valid.'), Type.Null()], {
      description: 'Last day it is valid; null: valid until revoked.',
    }),
    scope: Type.Union([Type.String(), Type.Null()], {
      description: 'What the approval covers (ratings, aircraft types, locations), if said.',
    }),
    created_at: timestampField('When it was recorded.'),
    updated_at: timestampField('When it last changed.'),
  },
  {
    additionalProperties: false,
    description: 'An approval of the organization under a regulatory authority.',
    examples: [
      {
        id: '8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d',
        org_id: '0b6f3c1e-2a4d-4e8f-9b1a-5c7d9e0f1a2b',
        authority_id: '2c9d4e1f-7a3b-4c5d-8e6f-9a0b1c2d3e4f',
        authority_code: 'EASA',
        approval_type: 'Part-145',
        certificate_number: 'DE.145.0123',
        valid_from: '2030-01-01',
        valid_until: null,
        scope: 'A1 ratings: A320 family, line and base maintenance',
        created_at: '2031-01-15T08:00:00Z',
        updated_at: '2031-01-15T08:00:00Z',
      },
    ],
  },
);

const registrationFields = {
  authority_id: uuidField('The authority that granted it (see GET /regulatory-authorities).'),
  approval_type: text(100, 'The kind of approval (stored trimmed, single spaces).', ['Part-145']),
  certificate_number: text(100, 'The certificate’s number (stored trimmed, single spaces).', ['DE.145.0123']),
  valid_from: Type.Union([dateField('First day it is valid.'), Type.Null()], {
    description: 'First day it is valid; null when not recorded.',
  }),
  valid_until: Type.Union([dateField('Last day it is valid; must be after valid_from.'), Type.Null()], {
    description: 'Last day it is valid, after valid_from; null: valid until revoked.',
  }),
  scope: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()], {
    description: 'What the approval covers; null or empty for nothing said.',
  }),
};

const CreateRegistrationBody = Type.Object(
  {
    authority_id: registrationFields.authority_id,
    approval_type: registrationFields.approval_type,
    certificate_number: registrationFields.certificate_number,
    valid_from: Type.Optional(registrationFields.valid_from),
    valid_until: Type.Optional(registrationFields.valid_until),
    scope: Type.Optional(registrationFields.scope),
  },
  {
    additionalProperties: false,
    description: 'A new approval of the organization.',
    examples: [
      {
        authority_id: '2c9d4e1f-7a3b-4c5d-8e6f-9a0b1c2d3e4f',
        approval_type: 'Part-145',
        certificate_number: 'DE.145.0123',
        valid_from: '2030-01-01',
      },
    ],
  },
);

const UpdateRegistrationBody = Type.Object(
  {
    authority_id: Type.Optional(registrationFields.authority_id),
    approval_type: Type.Optional(registrationFields.approval_type),
    certificate_number: Type.Optional(registrationFields.certificate_number),
    valid_from: Type.Optional(registrationFields.valid_from),
    valid_until: Type.Optional(registrationFields.valid_until),
    scope: Type.Optional(registrationFields.scope),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description: 'The fields to change; null clears valid_from, valid_until or scope.',
    examples: [{ valid_until: '2033-12-31' }],
  },
);

const RegistrationListQuery = Type.Object(
  {
    ...PageQuery,
    ...CursorQuery,
    authority_id: Type.Optional(uuidField('Only registrations under this authority.')),
    approval_type: Type.Optional(
      text(100, 'Only registrations of this approval type (exact, regardless of case).', ['AOC']),
    ),
    valid: Type.Optional(
      Type.Boolean({
        description:
          'true: only registrations not expired today (UTC): valid_until null or today or later; false: only expired ones.',
      }),
    ),
    sort: sortQuery(REGISTRATION_SORT_FIELDS),
  },
  { additionalProperties: false },
);

const OrgParams = Type.Object(
  { id: { ...Uuid, description: 'The organization.' } },
  { additionalProperties: false },
);
const RegistrationParams = Type.Object(
  {
    id: { ...Uuid, description: 'The organization.' },
    registrationId: { ...Uuid, description: 'The registration.' },
  },
  { additionalProperties: false },
);

const ORG_NOTE =
  'The organization is your own (a tenant_admin, scheduler, mechanic or auditor) or any for an admin; another organization’s id answers 404, as one that does not exist.';
const Deleted = Type.Null({ description: 'Deleted.' });

/**
 * `/regulatory-authorities`, `/compliance-templates` (global reference data, every role reads it),
 * `POST /maintenance-tasks/{id}/compliance-items/from-template`, and an organization's
 * registrations under `/organizations/{id}/registrations`.
 */
export const regulatoryRoutes =
  ({ regulatory }: Services) =>
  async (instance: FastifyInstance): Promise<void> => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/regulatory-authorities',
      {
        config: policy('regulatory_reference', 'read'),
        schema: {
          tags,
          summary: 'List regulatory authorities',
          description:
            'The civil aviation authorities AMSS knows (FAA, EASA, UK CAA, ECAA, TCCA, ICAO…; global reference data) with their record-retention years, by code unless `sort` says otherwise; paginated with `Link: <…>; rel="next"`.',
          querystring: AuthorityListQuery,
          response: { 200: Type.Array(Authority), ...errorResponses(400, 401, 403) },
        },
      },
      async (request, reply) => {
        const { country, q, sort } = request.query;
        const page = pageFrom(request.query);
        const keys = parseSort(sort, AUTHORITY_SORT_FIELDS, [{ field: 'code', direction: 'asc' }]);
        const result = await regulatory.listAuthorities(actorOf(request), { country, q }, keys, page);
        return sendPage(request, reply, page, result, authorityView);
      },
    );

    app.get(
      '/regulatory-authorities/:id',
      {
        config: policy('regulatory_reference', 'read'),
        schema: {
          tags,
          summary: 'Get a regulatory authority',
          description: 'One authority (404 AUTHORITY_NOT_FOUND when there is none).',
          params: IdParams,
          response: { 200: Authority, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => authorityView(await regulatory.getAuthority(actorOf(request), request.params.id)),
    );

    app.get(
      '/compliance-templates',
      {
        config: policy('regulatory_reference', 'read'),
        schema: {
          tags,
          summary: 'List compliance templates',
          description:
            'Named checklists of compliance items per authority (global reference data), each with its authority’s code, by code unless `sort` says otherwise; paginated with `Link: <…>; rel="next"`. `GET /compliance-templates/{id}` shows the items.',
          querystring: TemplateListQuery,
          response: { 200: Type.Array(Template), ...errorResponses(400, 401, 403) },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const page = pageFrom(query);
        const keys = parseSort(query.sort, TEMPLATE_SORT_FIELDS, [{ field: 'code', direction: 'asc' }]);
        const result = await regulatory.listTemplates(
          actorOf(request),
          { authorityId: query.authority_id, q: query.q },
          keys,
          page,
        );
        return sendPage(request, reply, page, result, templateView);
      },
    );

    app.get(
      '/compliance-templates/:id',
      {
        config: policy('regulatory_reference', 'read'),
        schema: {
          tags,
          summary: 'Get a compliance template with its items',
          description:
            'One template and its items in checklist order (404 TEMPLATE_NOT_FOUND when there is none).',
          params: IdParams,
          response: { 200: TemplateDetail, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        templateDetailView(await regulatory.getTemplate(actorOf(request), request.params.id)),
    );

    app.post(
      '/maintenance-tasks/:id/compliance-items/from-template',
      {
        config: policy('compliance_items', 'create'),
        schema: {
          tags,
          summary: 'Create a template’s compliance items on a task',
          description: `${SCOPE_NOTE} Creates one compliance item per template item, in checklist order, in one transaction: its description and requires_inspection from the template, result pending. The same rules as \`POST /compliance-items\`: the task must be a live task of the organization (404 TASK_NOT_FOUND naming params.id) that is scheduled or in progress (409 TASK_CLOSED); an unknown template is 404 TEMPLATE_NOT_FOUND naming template_id. Each item gets its audit row (naming the template) and its compliance_item_created event. Answers 201 with the created items. Send an Idempotency-Key to make retries safe.`,
          params: IdParams,
          querystring: ScopeQuery,
          body: FromTemplateBody,
          response: {
            201: Type.Array(ComplianceItem, { description: 'The created items, in checklist order.' }),
            ...errorResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        const items = await regulatory.createComplianceItemsFromTemplate(mutationContext(request), {
          orgId: request.query.org_id,
          taskId: request.params.id,
          templateId: request.body.template_id,
        });
        return reply.code(201).send(items.map(complianceItemView));
      },
    );

    // -- registrations -----------------------------------------------------------------------

    app.get(
      '/organizations/:id/registrations',
      {
        config: policy('registrations', 'read'),
        schema: {
          tags,
          summary: 'List the organization’s registrations',
          description: `${ORG_NOTE} Its live approvals (AOC, Part-145, …), by approval type and certificate number unless \`sort\` says otherwise; paginated with \`Link: <…>; rel="next"\`.`,
          params: OrgParams,
          querystring: RegistrationListQuery,
          response: { 200: Type.Array(Registration), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const page = pageFrom(query);
        const keys = parseSort(query.sort, REGISTRATION_SORT_FIELDS, [
          { field: 'approval_type', direction: 'asc' },
          { field: 'certificate_number', direction: 'asc' },
        ]);
        const result = await regulatory.listRegistrations(
          actorOf(request),
          request.params.id,
          { authorityId: query.authority_id, approvalType: query.approval_type, valid: query.valid },
          keys,
          page,
        );
        return sendPage(request, reply, page, result, registrationView);
      },
    );

    app.get(
      '/organizations/:id/registrations/:registrationId',
      {
        config: policy('registrations', 'read'),
        schema: {
          tags,
          summary: 'Get a registration',
          description: `${ORG_NOTE} A live registration of the organization (404 REGISTRATION_NOT_FOUND otherwise).`,
          params: RegistrationParams,
          response: { 200: Registration, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        registrationView(
          await regulatory.getRegistration(
            actorOf(request),
            request.params.id,
            request.params.registrationId,
          ),
        ),
    );

    app.post(
      '/organizations/:id/registrations',
      {
        config: policy('registrations', 'create'),
        schema: {
          tags,
          summary: 'Record a registration of the organization',
          description: `${ORG_NOTE} An unknown authority is 404 AUTHORITY_NOT_FOUND naming authority_id; a live registration with the same authority, approval type and certificate number is 409 REGISTRATION_DUPLICATE; valid_until not after valid_from is 400 INVALID_VALIDITY_PERIOD naming valid_until. Emits registration_created. Send an Idempotency-Key to make retries safe.`,
          params: OrgParams,
          body: CreateRegistrationBody,
          response: { 201: Registration, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const created = await regulatory.createRegistration(mutationContext(request), request.params.id, {
          authorityId: body.authority_id,
          approvalType: body.approval_type,
          certificateNumber: body.certificate_number,
          validFrom: body.valid_from,
          validUntil: body.valid_until,
          scope: body.scope,
        });
        return reply
          .code(201)
          .header('Location', createdLocation(request, created.id))
          .send(registrationView(created));
      },
    );

    app.patch(
      '/organizations/:id/registrations/:registrationId',
      {
        config: policy('registrations', 'update'),
        schema: {
          tags,
          summary: 'Change a registration',
          description: `${ORG_NOTE} The rules of its creation apply to the registration as it will be (404 AUTHORITY_NOT_FOUND, 409 REGISTRATION_DUPLICATE, 400 INVALID_VALIDITY_PERIOD). Emits registration_updated.`,
          params: RegistrationParams,
          body: UpdateRegistrationBody,
          response: { 200: Registration, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const body = request.body;
        return registrationView(
          await regulatory.updateRegistration(
            mutationContext(request),
            request.params.id,
            request.params.registrationId,
            {
              authorityId: body.authority_id,
              approvalType: body.approval_type,
              certificateNumber: body.certificate_number,
              validFrom: body.valid_from,
              validUntil: body.valid_until,
              scope: body.scope,
            },
          ),
        );
      },
    );

    app.delete(
      '/organizations/:id/registrations/:registrationId',
      {
        config: policy('registrations', 'delete'),
        schema: {
          tags,
          summary: 'Delete a registration',
          description: `${ORG_NOTE} Soft delete: the registration leaves the lists and its certificate number may be recorded again. Emits registration_deleted.`,
          params: RegistrationParams,
          response: { 204: Deleted, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        await regulatory.deleteRegistration(
          mutationContext(request),
          request.params.id,
          request.params.registrationId,
        );
        return reply.code(204).send(null);
      },
    );
  };
