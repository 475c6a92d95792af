import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { CONFLICT_TYPES, DEFAULT_RANGE_DAYS, MAX_RANGE_DAYS, type Conflict } from '../../../app/conflicts.js';
import type { Services } from '../../../app/services.js';
import { pageFrom, sendPage } from '../pagination.js';
import { actorOf, policy } from '../plugins/auth.js';
import { errorResponses, OrgScopeQuery, PageQuery, SCOPE_NOTE, uuidField } from '../schemas/common.js';

const timestamp = (description: string) =>
  Type.String({ format: 'date-time', description, examples: ['2030-03-01T08:00:00Z'] });
const opt = Type.Optional;

/** One conflict in the schedule. */
const ConflictSchema = Type.Object(
  {
    type: Type.Enum(CONFLICT_TYPES, {
      description:
        'dependency_violation: a successor scheduled earlier than its predecessor allows; mechanic_overlap: one mechanic on two overlapping active tasks; past_due: a task finishing after its program’s or directive’s due date; parts_short: a task whose required parts will not be there at its start; mechanic_unqualified: the assigned mechanic is not qualified for the task now.',
    }),
    task_ids: Type.Array(uuidField('A task.'), {
      description:
        'The tasks involved: [predecessor, successor] for dependency_violation, the earlier-starting task first for mechanic_overlap, else the one task.',
    }),
    aircraft_ids: Type.Array(uuidField('An aircraft.'), {
      description: 'The aircraft of those tasks (each once).',
    }),
    mechanic_id: Type.Union([uuidField('The mechanic.'), Type.Null()], {
      description: 'The mechanic at stake (mechanic_overlap, mechanic_unqualified), else null.',
    }),
    start_time: timestamp('The start of the first task involved (the list is ordered by it).'),
    sentence: Type.String({ description: 'What is wrong, in a plain-English sentence.' }),
    dependency_id: opt(uuidField('dependency_violation: the dependency that is not met.')),
    dependency_type: opt(
      Type.String({
        description: 'dependency_violation: finish_to_start, start_to_start or finish_to_finish.',
      }),
    ),
    lag_minutes: opt(Type.Integer({ description: 'dependency_violation: the dependency’s lag.' })),
    predecessor_id: opt(uuidField('dependency_violation: the predecessor.')),
    successor_id: opt(uuidField('dependency_violation: the successor scheduled too early.')),
    required_shift_minutes: opt(
      Type.Integer({
        description: 'dependency_violation: how much later (minutes, rounded up) the successor must move.',
      }),
    ),
    earliest_start: opt(timestamp('dependency_violation: the successor’s start once moved that much.')),
    overlap_start: opt(timestamp('mechanic_overlap: when the double booking starts.')),
    overlap_end: opt(timestamp('mechanic_overlap: when it ends.')),
    due_source: opt(Type.String({ description: 'past_due: program or directive.' })),
    due_date: opt(
      Type.String({
        format: 'date',
        description: 'past_due: the due day (UTC); the task finishes after its end.',
      }),
    ),
    program_id: opt(
      Type.Union([uuidField('The program.'), Type.Null()], {
        description: 'past_due: the program, or null.',
      }),
    ),
    directive_id: opt(
      Type.Union([uuidField('The directive.'), Type.Null()], {
        description: 'past_due: the directive, or null.',
      }),
    ),
    aircraft_directive_id: opt(
      Type.Union([uuidField('The tracking row.'), Type.Null()], {
        description: 'past_due: the directive’s tracking row on the aircraft, or null.',
      }),
    ),
    part_definition_id: opt(uuidField('parts_short: the part definition short.')),
    required: opt(Type.Integer({ description: 'parts_short: how many the task requires.' })),
    reserved: opt(Type.Integer({ description: 'parts_short: how many are reserved for it.' })),
    available: opt(
      Type.Integer({ description: 'parts_short: free stock now (in stock, unexpired, unreserved).' }),
    ),
    demand_before: opt(
      Type.Integer({
        description: 'parts_short: unreserved demand of earlier-starting active tasks for it.',
      }),
    ),
    short: opt(Type.Integer({ description: 'parts_short: how many the task will lack at its start.' })),
    earliest_arrival: opt(
      Type.Union([timestamp('Now plus the definition’s lead time.'), Type.Null()], {
        description:
          'parts_short: the earliest new stock could arrive (now + lead_time_days), or null when unknown.',
      }),
    ),
    missing: opt(
      Type.Array(
        Type.Object(
          {
            kind: Type.String({ description: 'certification, type_rating, skill or recency.' }),
            type_id: Type.Union([Type.String(), Type.Null()], { description: 'The type at stake, or null.' }),
            name: Type.String({ description: 'Its name.' }),
            reason: Type.String({ description: 'Why it is missing (a MISSING_REASON).' }),
            message: Type.String({ description: 'In words.' }),
          },
          { additionalProperties: false },
        ),
        { description: 'mechanic_unqualified: what the mechanic lacks.' },
      ),
    ),
  },
  { additionalProperties: false, description: 'A conflict in the schedule.' },
);

type ConflictView = Static<typeof ConflictSchema>;

const conflictView = (c: Conflict): ConflictView => ({
  type: c.type,
  task_ids: c.taskIds,
  aircraft_ids: c.aircraftIds,
  mechanic_id: c.mechanicId,
  start_time: c.start.toISOString(),
  sentence: c.sentence,
  ...c.details,
});

const ConflictsQuery = Type.Object(
  {
    ...PageQuery,
    ...OrgScopeQuery,
    from: opt(timestamp('Start of the range (inclusive). Default: now.')),
    to: opt(
      timestamp(
        `End of the range (exclusive), after from and at most ${MAX_RANGE_DAYS} days later. Default: from + ${DEFAULT_RANGE_DAYS} days.`,
      ),
    ),
    aircraft_id: opt(
      uuidField(
        'Only conflicts involving a task of this aircraft (404 AIRCRAFT_NOT_FOUND unless it is a live aircraft of the organization).',
      ),
    ),
    type: opt(Type.Enum(CONFLICT_TYPES, { description: 'Only conflicts of this type.' })),
  },
  { additionalProperties: false },
);

/** `/scheduling/conflicts`: what is wrong with the plan in a time range. */
export const conflictsRoutes =
  ({ conflicts }: Services) =>
  async (instance: FastifyInstance): Promise<void> => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/scheduling/conflicts',
      {
        config: policy('scheduling_conflicts', 'read'),
        schema: {
          tags: ['scheduling'],
          summary: 'Conflicts in the schedule',
          description: `${SCOPE_NOTE} Every conflict among live scheduled or in-progress tasks whose window meets [from, to) (default: now to ${DEFAULT_RANGE_DAYS} days later; at most ${MAX_RANGE_DAYS} days): unmet dependencies, a mechanic on overlapping tasks, tasks finishing after their program's or directive's due date, required parts not in stock for a task's start (after earlier tasks take theirs) and mechanics not qualified for their task. Each names its tasks and says what is wrong in a sentence. Ordered by the first task's start, type and task ids; paginated with \`Link: <…>; rel="next"\`.`,
          querystring: ConflictsQuery,
          response: {
            200: Type.Array(ConflictSchema, { description: 'The conflicts.' }),
            ...errorResponses(400, 401, 403, 404),
          },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const page = pageFrom(query);
        const result = await conflicts.list(
          actorOf(request),
          {
            orgId: query.org_id,
            from: query.from === undefined ? undefined : new Date(query.from),
            to: query.to === undefined ? undefined : new Date(query.to),
            aircraftId: query.aircraft_id,
            type: query.type,
          },
          page,
        );
        return sendPage(request, reply, page, result, conflictView);
      },
    );
  };
