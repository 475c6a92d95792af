import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { SCHEDULE_HISTORY_SORT_FIELDS, scheduleChangeView } from '../../../app/reschedule.js';
import type { Services } from '../../../app/services.js';
import { taskView } from '../../../app/tasks.js';
import {
  MAX_TIMELINE_AIRCRAFT,
  MAX_TIMELINE_DAYS,
  MAX_TIMELINE_TASKS,
  type Timeline,
} from '../../../app/timeline.js';
import { AIRCRAFT_STATUSES } from '../../../domain/aircraft.js';
import { mutationContext } from '../context.js';
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
  toDate,
  uuidField,
} from '../schemas/common.js';
import { TaskDependency } from './task-dependencies.js';
import { Task } from './tasks.js';

const tags = ['scheduling'];

const nullableUuid = (description: string) =>
  Type.Union([uuidField(description), Type.Null()], { description });

const RescheduleBody = Type.Object(
  {
    start_time: timestampField('The task’s new start (inclusive).'),
    end_time: timestampField('The task’s new end (exclusive); after start_time.'),
    reason: Type.String({
      minLength: 1,
      maxLength: 2000,
      pattern: '\\S',
      description:
        'Why the task moves (a part arrives late, the aircraft went AOG…); kept in the schedule history.',
    }),
    cascade: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Move every dependent task, transitively, by the least amount that keeps its dependencies. Without it a dependent that would break is a CASCADE_REQUIRED blocker.',
      }),
    ),
    dry_run: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'Answer the plan (every move and every blocker) without writing anything.',
      }),
    ),
  },
  { additionalProperties: false },
);

const Move = Type.Object(
  {
    task_id: uuidField('The task that moves.'),
    aircraft_id: uuidField('Its aircraft.'),
    old_start_time: timestampField('Its start before the move.'),
    old_end_time: timestampField('Its end before the move.'),
    new_start_time: timestampField('Its start after the move.'),
    new_end_time: timestampField('Its end after the move.'),
    cascaded_from_task_id: nullableUuid(
      'The task whose move forced this one; null for the task asked to move.',
    ),
  },
  { description: 'One task’s move.' },
);

const Blocker = Type.Object(
  {
    task_id: uuidField('The task that cannot move as planned.'),
    reason: Type.String({
      description:
        'DEPENDENCY_NOT_MET, CASCADE_REQUIRED, START_TIME_FROZEN, TASK_OVERLAP, MECHANIC_BUSY or MECHANIC_NOT_QUALIFIED.',
    }),
    message: Type.String({ description: 'What blocks it, in words.' }),
    other_task_id: nullableUuid('The other task involved, when there is one.'),
  },
  { description: 'Why the plan cannot be carried out, for one task.' },
);

const RescheduleResult = Type.Object({
  dry_run: Type.Boolean({ description: 'Whether this was only a plan.' }),
  change_id: nullableUuid(
    'The change every schedule-change row of this reschedule shares; null for a dry run.',
  ),
  moves: Type.Array(Move, {
    description: 'The task asked to move first, then the cascaded ones in dependency order.',
  }),
  blockers: Type.Array(Blocker, {
    description: 'What would block the plan (a dry run only: an applied reschedule with a blocker is a 409).',
  }),
});

const ScheduleChange = Type.Object({
  id: uuidField('The schedule-change row.'),
  task_id: uuidField('The task that moved.'),
  change_id: uuidField('The reschedule or edit it belongs to; every move of one cascade shares it.'),
  old_start_time: timestampField('Start before.'),
  old_end_time: timestampField('End before.'),
  new_start_time: timestampField('Start after.'),
  new_end_time: timestampField('End after.'),
  reason: Type.Union([Type.String(), Type.Null()], {
    description: 'Why, as the reschedule said; null for a plain edit of the window (PATCH).',
  }),
  cascaded_from_task_id: nullableUuid('The task whose move forced this one; null for a task moved itself.'),
  changed_by: nullableUuid('The user who moved it; null for a job.'),
  changed_by_org_id: nullableUuid('That user’s organization.'),
  actor: Type.String({
    description: 'Who moved it, as the audit log names actors (`user:scheduler`, `system:…`).',
  }),
  changed_at: timestampField('When.'),
});

const HistoryQuery = Type.Object(
  { ...OrgScopeQuery, ...PageQuery, ...CursorQuery, sort: sortQuery(SCHEDULE_HISTORY_SORT_FIELDS) },
  { additionalProperties: false },
);

const TimelineQuery = Type.Object(
  {
    ...OrgScopeQuery,
    from: timestampField('Start of the range (inclusive).'),
    to: timestampField(
      `End of the range (exclusive); after from and at most ${MAX_TIMELINE_DAYS} days later.`,
    ),
    aircraft_id: Type.Optional(
      uuidField(
        'Only this aircraft’s tasks (404 AIRCRAFT_NOT_FOUND unless it is a live aircraft of the organization).',
      ),
    ),
  },
  { additionalProperties: false },
);

/** A task's dependency (as its own list shows it) without the view from one end. */
const TimelineDependency = Type.Pick(
  TaskDependency,
  ['id', 'predecessor_id', 'successor_id', 'type', 'lag_minutes', 'status'],
  { additionalProperties: false, description: 'A dependency between two tasks of the timeline.' },
);

const TimelineAircraft = Type.Object(
  {
    id: uuidField('Aircraft id.'),
    tail_number: Type.String({ description: 'Registration, e.g. N201DA.' }),
    model: Type.String({ description: 'Model, e.g. A320neo.' }),
    aircraft_type_id: Type.Union([uuidField('Its ICAO aircraft type.'), Type.Null()], {
      description: 'Its ICAO aircraft type, when known (what a mechanic’s type rating must cover).',
    }),
    status: Type.Enum(AIRCRAFT_STATUSES, { description: 'operational, maintenance or grounded.' }),
  },
  { additionalProperties: false, description: 'A row of the timeline: an aircraft in brief.' },
);

const TimelineSchema = Type.Object(
  {
    from: timestampField('Start of the range read.'),
    to: timestampField('End of the range read (exclusive).'),
    aircraft: Type.Array(TimelineAircraft, {
      description: `The rows: every live aircraft of the organization (or the one named by aircraft_id), by tail number; at most ${MAX_TIMELINE_AIRCRAFT}.`,
    }),
    tasks: Type.Array(Task, {
      description: `Live tasks of every state whose window meets [from, to), by start_time then id; at most ${MAX_TIMELINE_TASKS}.`,
    }),
    dependencies: Type.Array(TimelineDependency, {
      description: 'Every dependency whose predecessor and successor are both in `tasks`.',
    }),
    truncated: Type.Boolean({
      description: `True when the range holds more than ${MAX_TIMELINE_TASKS} tasks, or the organization more than ${MAX_TIMELINE_AIRCRAFT} aircraft: those given are the first (by start, by tail number); narrow the range or name an aircraft for the rest.`,
    }),
  },
  {
    additionalProperties: false,
    description: 'The schedule over a range: its tasks and their dependencies.',
  },
);

const timelineView = (timeline: Timeline) => ({
  from: timeline.from.toISOString(),
  to: timeline.to.toISOString(),
  aircraft: timeline.aircraft.map((a) => ({
    id: a.id,
    tail_number: a.tailNumber,
    model: a.model,
    aircraft_type_id: a.aircraftTypeId,
    status: a.status,
  })),
  tasks: timeline.tasks.map(taskView),
  dependencies: timeline.dependencies.map((d) => ({
    id: d.id,
    predecessor_id: d.predecessorId,
    successor_id: d.successorId,
    type: d.type,
    lag_minutes: d.lagMinutes,
    status: d.status,
  })),
  truncated: timeline.truncated,
});

/** Rescheduling a task with its dependents, the schedule history and the timeline (issue 13, 15). */
export const schedulingRoutes =
  ({ rescheduling, timeline }: Services) =>
  async (instance: FastifyInstance): Promise<void> => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/maintenance-tasks/:id/reschedule',
      {
        config: policy('task_schedule', 'reschedule'),
        schema: {
          tags,
          summary: 'Reschedule a task, with its dependents',
          description: `${SCOPE_NOTE} Moves the task to the new window; with \`cascade\` every dependent task (transitively) moves later by the least amount that keeps its dependency, keeping its length; all move in one transaction or none does. The task's own rules are a PATCH's: a completed or cancelled task is 409 TASK_FINAL, the start of a task in progress is 409 START_TIME_FROZEN, end_time must be after start_time (400 END_BEFORE_START), reason must not be blank (400). The plan is checked whole: the new window must still satisfy the task's own predecessors (DEPENDENCY_NOT_MET), a dependent that would break without cascade is CASCADE_REQUIRED, a dependent in progress cannot move its start (START_TIME_FROZEN), no moved task may overlap another active task of its aircraft (TASK_OVERLAP) or of its mechanic (MECHANIC_BUSY), and each moved task's mechanic must be qualified for the new window (MECHANIC_NOT_QUALIFIED). \`dry_run\` answers the plan with its blockers (200) and writes nothing; otherwise any blocker is a 409 with the first blocker's reason and one \`details\` entry per blocker (field \`tasks[<task id>]\`). An applied reschedule writes one immutable schedule-change row per moved task (all sharing \`change_id\`), one audit row and one \`task_rescheduled\` event per moved task, and brings the aircraft's status in line.`,
          params: IdParams,
          querystring: Type.Object(OrgScopeQuery, { additionalProperties: false }),
          body: RescheduleBody,
          response: { 200: RescheduleResult, ...errorResponses(400, 401, 403, 404, 409, 429) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const result = await rescheduling.reschedule(mutationContext(request), request.params.id, {
          orgId: request.query.org_id,
          startTime: toDate(body.start_time),
          endTime: toDate(body.end_time),
          reason: body.reason,
          cascade: body.cascade,
          dryRun: body.dry_run,
        });
        return reply.code(200).send(result);
      },
    );

    app.get(
      '/maintenance-tasks/:id/schedule-history',
      {
        config: policy('task_schedule', 'read'),
        schema: {
          tags,
          summary: "List a task's schedule changes",
          description: `${SCOPE_NOTE} Every move of the task's window — by a reschedule (with its reason, and the task it cascaded from) or a plain edit (reason null) — oldest first unless \`sort=-changed_at\`; paginated with \`Link: <…>; rel="next"\` (\`offset\` or \`cursor\`). 404 TASK_NOT_FOUND for a task that is not a live task of the organization.`,
          params: IdParams,
          querystring: HistoryQuery,
          response: { 200: Type.Array(ScheduleChange), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const page = pageFrom(request.query);
        const result = await rescheduling.history(
          actorOf(request),
          request.params.id,
          { orgId: request.query.org_id, sort: request.query.sort },
          page,
        );
        return sendPage(request, reply, page, result, scheduleChangeView);
      },
    );

    app.get(
      '/scheduling/timeline',
      {
        config: policy('scheduling_conflicts', 'read'),
        schema: {
          tags,
          summary: 'The schedule over a range: tasks and their dependencies',
          description: `${SCOPE_NOTE} Every live aircraft (the rows), every live task — of any state — whose window meets [from, to) (at most ${MAX_TIMELINE_DAYS} days), and every dependency among those tasks with its status, in one answer: what a planner's timeline draws. Not paginated: at most ${MAX_TIMELINE_TASKS} tasks, and \`truncated\` says when the range holds more. 400 INVALID_TIME_RANGE for an empty or longer range.`,
          querystring: TimelineQuery,
          response: { 200: TimelineSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const query = request.query;
        const result = await timeline.read(actorOf(request), {
          orgId: query.org_id,
          from: toDate(query.from),
          to: toDate(query.to),
          aircraftId: query.aircraft_id,
        });
        return timelineView(result);
      },
    );
  };
