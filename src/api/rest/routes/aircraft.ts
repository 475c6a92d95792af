import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';
import { Type, type Static, type TSchema } from 'typebox';
import {
  AIRCRAFT_SORT_FIELDS,
  MAX_USAGE_BATCH,
  USAGE_SORT_FIELDS,
  aircraftUsageView,
  aircraftView,
  type UsageRecordInput,
} from '../../../app/aircraft.js';
import { AppError } from '../../../app/errors.js';
import { parseSort } from '../../../app/pagination.js';
import type { Services } from '../../../app/services.js';
import { AIRCRAFT_STATUSES, AIRCRAFT_STATUS_SOURCES } from '../../../domain/aircraft.js';
import { createdLocation, mutationContext } from '../context.js';
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

const Status = Type.Enum(AIRCRAFT_STATUSES, {
  description:
    'operational (may fly), maintenance (set and lifted by hand only) or grounded (by hand, or by the grounding workflow).',
});

const TailNumber = Type.String({
  minLength: 1,
  maxLength: 16,
  pattern: '^[A-Za-z0-9][A-Za-z0-9-]*$',
  description:
    'Registration mark, e.g. N101DA or D-AIBL: letters, digits and hyphens. Stored upper-case; unique among the live aircraft of the organization.',
});

const Model = Type.String({
  minLength: 1,
  maxLength: 100,
  description: 'Aircraft type as the operator names it, e.g. A320neo.',
});

const AircraftTypeId = Type.Union(
  [uuidField('An ICAO aircraft type from GET /aircraft-types.'), Type.Null()],
  {
    description:
      'The ICAO aircraft type (GET /aircraft-types), e.g. the id of A20N; null when not recorded. An id that names no type is 404 AIRCRAFT_TYPE_NOT_FOUND naming this field.',
  },
);

const SerialNumber = Type.Union(
  [
    Type.String({
      minLength: 1,
      maxLength: 50,
      pattern: '\\S',
      description: 'The manufacturer serial number (MSN), e.g. 10234; stored trimmed.',
    }),
    Type.Null(),
  ],
  {
    description:
      'The manufacturer serial number (MSN), e.g. 10234; null when not recorded. Directives that name a serial range apply only to aircraft whose MSN lies in it (a shorter MSN sorts first, so 999 comes before 1000).',
  },
);

const CapacitySlots = Type.Integer({
  minimum: 1,
  maximum: 1000,
  description: 'How many maintenance slots the aircraft offers at once (at least 1).',
});

const nullableTimestamp = (description: string) =>
  Type.Union([timestampField(description), Type.Null()], {
    description: `${description} RFC 3339, UTC; null when unknown.`,
  });

const LastMaintenance = nullableTimestamp('When the aircraft was last maintained.');
const NextDue = nullableTimestamp(
  'When the aircraft is next due for maintenance; must be after last_maintenance when both are set.',
);

/** An aircraft of the fleet. */
const Aircraft = Type.Object(
  {
    id: uuidField('Aircraft id.'),
    org_id: uuidField('The organization that operates the aircraft.'),
    tail_number: Type.String({ description: 'Registration mark, upper-case, unique among live aircraft.' }),
    model: Type.String({ description: 'Aircraft type, e.g. A320neo.' }),
    aircraft_type_id: Type.Union(
      [uuidField('The ICAO aircraft type (GET /aircraft-types/{id}).'), Type.Null()],
      {
        description: 'The ICAO aircraft type (GET /aircraft-types/{id}); null when not recorded.',
      },
    ),
    serial_number: Type.Union([Type.String(), Type.Null()], {
      description: 'The manufacturer serial number (MSN); null when not recorded.',
    }),
    status: Status,
    status_source: Type.Enum(AIRCRAFT_STATUS_SOURCES, {
      description:
        'manual: a person set the status and it stays until changed by hand; automatic: the grounding workflow set it and lifts it again.',
    }),
    capacity_slots: Type.Integer({ description: 'Maintenance slots the aircraft offers at once.' }),
    last_maintenance: LastMaintenance,
    next_due: NextDue,
    flight_hours_total: Type.Number({
      description: 'Flight hours flown, two decimals; moved forward only by recorded usage.',
    }),
    cycles_total: Type.Integer({ description: 'Cycles flown; moved forward only by recorded usage.' }),
    created_at: timestampField('When the aircraft was created.'),
    updated_at: timestampField('When the aircraft last changed.'),
  },
  { additionalProperties: false, description: 'An aircraft of the fleet, with its usage counters.' },
);

/** `?org_id=`: the only way an admin acts in another organization; anyone else naming one gets 403. */
const ScopeQuery = Type.Object(OrgScopeQuery, { additionalProperties: false });

const TailNumberSearch = (description: string) =>
  Type.Optional(Type.String({ minLength: 1, maxLength: 16, description }));

const ListQuery = Type.Object(
  {
    ...PageQuery,
    ...CursorQuery,
    ...OrgScopeQuery,
    status: Type.Optional(Type.Enum(AIRCRAFT_STATUSES, { description: 'Only aircraft with this status.' })),
    model: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: 'Only aircraft of exactly this model.' }),
    ),
    aircraft_type_id: Type.Optional(
      uuidField('Only aircraft of this ICAO aircraft type (GET /aircraft-types).'),
    ),
    serial_number: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 50,
        description: 'Only the aircraft with exactly this manufacturer serial number (MSN).',
      }),
    ),
    q: TailNumberSearch('Only aircraft whose tail number contains this text, regardless of case.'),
    tail_number: TailNumberSearch('Same as `q`: a case-insensitive substring of the tail number.'),
    sort: sortQuery(AIRCRAFT_SORT_FIELDS),
  },
  { additionalProperties: false },
);

/** The body of POST /aircraft; CSV imports of aircraft check their rows against it too. */
export const CreateAircraftBody = Type.Object(
  {
    tail_number: TailNumber,
    model: Model,
    aircraft_type_id: Type.Optional(AircraftTypeId),
    serial_number: Type.Optional(SerialNumber),
    status: Type.Optional(Status),
    capacity_slots: Type.Optional(CapacitySlots),
    last_maintenance: Type.Optional(LastMaintenance),
    next_due: Type.Optional(NextDue),
  },
  {
    additionalProperties: false,
    description:
      'The new aircraft, operational with one slot unless said otherwise. The usage counters start at zero and move only through recorded usage.',
    examples: [
      {
        tail_number: 'D-AINA',
        model: 'A320neo',
        aircraft_type_id: '5b0e8f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b',
        serial_number: '10234',
        capacity_slots: 2,
        next_due: '2031-01-15T08:00:00Z',
      },
    ],
  },
);

const UpdateAircraftBody = Type.Object(
  {
    tail_number: Type.Optional(TailNumber),
    model: Type.Optional(Model),
    aircraft_type_id: Type.Optional(AircraftTypeId),
    serial_number: Type.Optional(SerialNumber),
    status: Type.Optional(Status),
    capacity_slots: Type.Optional(CapacitySlots),
    last_maintenance: Type.Optional(LastMaintenance),
    next_due: Type.Optional(NextDue),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description:
      'The fields to change; null clears a date. A status set here is manual: the workflow never lifts it. The usage counters are read-only.',
  },
);

/** One flight reported by an external system. */
const UsageRecord = Type.Object(
  {
    flight_hours: Type.Number({
      minimum: 0,
      maximum: 999_999.99,
      description: 'Hours flown, at most two decimals.',
    }),
    cycles: Type.Integer({
      minimum: 0,
      maximum: 1_000_000,
      description: 'Cycles (take-off and landing) flown.',
    }),
    recorded_at: Type.Optional(
      timestampField('When the flight was flown; not in the future. Defaults to the time of the request.'),
    ),
    source_ref: Type.String({
      minLength: 1,
      maxLength: 200,
      pattern: '\\S',
      description:
        'The flight’s reference in the sending system. A reference the aircraft already has is a duplicate and counts nothing.',
    }),
  },
  { additionalProperties: false, description: 'One flight.' },
);

const UsageBatch = Type.Array(UsageRecord, {
  minItems: 1,
  maxItems: MAX_USAGE_BATCH,
  description: `Up to ${MAX_USAGE_BATCH} flights.`,
});

const UsageBody = Type.Union([UsageRecord, UsageBatch], {
  description: `One flight, or an array of 1 to ${MAX_USAGE_BATCH}.`,
});

/**
 * Validates a usage body against the one schema it is meant as (an array or one record), so a
 * client sees the real problems rather than "must match a schema in anyOf" noise from the union.
 */
const usageValidatorCompiler: FastifySchemaCompiler<TSchema> = (route) => {
  if (route.httpPart !== 'body') return TypeBoxValidatorCompiler(route);
  const batch = TypeBoxValidatorCompiler({ ...route, schema: UsageBatch });
  const single = TypeBoxValidatorCompiler({ ...route, schema: UsageRecord });
  return (value) => (Array.isArray(value) ? batch(value) : single(value));
};

const UsageOutcome = Type.Object(
  {
    recorded: Type.Integer({ description: 'Flights stored by this request.' }),
    duplicates: Type.Integer({
      description:
        'Flights skipped because the aircraft already had their source_ref (also within this request).',
    }),
    flight_hours_total: Type.Number({ description: 'The aircraft’s flight hours afterwards.' }),
    cycles_total: Type.Integer({ description: 'The aircraft’s cycles afterwards.' }),
  },
  { additionalProperties: false, description: 'What the request recorded and the counters afterwards.' },
);

/** One stored flight. */
const Usage = Type.Object(
  {
    id: uuidField('Usage record id.'),
    org_id: uuidField('The organization of the aircraft.'),
    aircraft_id: uuidField('The aircraft that flew.'),
    source_ref: Type.String({ description: 'The flight’s reference in the sending system.' }),
    flight_hours: Type.Number({ description: 'Hours flown.' }),
    cycles: Type.Integer({ description: 'Cycles flown.' }),
    recorded_at: timestampField('When the flight was flown.'),
    created_at: timestampField('When AMSS stored it.'),
    created_by: Type.Union([uuidField('The user who reported it.'), Type.Null()], {
      description: 'The user who reported it, or null for a background job.',
    }),
  },
  { additionalProperties: false, description: 'A flight recorded for an aircraft.' },
);

const UsageListQuery = Type.Object(
  {
    ...PageQuery,
    ...CursorQuery,
    ...OrgScopeQuery,
    from: Type.Optional(timestampField('Only flights recorded at or after this time.')),
    to: Type.Optional(timestampField('Only flights recorded before this time; must be after from.')),
    sort: sortQuery(USAGE_SORT_FIELDS),
  },
  { additionalProperties: false },
);

const tags = ['aircraft'];

/** A usage record from the wire. */
const usageInput = (record: Static<typeof UsageRecord>): UsageRecordInput => ({
  flightHours: record.flight_hours,
  cycles: record.cycles,
  recordedAt: toDate(record.recorded_at),
  sourceRef: record.source_ref,
});

/** The writable aircraft fields from the wire. */
const aircraftFields = (body: Static<typeof UpdateAircraftBody>) => ({
  tailNumber: body.tail_number,
  model: body.model,
  aircraftTypeId: body.aircraft_type_id,
  serialNumber: body.serial_number,
  status: body.status,
  capacitySlots: body.capacity_slots,
  lastMaintenance: toDate(body.last_maintenance),
  nextDue: toDate(body.next_due),
});

/** `/aircraft`: the fleet, its recorded usage, and (through PATCH) manual status changes. */
export const aircraftRoutes =
  ({ aircraft }: Services) =>
  async (instance: FastifyInstance): Promise<void> => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/aircraft',
      {
        config: policy('aircraft', 'create'),
        schema: {
          tags,
          summary: 'Create an aircraft',
          description: `${SCOPE_NOTE} A live tail number already in the organization is 409 TAIL_NUMBER_TAKEN; next_due not after last_maintenance is 400 NEXT_DUE_NOT_AFTER_LAST_MAINTENANCE.`,
          querystring: ScopeQuery,
          body: CreateAircraftBody,
          response: { 201: Aircraft, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const { tail_number: tailNumber, model } = request.body;
        const created = await aircraft.create(mutationContext(request), {
          ...aircraftFields(request.body),
          tailNumber,
          model,
          orgId: request.query.org_id,
        });
        return reply
          .code(201)
          .header('Location', createdLocation(request, created.id))
          .send(aircraftView(created));
      },
    );

    app.get(
      '/aircraft',
      {
        config: policy('aircraft', 'read'),
        schema: {
          tags,
          summary: 'List aircraft',
          description: `${SCOPE_NOTE} Sorted by tail number unless \`sort\` says otherwise; paginated with \`Link: <…>; rel="next"\`.`,
          querystring: ListQuery,
          response: { 200: Type.Array(Aircraft), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const {
          org_id: orgId,
          status,
          model,
          q,
          tail_number: tailNumber,
          aircraft_type_id: aircraftTypeId,
          serial_number: serialNumber,
          sort,
        } = request.query;
        const page = pageFrom(request.query);
        const keys = parseSort(sort, AIRCRAFT_SORT_FIELDS, [{ field: 'tail_number', direction: 'asc' }]);
        if (q !== undefined && tailNumber !== undefined && q !== tailNumber) {
          throw AppError.validation(
            'q and tail_number are two names for one filter; send one of them',
            [{ field: 'querystring.tail_number', message: 'differs from q' }],
            'CONFLICTING_FILTERS',
          );
        }
        const filter = { orgId, status, model, aircraftTypeId, serialNumber, tailNumber: q ?? tailNumber };
        const result = await aircraft.list(actorOf(request), filter, keys, page);
        return sendPage(request, reply, page, result, aircraftView);
      },
    );

    app.get(
      '/aircraft/:id',
      {
        config: policy('aircraft', 'read'),
        schema: {
          tags,
          summary: 'Get an aircraft',
          description: SCOPE_NOTE,
          params: IdParams,
          querystring: ScopeQuery,
          response: { 200: Aircraft, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        aircraftView(
          await aircraft.get(actorOf(request), request.params.id, { orgId: request.query.org_id }),
        ),
    );

    app.patch(
      '/aircraft/:id',
      {
        config: policy('aircraft', 'update'),
        schema: {
          tags,
          summary: 'Change an aircraft',
          description: `${SCOPE_NOTE} Dates are checked against the stored ones (400 NEXT_DUE_NOT_AFTER_LAST_MAINTENANCE). A status set here is manual and stays until changed by hand; making the aircraft operational while a task is in progress or a confirmed task starts within the grounding lead time is 409 AIRCRAFT_GROUNDING_REQUIRED. A status change also emits aircraft_status_updated.`,
          params: IdParams,
          querystring: ScopeQuery,
          body: UpdateAircraftBody,
          response: { 200: Aircraft, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        aircraftView(
          await aircraft.update(mutationContext(request), request.params.id, aircraftFields(request.body), {
            orgId: request.query.org_id,
          }),
        ),
    );

    app.delete(
      '/aircraft/:id',
      {
        config: policy('aircraft', 'delete'),
        schema: {
          tags,
          summary: 'Delete an aircraft',
          description: `${SCOPE_NOTE} Soft delete: the aircraft disappears from the API, its tail number may be reused, its history stays. Refused with 409 AIRCRAFT_HAS_ACTIVE_TASKS while any of its tasks is scheduled or in progress.`,
          params: IdParams,
          querystring: ScopeQuery,
          response: {
            204: Type.Null({ description: 'Deleted.' }),
            ...errorResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        await aircraft.delete(mutationContext(request), request.params.id, { orgId: request.query.org_id });
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/aircraft/:id/usage',
      {
        config: policy('aircraft', 'update'),
        validatorCompiler: usageValidatorCompiler,
        schema: {
          tags,
          summary: 'Record flights',
          description: `${SCOPE_NOTE} Takes one flight or an array of up to ${MAX_USAGE_BATCH}. A flight whose source_ref the aircraft already has (from an earlier request or earlier in this one) is a duplicate and counts nothing, so re-sending a batch is safe. The counters move forward by exactly the new flights. Answers 201 when anything new was recorded, 200 when everything was a duplicate. Flight hours take at most two decimals (400 FLIGHT_HOURS_PRECISION); recorded_at must not be in the future (400 RECORDED_AT_IN_FUTURE).`,
          params: IdParams,
          querystring: ScopeQuery,
          body: UsageBody,
          response: { 200: UsageOutcome, 201: UsageOutcome, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const input = Array.isArray(body) ? body.map(usageInput) : usageInput(body);
        const outcome = await aircraft.recordUsage(mutationContext(request), request.params.id, input, {
          orgId: request.query.org_id,
        });
        return reply.code(outcome.recorded > 0 ? 201 : 200).send({
          recorded: outcome.recorded,
          duplicates: outcome.duplicates,
          flight_hours_total: outcome.flightHoursTotal,
          cycles_total: outcome.cyclesTotal,
        });
      },
    );

    app.get(
      '/aircraft/:id/usage',
      {
        config: policy('aircraft', 'read'),
        schema: {
          tags,
          summary: 'List recorded flights',
          description: `${SCOPE_NOTE} Latest first unless \`sort\` says otherwise; \`from\`/\`to\` bound recorded_at as [from, to) (to must be after from, 400 INVALID_TIME_RANGE); paginated with \`Link: <…>; rel="next"\`.`,
          params: IdParams,
          querystring: UsageListQuery,
          response: { 200: Type.Array(Usage), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { org_id: orgId, from, to, sort } = request.query;
        const page = pageFrom(request.query);
        const keys = parseSort(sort, USAGE_SORT_FIELDS, [{ field: 'recorded_at', direction: 'desc' }]);
        const result = await aircraft.listUsage(
          actorOf(request),
          request.params.id,
          { orgId, from: toDate(from) ?? undefined, to: toDate(to) ?? undefined },
          keys,
          page,
        );
        return sendPage(request, reply, page, result, aircraftUsageView);
      },
    );
  };
