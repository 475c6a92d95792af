import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { parseSort } from '../../../app/pagination.js';
import { wasMoved } from '../../../app/program-generation.js';
import { PROGRAM_SORT_FIELDS, programView } from '../../../app/programs.js';
import type { Services } from '../../../app/services.js';
import { INTERVAL_TYPES, MAX_INTERVAL_VALUE } from '../../../domain/program.js';
import { TASK_PRIORITIES } from '../../../domain/scheduling.js';
import { TASK_TYPES } from '../../../domain/task.js';
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

const LeadValue = Type.Integer({
  minimum: 0,
  maximum: MAX_INTERVAL_VALUE,
  description:
    'How early before its due point the program generates its next task, in the program’s units (days, hours or cycles). Default: a tenth of interval_value, at least 1.',
});

const TaskPriorityField = Type.Enum(TASK_PRIORITIES, {
  description:
    'The priority of the tasks the program generator creates for the program: routine (the default), urgent, aog or critical.',
});

const TaskTypeField = Type.Enum(TASK_TYPES, {
  description: 'The type of the tasks the program generator creates for this program (default inspection).',
});

const TaskDurationMinutes = Type.Integer({
  minimum: 1,
  maximum: 43_200,
  description: 'The length of a generated task’s window in minutes, 1 to 43200 (30 days); default 480.',
});

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
        'When the program is next due, or null while that cannot be computed (never performed, or the counters of its last performance are unknown). A calendar program never performed is first due at its aircraft’s next_due, when the aircraft has one.',
    }),
    lead_value: nullable(
      Type.Integer(),
      'The program’s own lead in its units (days, hours or cycles), or null for the default (a tenth of the interval, at least 1).',
    ),
    effective_lead_value: Type.Integer({
      description: 'The lead the program generator uses: lead_value, or the default when that is null.',
    }),
    task_type: TaskTypeField,
    task_duration_minutes: Type.Integer({
      description: 'The length of a generated task’s window in minutes.',
    }),
    task_priority: TaskPriorityField,
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
    ...CursorQuery,
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

/** The body of POST /maintenance-programs; CSV imports of programs check their rows against it too. */
export const CreateProgramBody = Type.Object(
  {
    name: ProgramName,
    interval_type: IntervalType,
    interval_value: IntervalValue,
    aircraft_id: Type.Optional(
      uuidField('A live aircraft of the organization the program applies to; leave out for a template.'),
    ),
    last_performed: Type.Optional(LastPerformed),
    lead_value: Type.Optional(LeadValue),
    task_type: Type.Optional(TaskTypeField),
    task_duration_minutes: Type.Optional(TaskDurationMinutes),
    task_priority: Type.Optional(TaskPriorityField),
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
    lead_value: Type.Optional(
      Type.Union([LeadValue, Type.Null()], { description: 'The lead; null returns to the default.' }),
    ),
    task_type: Type.Optional(TaskTypeField),
    task_duration_minutes: Type.Optional(TaskDurationMinutes),
    task_priority: Type.Optional(TaskPriorityField),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description: 'The fields to change. The aircraft binding and the performance counters cannot be changed.',
  },
);

const GenerateBody = Type.Object(
  {
    program_id: Type.Optional(
      uuidField(
        'Only this program (a live program of the organization, else 404); leave out for every due one.',
      ),
    ),
  },
  {
    additionalProperties: false,
    description: 'What to generate for; an empty body generates for every due program.',
  },
);

/** A task the generator created. */
const GeneratedTaskView = Type.Object(
  {
    program_id: uuidField('The program the task was generated for.'),
    task_id: uuidField('The new scheduled task (see GET /maintenance-tasks/{id}).'),
    aircraft_id: uuidField('The aircraft of the program and the task.'),
    type: Type.Enum(TASK_TYPES, { description: 'The task type, from the program’s task_type.' }),
    start_time: timestampField('Start of the task window.'),
    end_time: timestampField('End of the task window: start_time plus the program’s task_duration_minutes.'),
    due_at: Type.Union([timestampField('When the calendar program falls due.'), Type.Null()], {
      description: 'Calendar programs performed before: when the program falls due; otherwise null.',
    }),
    remaining: nullable(
      Type.Number(),
      'Flight-hours and cycles programs performed before: hours or cycles left before the due point (negative when overdue); otherwise null.',
    ),
    planned_start_time: timestampField(
      'The start the rules asked for: the due time while it is ahead, else the next full hour.',
    ),
    moved: Type.Boolean({
      description:
        'true when another task held the planned window and the task took the aircraft’s next free one.',
    }),
  },
  { additionalProperties: false, description: 'A task the program generator created.' },
);

/** A program the generator left alone. */
const SkippedProgramView = Type.Object(
  {
    program_id: uuidField('The program.'),
    reason: Type.Enum(['TEMPLATE_PROGRAM', 'NOT_DUE', 'ACTIVE_TASK_EXISTS', 'CONCURRENT_CHANGE'], {
      description:
        'TEMPLATE_PROGRAM: bound to no aircraft; NOT_DUE: not within its lead yet; ACTIVE_TASK_EXISTS: a task of it is scheduled or in progress; CONCURRENT_CHANGE: another change won a race, the next run retries.',
    }),
    message: Type.String({ description: 'The reason in words.' }),
  },
  { additionalProperties: false, description: 'A program the generator made no task for, and why.' },
);

const GenerateResponse = Type.Object(
  {
    generated: Type.Array(GeneratedTaskView, { description: 'The tasks created by this call.' }),
    skipped: Type.Array(SkippedProgramView, {
      description:
        'The named program when it generated nothing, or due programs another change got to first.',
    }),
  },
  { additionalProperties: false, description: 'What the generator did.' },
);

const tags = ['maintenance programs'];

/** `/maintenance-programs`: recurring maintenance requirements; schedulers and admins write, everyone reads. */
export const programRoutes =
  ({ programs, programGeneration }: Services) =>
  async (instance: FastifyInstance): Promise<void> => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/maintenance-programs/generate',
      {
        config: policy('maintenance_programs', 'generate'),
        schema: {
          tags,
          summary: 'Generate the tasks of due maintenance programs now',
          description: `${SCOPE_NOTE} Runs the program generator (which also runs every 6 hours) for the organization: every live program bound to a live aircraft that is due within its lead and has no scheduled or in-progress task gets one scheduled task. With \`program_id\`, only that program, and the answer says why when it generated nothing. Send \`Idempotency-Key\` to make a retry safe.`,
          querystring: ScopeQuery,
          body: GenerateBody,
          response: { 200: GenerateResponse, ...errorResponses(400, 401, 403, 404, 409) },
        },
        // The body is optional: a request without one generates for every due program.
        preValidation: async (request) => {
          request.body ??= {};
        },
      },
      async (request) => {
        const context = mutationContext(request);
        const result = await programGeneration.generateDue({
          orgId: request.query.org_id,
          programId: request.body.program_id,
          now: new Date(),
          actor: context.actor,
          request: context.request,
        });
        return {
          generated: result.generated.map((generated) => ({
            program_id: generated.plan.programId,
            task_id: generated.task.id,
            aircraft_id: generated.task.aircraftId,
            type: generated.task.type,
            start_time: generated.task.startTime.toISOString(),
            end_time: generated.task.endTime.toISOString(),
            due_at: generated.plan.dueAt?.toISOString() ?? null,
            remaining: generated.plan.remaining,
            planned_start_time: generated.plan.startTime.toISOString(),
            moved: wasMoved(generated),
          })),
          skipped: result.skipped.map((skip) => ({
            program_id: skip.programId,
            reason: skip.reason,
            message: skip.message,
          })),
        };
      },
    );

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
          leadValue: body.lead_value,
          taskType: body.task_type,
          taskDurationMinutes: body.task_duration_minutes,
          taskPriority: body.task_priority,
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
            leadValue: body.lead_value,
            taskType: body.task_type,
            taskDurationMinutes: body.task_duration_minutes,
            taskPriority: body.task_priority,
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
