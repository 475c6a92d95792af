import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { parseSort } from '../../../app/pagination.js';
import { PROGRAM_SORT_FIELDS, programView } from '../../../app/programs.js';
import type { Services } from '../../../app/services.js';
import { INTERVAL_TYPES, MAX_INTERVAL_VALUE } from '../../../domain/program.js';
import { createdLocation, mutationContext } from '../context.js';
import { pageFrom, sendPage } from '../pagination.js';
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

const IntervalType = Type.Enum(INTERVAL_TYPES, {
  description:
    'How the interval is measured: calendar (days), flight_hours (hours flown) or cycles (flights).',
});

const IntervalValue = Type.Integer({
  minimum: 1,
  maximum: MAX_INTERVAL_VALUE,
  description: 'The interval, greater than 0: days for calendar, hours for flight_hours, cycles for cycles.',
});

const ProgramName = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'What the program is, e.g. "A-check"; trimmed, must not be blank.',
});

const LastPerformed = timestampField(
  'When the program was last performed; not in the future. Task completion keeps it up to date.',
);

const nullable = <T extends TSchema>(schema: T, description: string) =>
  Type.Union([schema, Type.Null()], { description });

/** When the program is next due; exactly one of `at`, `flight_hours` and `cycles` is set. */
const NextDue = Type.Object(
  {
    at: Type.Union(
      [timestampField('Calendar programs: last_performed plus interval_value days.'), Type.Null()],
      {
        description:
          'Calendar programs: last_performed plus interval_value days (RFC 3339, UTC); otherwise null.',
      },
    ),
    flight_hours: nullable(
      Type.Number(),
      'Flight-hours programs: the aircraft flight-hour total at which the program is due; otherwise null.',
    ),
    cycles: nullable(
      Type.Integer(),
      'Cycles programs: the aircraft cycle total at which the program is due; otherwise null.',
    ),
    remaining: nullable(
      Type.Number(),
      'Flight-hours and cycles programs bound to an aircraft: hours or cycles left before the program is due, from the aircraft’s current totals (negative when overdue); otherwise null.',
    ),
  },
  { additionalProperties: false, description: 'When the program is next due.' },
);

/** A maintenance program. */
const Program = Type.Object(
  {
    id: uuidField('Program id.'),
    org_id: uuidField('The organization the program belongs to.'),
    aircraft_id: Type.Union([uuidField('The aircraft the program applies to.'), Type.Null()], {
      description: 'The aircraft the program applies to, or null for a template. Fixed at creation.',
    }),
    name: Type.String({ description: 'What the program is, e.g. "A-check".' }),
    interval_type: IntervalType,
    interval_value: Type.Integer({
      description: 'The interval: days for calendar, hours for flight_hours, cycles for cycles.',
    }),
    last_performed: Type.Union([LastPerformed, Type.Null()], {
      description: 'When the program was last performed (RFC 3339, UTC), or null if never.',
    }),
    last_performed_flight_hours: nullable(
      Type.Number(),
      'The aircraft’s flight-hour total when the program was last performed; set by task completion only.',
    ),
    last_performed_cycles: nullable(
      Type.Integer(),
      'The aircraft’s cycle total when the program was last performed; set by task completion only.',
    ),
    next_due: Type.Union([NextDue, Type.Null()], {
      description:
        'When the program is next due, or null while that cannot be computed (never performed, or the counters of its last performance are unknown).',
    }),
    created_at: timestampField('When the program was created.'),
    updated_at: timestampField('When the program last changed.'),
  },
  {
    additionalProperties: false,
    description:
      'A recurring maintenance requirement of one aircraft, or a template when aircraft_id is null.',
  },
);

/** `?org_id=`: the only way an admin acts in another organization; anyone else naming one gets 403. */
const ScopeQuery = Type.Object(OrgScopeQuery, { additionalProperties: false });

const ListQuery = Type.Object(
  {
    ...PageQuery,
    ...OrgScopeQuery,
    aircraft_id: Type.Optional(uuidField('Only programs bound to this aircraft.')),
    interval_type: Type.Optional(
      Type.Enum(INTERVAL_TYPES, { description: 'Only programs of this interval type.' }),
    ),
    template: Type.Optional(
      Type.Boolean({
        description: 'true: only templates (no aircraft); false: only programs bound to an aircraft.',
      }),
    ),
    sort: sortQuery(PROGRAM_SORT_FIELDS),
  },
  { additionalProperties: false },
);

const CreateProgramBody = Type.Object(
  {
    name: ProgramName,
    interval_type: IntervalType,
    interval_value: IntervalValue,
    aircraft_id: Type.Optional(
      uuidField('A live aircraft of the organization the program applies to; leave out for a template.'),
    ),
    last_performed: Type.Optional(LastPerformed),
  },
  {
    additionalProperties: false,
    description: 'The new program. It joins your organization, or the one an admin names with `?org_id=`.',
  },
);

const UpdateProgramBody = Type.Object(
  {
    name: Type.Optional(ProgramName),
    interval_type: Type.Optional(IntervalType),
    interval_value: Type.Optional(IntervalValue),
    last_performed: Type.Optional(
      Type.Union([LastPerformed, Type.Null()], {
        description: 'When the program was last performed; not in the future; null clears it.',
      }),
    ),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description: 'The fields to change. The aircraft binding and the performance counters cannot be changed.',
  },
);

const tags = ['maintenance programs'];

/** `/maintenance-programs`: recurring maintenance requirements; schedulers and admins write, everyone reads. */
export const programRoutes =
  ({ programs }: Services) =>
  async (instance: FastifyInstance): Promise<void> => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/maintenance-programs',
      {
        config: policy('maintenance_programs', 'create'),
        schema: {
          tags,
          summary: 'Create a maintenance program',
          description: `${SCOPE_NOTE} \`aircraft_id\` must name a live aircraft of the organization (404 AIRCRAFT_NOT_FOUND); without it the program is a template. \`last_performed\` must not be in the future (400 LAST_PERFORMED_IN_FUTURE).`,
          querystring: ScopeQuery,
          body: CreateProgramBody,
          response: { 201: Program, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const program = await programs.create(mutationContext(request), {
          orgId: request.query.org_id,
          name: body.name,
          intervalType: body.interval_type,
          intervalValue: body.interval_value,
          aircraftId: body.aircraft_id,
          lastPerformed: toDate(body.last_performed) ?? undefined,
        });
        return reply
          .code(201)
          .header('Location', createdLocation(request, program.id))
          .send(programView(program));
      },
    );

    app.get(
      '/maintenance-programs',
      {
        config: policy('maintenance_programs', 'read'),
        schema: {
          tags,
          summary: 'List maintenance programs',
          description: `${SCOPE_NOTE} Ordered by name unless \`sort\` says otherwise; paginated with \`Link: <…>; rel="next"\`.`,
          querystring: ListQuery,
          response: { 200: Type.Array(Program), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const sort = parseSort(query.sort, PROGRAM_SORT_FIELDS, [{ field: 'name', direction: 'asc' }]);
        const page = pageFrom(query);
        const result = await programs.list(
          actorOf(request),
          {
            orgId: query.org_id,
            aircraftId: query.aircraft_id,
            intervalType: query.interval_type,
            template: query.template,
          },
          sort,
          page,
        );
        return sendPage(request, reply, page, result, programView);
      },
    );

    app.get(
      '/maintenance-programs/:id',
      {
        config: policy('maintenance_programs', 'read'),
        schema: {
          tags,
          summary: 'Get a maintenance program',
          description: SCOPE_NOTE,
          params: IdParams,
          querystring: ScopeQuery,
          response: { 200: Program, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        programView(await programs.get(actorOf(request), request.params.id, { orgId: request.query.org_id })),
    );

    app.patch(
      '/maintenance-programs/:id',
      {
        config: policy('maintenance_programs', 'update'),
        schema: {
          tags,
          summary: 'Change a maintenance program',
          description: `${SCOPE_NOTE} \`last_performed\` must not be in the future (400 LAST_PERFORMED_IN_FUTURE).`,
          params: IdParams,
          querystring: ScopeQuery,
          body: UpdateProgramBody,
          response: { 200: Program, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const body = request.body;
        const program = await programs.update(
          mutationContext(request),
          request.params.id,
          {
            name: body.name,
            intervalType: body.interval_type,
            intervalValue: body.interval_value,
            lastPerformed: toDate(body.last_performed),
          },
          { orgId: request.query.org_id },
        );
        return programView(program);
      },
    );

    app.delete(
      '/maintenance-programs/:id',
      {
        config: policy('maintenance_programs', 'delete'),
        schema: {
          tags,
          summary: 'Delete a maintenance program',
          description: `${SCOPE_NOTE} Soft delete. Refused with 409 PROGRAM_HAS_ACTIVE_TASKS while any task of the program is scheduled or in progress.`,
          params: IdParams,
          querystring: ScopeQuery,
          response: {
            204: Type.Null({ description: 'Deleted.' }),
            ...errorResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        await programs.delete(mutationContext(request), request.params.id, { orgId: request.query.org_id });
        return reply.code(204).send(null);
      },
    );
  };
