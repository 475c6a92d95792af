import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import {
  DIRECTIVE_SORT_FIELDS,
  directiveView,
  type LimitInput,
  type RecurrenceInput,
  type UpdateDirectiveInput,
} from '../../../app/directives.js';
import { parseSort } from '../../../app/pagination.js';
import type { Services } from '../../../app/services.js';
import {
  CALENDAR_UNITS,
  DIRECTIVE_APPLICABILITIES,
  DIRECTIVE_STATUSES,
  DIRECTIVE_TYPES,
  TRACKING_STATUSES,
} from '../../../domain/directive.js';
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
  uuidField,
} from '../schemas/common.js';

const tags = ['directives'];

const EXAMPLE_ID = '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const EXAMPLE_ORG = '8c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const EXAMPLE_AUTHORITY = '1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b';
const EXAMPLE_TYPE = '6d5c4b3a-2f1e-4d0c-9b8a-7f6e5d4c3b2a';

const dateField = (description: string) =>
  Type.String({
    format: 'date',
    description: `${description} A calendar day, YYYY-MM-DD.`,
    examples: ['2031-03-01'],
  });

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T, description: string) =>
  Type.Union([schema, Type.Null()], { description });

const Positive = (description: string) => Type.Integer({ minimum: 1, maximum: 1_000_000, description });
const PositiveHours = (description: string) =>
  Type.Number({
    exclusiveMinimum: 0,
    maximum: 999_999.99,
    description: `${description} At most two decimals.`,
  });

const DirectiveType = Type.Enum(DIRECTIVE_TYPES, {
  description:
    'ad (airworthiness directive), emergency_ad, sb (service bulletin), alert_sb or eo (engineering order).',
});
const Applicability = Type.Enum(DIRECTIVE_APPLICABILITIES, {
  description: 'How binding it is: mandatory (the default), recommended or optional.',
});
const Status = Type.Enum(DIRECTIVE_STATUSES, {
  description:
    'active, superseded (by `superseded_by`) or cancelled. Only an active directive is scanned, tracks new aircraft and counts on the due list; the rows of a superseded or cancelled one stay as history.',
});

const TailNumbers = Type.Array(
  Type.String({
    minLength: 1,
    maxLength: 16,
    pattern: '^[A-Za-z0-9][A-Za-z0-9-]*$',
    description: 'A registration mark (any case; compared upper-case).',
  }),
  { minItems: 1, maxItems: 1000 },
);
const Serial = Type.String({
  minLength: 1,
  maxLength: 50,
  pattern: '\\S',
  description: 'A manufacturer serial number.',
});

const Limit = Type.Object(
  {
    date: Type.Optional(
      nullable(
        dateField('Complied with by this day.'),
        'Complied with by this day; not before effective_date (400 LIMIT_DATE_BEFORE_EFFECTIVE).',
      ),
    ),
    days: Type.Optional(
      nullable(
        Positive('Within this many days of the effective date.'),
        'Within this many days of the effective date.',
      ),
    ),
    flight_hours: Type.Optional(
      nullable(
        PositiveHours('Within this many flight hours of the effective date.'),
        'Within this many flight hours of the aircraft’s counter at the effective date.',
      ),
    ),
    cycles: Type.Optional(
      nullable(
        Positive('Within this many cycles of the effective date.'),
        'Within this many cycles of the aircraft’s counter at the effective date.',
      ),
    ),
  },
  {
    additionalProperties: false,
    description:
      'The compliance limit, whichever of its parts comes first; any subset, none (or null) is no limit. Hours and cycles count from the aircraft’s counters at the effective date.',
  },
);

const Recurrence = Type.Object(
  {
    calendar: Type.Optional(
      nullable(
        Type.Object(
          {
            value: Positive('How many units.'),
            unit: Type.Enum(CALENDAR_UNITS, {
              description: 'days, months or years (a month after 31 January is the last day of February).',
            }),
          },
          { additionalProperties: false, description: 'Every so many days, months or years.' },
        ),
        'Every so many days, months or years; null for none.',
      ),
    ),
    flight_hours: Type.Optional(
      nullable(PositiveHours('Every so many flight hours.'), 'Every so many flight hours; null for none.'),
    ),
    cycles: Type.Optional(
      nullable(Positive('Every so many cycles.'), 'Every so many cycles; null for none.'),
    ),
  },
  {
    additionalProperties: false,
    description:
      'Repeated after each compliance, whichever of its parts comes first; null (or nothing in it) is once only.',
  },
);

const DirectiveBodyFields = {
  authority_id: uuidField(
    'A regulatory authority of GET /regulatory-authorities (404 AUTHORITY_NOT_FOUND otherwise).',
  ),
  type: DirectiveType,
  reference_number: Type.String({
    minLength: 1,
    maxLength: 100,
    pattern: '\\S',
    description:
      'The authority’s number, e.g. 2024-02-51; unique among the live directives of the authority in the organization (409 DIRECTIVE_DUPLICATE).',
  }),
  title: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S', description: 'What it is about.' }),
  description: nullable(Type.String({ maxLength: 20_000, description: 'Details.' }), 'Details, or null.'),
  applicability: Applicability,
  aircraft_type_ids: Type.Array(uuidField('An aircraft type of GET /aircraft-types.'), {
    minItems: 1,
    maxItems: 100,
    description:
      'The aircraft types it applies to, at least one (404 AIRCRAFT_TYPE_NOT_FOUND for an unknown one).',
  }),
  applicable_tail_numbers: nullable(TailNumbers, 'Only these tails of those types; null for every one.'),
  serial_from: nullable(
    Serial,
    'Only serial numbers (MSN) from this one on; null for no lower end. Aircraft without an MSN are outside any range.',
  ),
  serial_to: nullable(
    Serial,
    'Only serial numbers (MSN) up to this one; null for no upper end. Not before serial_from (400 SERIAL_RANGE_REVERSED); a shorter MSN sorts first.',
  ),
  effective_date: dateField('When it takes effect; the limit counts from it.'),
  limit: nullable(Limit, 'The compliance limit; null is no limit.'),
  recurrence: nullable(Recurrence, 'The recurrence; null is once only.'),
  status: Status,
  superseded_by: nullable(
    uuidField('The live directive of the organization that supersedes it.'),
    'Required when (and only when) status is superseded (400 SUPERSEDED_BY_REQUIRED / SUPERSEDED_BY_NOT_ALLOWED); another live directive of the organization (404 DIRECTIVE_NOT_FOUND; itself is 400 SUPERSEDED_BY_ITSELF).',
  ),
  source_url: nullable(
    Type.String({ minLength: 1, maxLength: 2000 }),
    'Where the directive is published: an http(s) URL (400 INVALID_SOURCE_URL otherwise), or null.',
  ),
};

const CREATE_EXAMPLE = {
  authority_id: EXAMPLE_AUTHORITY,
  type: 'ad',
  reference_number: '2031-04-12',
  title: 'Inspection of the wing rear spar',
  aircraft_type_ids: [EXAMPLE_TYPE],
  serial_from: '1000',
  serial_to: '4999',
  effective_date: '2031-03-01',
  limit: { days: 30, flight_hours: 600 },
  recurrence: { calendar: { value: 12, unit: 'months' }, flight_hours: 600 },
  source_url: 'https://drs.faa.gov/browse/excelExternalWindow/2031-04-12',
};

const CreateDirectiveBody = Type.Object(
  {
    authority_id: DirectiveBodyFields.authority_id,
    type: DirectiveBodyFields.type,
    reference_number: DirectiveBodyFields.reference_number,
    title: DirectiveBodyFields.title,
    description: Type.Optional(DirectiveBodyFields.description),
    applicability: Type.Optional(DirectiveBodyFields.applicability),
    aircraft_type_ids: DirectiveBodyFields.aircraft_type_ids,
    applicable_tail_numbers: Type.Optional(DirectiveBodyFields.applicable_tail_numbers),
    serial_from: Type.Optional(DirectiveBodyFields.serial_from),
    serial_to: Type.Optional(DirectiveBodyFields.serial_to),
    effective_date: DirectiveBodyFields.effective_date,
    limit: Type.Optional(DirectiveBodyFields.limit),
    recurrence: Type.Optional(DirectiveBodyFields.recurrence),
    status: Type.Optional(DirectiveBodyFields.status),
    superseded_by: Type.Optional(DirectiveBodyFields.superseded_by),
    source_url: Type.Optional(DirectiveBodyFields.source_url),
  },
  {
    additionalProperties: false,
    description: 'A directive to record; active and mandatory unless said otherwise.',
    examples: [CREATE_EXAMPLE],
  },
);

const UpdateDirectiveBody = Type.Object(
  Object.fromEntries(
    Object.entries(DirectiveBodyFields).map(([key, schema]) => [key, Type.Optional(schema)]),
  ) as {
    [K in keyof typeof DirectiveBodyFields]: ReturnType<
      typeof Type.Optional<(typeof DirectiveBodyFields)[K]>
    >;
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description:
      'The fields to change, checked like on creation; `limit`, `recurrence` and `aircraft_type_ids` replace the stored ones whole. A new limit (or effective date) moves the due of the rows never complied with and still open (pending, in progress, deferred — its deferral kept — or overdue; an overdue row no longer past the new limit is open again, with a directive_status_changed event); a new applicability tracks the aircraft it now applies to (rows of aircraft it no longer applies to stay).',
    examples: [{ limit: { days: 60 } }, { status: 'superseded', superseded_by: EXAMPLE_ID }],
  },
);

const Tracking = Type.Object(
  Object.fromEntries(
    TRACKING_STATUSES.map((status) => [
      status,
      Type.Integer({ description: `Live aircraft with the directive ${status}.` }),
    ]),
  ),
  { additionalProperties: false, description: 'How many live aircraft track it, per status.' },
);

const DirectiveSchema = Type.Object(
  {
    id: uuidField('Directive id.'),
    org_id: uuidField('The organization.'),
    authority_id: uuidField('The regulatory authority.'),
    authority_code: Type.String({ description: 'The authority’s short name, e.g. FAA.' }),
    type: DirectiveType,
    reference_number: Type.String({ description: 'The authority’s number.' }),
    title: Type.String({ description: 'What it is about.' }),
    description: nullable(Type.String(), 'Details, or null.'),
    applicability: Applicability,
    aircraft_type_ids: Type.Array(uuidField('An aircraft type.'), {
      description: 'The aircraft types it applies to.',
    }),
    aircraft_types: Type.Array(
      Type.Object(
        {
          id: uuidField('Aircraft type id.'),
          designator: Type.String({ description: 'ICAO designator, e.g. A20N.' }),
        },
        { additionalProperties: false },
      ),
      { description: 'The aircraft types it applies to, by designator.' },
    ),
    applicable_tail_numbers: nullable(Type.Array(Type.String()), 'Only these tails (upper-case), or null.'),
    serial_from: nullable(Type.String(), 'Lowest serial number (MSN) it applies to, or null.'),
    serial_to: nullable(Type.String(), 'Highest serial number (MSN) it applies to, or null.'),
    effective_date: dateField('When it takes effect.'),
    limit: Type.Object(
      {
        date: nullable(dateField('Complied with by this day.'), 'Complied with by this day, or null.'),
        days: nullable(Type.Integer(), 'Within this many days of the effective date, or null.'),
        flight_hours: nullable(Type.Number(), 'Within this many flight hours, or null.'),
        cycles: nullable(Type.Integer(), 'Within this many cycles, or null.'),
      },
      {
        additionalProperties: false,
        description: 'The compliance limit, whichever comes first; all null: no limit.',
      },
    ),
    recurrence: nullable(
      Type.Object(
        {
          calendar: nullable(
            Type.Object(
              { value: Type.Integer(), unit: Type.Enum(CALENDAR_UNITS) },
              { additionalProperties: false },
            ),
            'Every so many days, months or years, or null.',
          ),
          flight_hours: nullable(Type.Number(), 'Every so many flight hours, or null.'),
          cycles: nullable(Type.Integer(), 'Every so many cycles, or null.'),
        },
        { additionalProperties: false },
      ),
      'The recurrence after each compliance, whichever comes first; null: once only.',
    ),
    status: Status,
    superseded_by: nullable(
      uuidField('The directive that supersedes it.'),
      'The directive that supersedes it, or null.',
    ),
    source_url: nullable(Type.String(), 'Where it is published, or null.'),
    tracking: Tracking,
    created_at: timestampField('When it was recorded.'),
    updated_at: timestampField('When it last changed.'),
  },
  {
    additionalProperties: false,
    description: 'An airworthiness directive, service bulletin or engineering order.',
    examples: [
      {
        ...CREATE_EXAMPLE,
        id: EXAMPLE_ID,
        org_id: EXAMPLE_ORG,
        authority_code: 'FAA',
        description: null,
        applicability: 'mandatory',
        aircraft_types: [{ id: EXAMPLE_TYPE, designator: 'A20N' }],
        applicable_tail_numbers: null,
        limit: { date: null, days: 30, flight_hours: 600, cycles: null },
        recurrence: { calendar: { value: 12, unit: 'months' }, flight_hours: 600, cycles: null },
        status: 'active',
        superseded_by: null,
        tracking: { pending: 12, in_progress: 0, complied: 3, not_applicable: 1, deferred: 0, overdue: 1 },
        created_at: '2031-03-01T08:00:00Z',
        updated_at: '2031-03-01T08:00:00Z',
      },
    ],
  },
);

const ScanOutcome = Type.Object(
  {
    applicable: Type.Integer({ description: 'Live aircraft of the organization the directive applies to.' }),
    newly_tracked: Type.Integer({ description: 'Of those, tracked by this scan.' }),
    already_tracked: Type.Integer({
      description: 'Of those, tracked before (a rescan tracks nothing twice).',
    }),
  },
  { additionalProperties: false, description: 'What the scan found and did.' },
);

const ScopeQuery = Type.Object(OrgScopeQuery, { additionalProperties: false });

const ListQuery = Type.Object(
  {
    ...PageQuery,
    ...CursorQuery,
    ...OrgScopeQuery,
    authority_id: Type.Optional(uuidField('Only directives of this authority.')),
    type: Type.Optional(DirectiveType),
    status: Type.Optional(Status),
    applicability: Type.Optional(Applicability),
    aircraft_type_id: Type.Optional(uuidField('Only directives that apply to this aircraft type.')),
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description:
          'Full-text search over reference number, title and description (web search syntax: words, "a phrase", -not, or), or a prefix of the reference number.',
      }),
    ),
    effective_from: Type.Optional(dateField('Only directives effective on or after this day.')),
    effective_to: Type.Optional(
      dateField(
        'Only directives effective on or before this day (not before effective_from, 400 INVALID_DATE_RANGE).',
      ),
    ),
    sort: sortQuery(DIRECTIVE_SORT_FIELDS),
  },
  { additionalProperties: false },
);

const WRITE_NOTE = `${SCOPE_NOTE} Managed by the organization's tenant_admin (and admins); audited, with an event, in the same transaction.`;

const limitInput = (limit: Static<typeof Limit> | null | undefined): LimitInput | null | undefined =>
  limit && { date: limit.date, days: limit.days, flightHours: limit.flight_hours, cycles: limit.cycles };

const recurrenceInput = (
  recurrence: Static<typeof Recurrence> | null | undefined,
): RecurrenceInput | undefined =>
  recurrence && {
    calendar: recurrence.calendar,
    flightHours: recurrence.flight_hours,
    cycles: recurrence.cycles,
  };

/** The directive fields from the wire; an absent one stays undefined. */
const directiveInput = (body: Partial<Static<typeof CreateDirectiveBody>>): UpdateDirectiveInput => ({
  authorityId: body.authority_id,
  type: body.type,
  referenceNumber: body.reference_number,
  title: body.title,
  description: body.description,
  applicability: body.applicability,
  aircraftTypeIds: body.aircraft_type_ids,
  tailNumbers: body.applicable_tail_numbers,
  serialFrom: body.serial_from,
  serialTo: body.serial_to,
  effectiveDate: body.effective_date,
  limit: body.limit === undefined ? undefined : (limitInput(body.limit) ?? null),
  recurrence: body.recurrence === undefined ? undefined : (recurrenceInput(body.recurrence) ?? null),
  status: body.status,
  supersededBy: body.superseded_by,
  sourceUrl: body.source_url,
});

/** `/directives`: an organization's airworthiness directives, bulletins and engineering orders, and the fleet scan. */
export const directiveRoutes =
  ({ directives }: Services) =>
  async (instance: FastifyInstance): Promise<void> => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/directives',
      {
        config: policy('directives', 'create'),
        schema: {
          tags,
          summary: 'Record a directive',
          description: `${WRITE_NOTE} It tracks no aircraft until \`POST /directives/{id}/scan-fleet\` (aircraft created or changed later are tracked on their own). Emits directive_created.`,
          querystring: ScopeQuery,
          body: CreateDirectiveBody,
          response: { 201: DirectiveSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const created = await directives.create(mutationContext(request), {
          ...directiveInput(body),
          authorityId: body.authority_id,
          type: body.type,
          referenceNumber: body.reference_number,
          title: body.title,
          aircraftTypeIds: body.aircraft_type_ids,
          effectiveDate: body.effective_date,
          orgId: request.query.org_id,
        });
        return reply
          .code(201)
          .header('Location', createdLocation(request, created.id))
          .send(directiveView(created));
      },
    );

    app.get(
      '/directives',
      {
        config: policy('directives', 'read'),
        schema: {
          tags,
          summary: 'List directives',
          description: `${SCOPE_NOTE} Live directives, latest effective first unless \`sort\` says otherwise; paginated with \`Link: <…>; rel="next"\`.`,
          querystring: ListQuery,
          response: { 200: Type.Array(DirectiveSchema), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const page = pageFrom(q);
        const keys = parseSort(q.sort, DIRECTIVE_SORT_FIELDS, [
          { field: 'effective_date', direction: 'desc' },
        ]);
        const result = await directives.list(
          actorOf(request),
          {
            orgId: q.org_id,
            authorityId: q.authority_id,
            type: q.type,
            status: q.status,
            applicability: q.applicability,
            aircraftTypeId: q.aircraft_type_id,
            q: q.q,
            effectiveFrom: q.effective_from,
            effectiveTo: q.effective_to,
          },
          keys,
          page,
        );
        return sendPage(request, reply, page, result, directiveView);
      },
    );

    app.get(
      '/directives/:id',
      {
        config: policy('directives', 'read'),
        schema: {
          tags,
          summary: 'Get a directive',
          description: `${SCOPE_NOTE} A deleted directive, or another organization's, is 404 DIRECTIVE_NOT_FOUND.`,
          params: IdParams,
          querystring: ScopeQuery,
          response: { 200: DirectiveSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        directiveView(
          await directives.get(actorOf(request), request.params.id, { orgId: request.query.org_id }),
        ),
    );

    app.patch(
      '/directives/:id',
      {
        config: policy('directives', 'update'),
        schema: {
          tags,
          summary: 'Change a directive',
          description: `${WRITE_NOTE} Cancelling or superseding it leaves its tracking rows as history (the due list and tracker ignore a directive that is not active). Emits directive_updated (with \`due_recomputed\` and \`newly_tracked\` when rows moved or were added).`,
          params: IdParams,
          querystring: ScopeQuery,
          body: UpdateDirectiveBody,
          response: { 200: DirectiveSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        directiveView(
          await directives.update(mutationContext(request), request.params.id, directiveInput(request.body), {
            orgId: request.query.org_id,
          }),
        ),
    );

    app.delete(
      '/directives/:id',
      {
        config: policy('directives', 'delete'),
        schema: {
          tags,
          summary: 'Delete a directive',
          description: `${WRITE_NOTE} Soft delete: it leaves the API and its reference number may be reused; its tracking rows and compliance history stay. Emits directive_deleted.`,
          params: IdParams,
          querystring: ScopeQuery,
          response: {
            204: Type.Null({ description: 'Deleted.' }),
            ...errorResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        await directives.delete(mutationContext(request), request.params.id, { orgId: request.query.org_id });
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/directives/:id/scan-fleet',
      {
        config: policy('directives', 'scan'),
        schema: {
          tags,
          summary: 'Track the directive on every aircraft it applies to',
          description: `${SCOPE_NOTE} In one statement, tracks every live aircraft of the organization the directive applies to (its aircraft types, then its tails and serial range when it names them) and does not track yet: each row starts pending, with its baseline at the effective date (the aircraft's counters then: the current ones minus the flights recorded since) and its next due from the limit, whichever comes first. Rescanning, or two scans at once, track each aircraft once. Only an active directive can be scanned (409 DIRECTIVE_NOT_ACTIVE). Emits directive_fleet_scanned with the counts.`,
          params: IdParams,
          querystring: ScopeQuery,
          response: { 200: ScanOutcome, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const outcome = await directives.scanFleet(mutationContext(request), request.params.id, {
          orgId: request.query.org_id,
        });
        return {
          applicable: outcome.applicable,
          newly_tracked: outcome.newlyTracked,
          already_tracked: outcome.alreadyTracked,
        };
      },
    );
  };
