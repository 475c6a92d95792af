import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import type { Services } from '../../../app/services.js';
import { TASK_SORT_FIELDS, taskDetailView, taskView } from '../../../app/tasks.js';
import { COMPLIANCE_RESULTS } from '../../../domain/compliance.js';
import { TASK_PRIORITIES } from '../../../domain/scheduling.js';
import { TASK_STATES, TASK_TYPES, type RequiredPart } from '../../../domain/task.js';
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
import { complianceSignatureFields } from '../schemas/compliance.js';
import { PartReservation } from '../schemas/parts.js';
import { TaskDependency } from './task-dependencies.js';

export const TaskType = Type.Enum(TASK_TYPES, {
  description: 'The kind of work: inspection, repair or overhaul.',
});

export const TaskPriority = Type.Enum(TASK_PRIORITIES, {
  description: 'How urgent the task is, least to most: routine, urgent, aog (aircraft on ground), critical.',
});

const TaskState = Type.Enum(TASK_STATES, {
  description:
    'scheduled → in_progress → completed, or cancelled from scheduled or in_progress; completed and cancelled are final.',
});

const notesField = (description: string) =>
  Type.String({ minLength: 1, maxLength: 10_000, pattern: '\\S', description: `${description} Not blank.` });

const Notes = notesField('Free text about the work (what was done, a reference to a corrected task).');

const RequiredPartSchema = Type.Object(
  {
    part_definition_id: uuidField('A live part definition of the organization.'),
    quantity: Type.Integer({
      minimum: 1,
      maximum: 1000,
      description: 'How many items of the definition the task needs (1–1000).',
    }),
  },
  { additionalProperties: false, description: 'How many items of one part definition the task needs.' },
);

const RequiredParts = Type.Array(RequiredPartSchema, {
  maxItems: 100,
  description:
    'The parts the task needs, each definition once. Starting the task needs that many of its reservations (reserved or used) on items of each definition; completing it needs them used.',
});

/** A maintenance task. */
export const Task = Type.Object(
  {
    id: uuidField('Task id.'),
    org_id: uuidField('The organization the task belongs to.'),
    aircraft_id: uuidField('The aircraft the work is done on.'),
    program_id: Type.Union([uuidField('The program the task performs.'), Type.Null()], {
      description: 'The maintenance program the task performs, or null for a one-off task.',
    }),
    directive_id: Type.Union([uuidField('The directive the task complies with.'), Type.Null()], {
      description:
        'The airworthiness directive the task was booked to comply with (`POST /aircraft/{id}/directives/{directiveId}/task`), or null.',
    }),
    priority: TaskPriority,
    type: TaskType,
    state: TaskState,
    start_time: timestampField('When the work window opens (inclusive).'),
    end_time: timestampField('When the work window closes (exclusive).'),
    assigned_mechanic_id: Type.Union([uuidField('The mechanic assigned to the task.'), Type.Null()], {
      description: 'The mechanic assigned to the task, or null while unassigned.',
    }),
    notes: Type.Union([Type.String(), Type.Null()], { description: 'Notes about the work, or null.' }),
    version: Type.Integer({
      description: 'Bumped by every change; a state change applies only to the version it read.',
    }),
    required_parts: Type.Array(RequiredPartSchema, { description: 'The parts the task needs.' }),
    started_at: Type.Union([timestampField('When the task moved to in_progress.'), Type.Null()], {
      description: 'When the task moved to in_progress (RFC 3339, UTC), or null before.',
    }),
    completed_at: Type.Union([timestampField('When the task moved to completed.'), Type.Null()], {
      description:
        'When the task moved to completed (RFC 3339, UTC), or null before; with started_at, the worked time logged as the mechanic’s recency.',
    }),
    created_at: timestampField('When the task was created.'),
    updated_at: timestampField('When the task last changed.'),
  },
  {
    additionalProperties: false,
    description:
      'Maintenance work on one aircraft in a time window; live scheduled and in-progress tasks of one aircraft never overlap.',
  },
);

/** A compliance item of the task (the same shape as `GET /compliance-items/{id}`). */
const TaskComplianceItem = Type.Object(
  {
    id: uuidField('Compliance item id.'),
    org_id: uuidField('The organization the item belongs to.'),
    task_id: uuidField('The maintenance task the item belongs to.'),
    description: Type.String({ description: 'What is checked.' }),
    result: Type.Enum(COMPLIANCE_RESULTS, { description: 'Outcome of the check: pass, fail or pending.' }),
    signed_off: Type.Boolean({ description: 'Whether a mechanic signed the item off.' }),
    sign_off_user_id: Type.Union([uuidField('The mechanic who signed off.'), Type.Null()], {
      description: 'The mechanic who signed the item off, or null before sign-off.',
    }),
    sign_off_time: Type.Union([timestampField('When the item was signed off.'), Type.Null()], {
      description: 'When the item was signed off (RFC 3339, UTC), or null before sign-off.',
    }),
    ...complianceSignatureFields,
    created_at: timestampField('When the item was created.'),
    updated_at: timestampField('When the item last changed.'),
  },
  { additionalProperties: false, description: 'One check the task must pass before it completes.' },
);

const TaskDetail = Type.Object(
  {
    task: Task,
    reservations: Type.Array(PartReservation, {
      description: 'Every part reservation of the task, in any state, oldest first.',
    }),
    compliance: Type.Array(TaskComplianceItem, {
      description: 'The live compliance items of the task, oldest first.',
    }),
    dependencies: Type.Array(TaskDependency, {
      description:
        'Its dependencies as successor or predecessor (as `GET /maintenance-tasks/{id}/dependencies`): a dependent says here when its predecessor was cancelled or deleted.',
    }),
  },
  { additionalProperties: false, description: 'A task with its part reservations and compliance items.' },
);

const ScopeQuery = Type.Object(OrgScopeQuery, { additionalProperties: false });

const ListQuery = Type.Object(
  {
    ...PageQuery,
    ...CursorQuery,
    ...OrgScopeQuery,
    aircraft_id: Type.Optional(uuidField('Only tasks of this aircraft.')),
    state: Type.Optional(Type.Enum(TASK_STATES, { description: 'Only tasks in this state.' })),
    type: Type.Optional(Type.Enum(TASK_TYPES, { description: 'Only tasks of this type.' })),
    start_from: Type.Optional(timestampField('Only tasks starting at or after this time.')),
    start_to: Type.Optional(
      timestampField('Only tasks starting before this time (exclusive); must be after `start_from`.'),
    ),
    assigned_mechanic_id: Type.Optional(uuidField('Only tasks assigned to this mechanic.')),
    program_id: Type.Optional(uuidField('Only tasks of this maintenance program.')),
    directive_id: Type.Optional(uuidField('Only tasks booked to comply with this directive.')),
    priority: Type.Optional(Type.Enum(TASK_PRIORITIES, { description: 'Only tasks of this priority.' })),
    sort: sortQuery(TASK_SORT_FIELDS),
  },
  { additionalProperties: false },
);

const CreateTaskBody = Type.Object(
  {
    aircraft_id: uuidField('A live aircraft of the organization.'),
    program_id: Type.Optional(
      uuidField('A live maintenance program of the organization: a template or one bound to this aircraft.'),
    ),
    priority: Type.Optional(
      Type.Enum(TASK_PRIORITIES, {
        description: 'How urgent the task is: routine (the default), urgent, aog or critical.',
      }),
    ),
    type: TaskType,
    start_time: timestampField('When the work window opens (inclusive).'),
    end_time: timestampField('When the work window closes (exclusive); after start_time.'),
    assigned_mechanic_id: Type.Optional(uuidField('A live user of the organization with the mechanic role.')),
    notes: Type.Optional(Notes),
    required_parts: Type.Optional(RequiredParts),
  },
  {
    additionalProperties: false,
    description: 'The new task. It joins your organization, or the one an admin names with `?org_id=`.',
  },
);

const UpdateTaskBody = Type.Object(
  {
    program_id: Type.Optional(
      Type.Union([uuidField('A live maintenance program of the organization.'), Type.Null()], {
        description:
          'A live program of the organization (a template or one bound to this aircraft); null detaches it.',
      }),
    ),
    priority: Type.Optional(TaskPriority),
    type: Type.Optional(TaskType),
    start_time: Type.Optional(timestampField('When the work window opens (inclusive).')),
    end_time: Type.Optional(timestampField('When the work window closes (exclusive); after start_time.')),
    assigned_mechanic_id: Type.Optional(
      Type.Union([uuidField('A live mechanic of the organization.'), Type.Null()], {
        description: 'A live user of the organization with the mechanic role; null unassigns.',
      }),
    ),
    notes: Type.Optional(Type.Union([Notes, Type.Null()], { description: 'New notes; null clears them.' })),
    required_parts: Type.Optional(RequiredParts),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description: 'The non-state fields to change; `required_parts` replaces the whole list.',
  },
);

const TransitionBody = Type.Object(
  {
    new_state: Type.Enum(TASK_STATES, { description: 'The state to move the task to.' }),
    notes: Type.Optional(
      notesField('Replaces the task’s notes; completing needs notes here or already on the task.'),
    ),
    allow_early_completion: Type.Optional(
      Type.Boolean({
        description: 'Scheduler or admin only, with new_state completed: complete before end_time.',
      }),
    ),
    allow_late_cancel: Type.Optional(
      Type.Boolean({
        description: 'Admin only, with new_state cancelled: cancel later than 24 hours after start_time.',
      }),
    ),
  },
  { additionalProperties: false, description: 'The requested state change.' },
);

const tags = ['maintenance tasks'];
const OVERLAP_NOTE =
  'A window overlapping a live scheduled or in-progress task of the same aircraft is refused with 409 TASK_OVERLAP, naming that task and its window.';
const REFERENCE_NOTE =
  'Ids in the body must name live records of the organization (404 AIRCRAFT_NOT_FOUND, PROGRAM_NOT_FOUND, MECHANIC_NOT_FOUND, PART_DEFINITION_NOT_FOUND, naming the field); the assigned user must be a mechanic (400 NOT_A_MECHANIC); a program bound to another aircraft is 400 PROGRAM_AIRCRAFT_MISMATCH; end_time must be after start_time (400 END_BEFORE_START).';
const TRANSITION_NOTE = [
  'scheduled → in_progress: not earlier than 5 minutes before start_time (TOO_EARLY_TO_START); the aircraft is grounded — an operational one is grounded by the start itself (AIRCRAFT_NOT_GROUNDED for one in maintenance); a live mechanic is assigned (NO_ASSIGNED_MECHANIC) and a mechanic may start only a task assigned to them (403 NOT_ASSIGNED_MECHANIC); the required parts are reserved (REQUIRED_PARTS_NOT_RESERVED); every finish-to-start predecessor is completed and every start-to-start one has started (DEPENDENCY_NOT_MET, naming each blocker; cancelled and deleted predecessors no longer block).',
  'in_progress → completed: at or after end_time unless a scheduler or admin passes allow_early_completion (TOO_EARLY_TO_COMPLETE; a mechanic passing it gets 403 OVERRIDE_NOT_ALLOWED); a mechanic completes only a task assigned to them; every finish-to-finish predecessor is completed (DEPENDENCY_NOT_MET); no reservation still reserved and every required part used (RESERVATIONS_OPEN); every compliance item signed off with pass or fail (COMPLIANCE_INCOMPLETE); notes in the body or on the task (400 NOTES_REQUIRED). Completion sets the program’s last_performed and the aircraft’s last_maintenance, and schedules a calendar program’s next task at its next due point in the same transaction.',
  'scheduled or in_progress → cancelled: scheduler or admin only (403 CANCEL_NOT_ALLOWED); before start_time + 24 h unless an admin passes allow_late_cancel (TOO_LATE_TO_CANCEL); releases the task’s reserved parts.',
  'Any other move, including to the same state, is 409 INVALID_TRANSITION. An override flag for another target state is 400 OVERRIDE_NOT_APPLICABLE. The change applies only to the version of the task read: when another change got in first the answer is 409 CONCURRENT_UPDATE.',
].join(' ');

const toRequiredParts = (parts: Static<typeof RequiredParts> | undefined): RequiredPart[] | undefined =>
  parts?.map((part) => ({ partDefinitionId: part.part_definition_id, quantity: part.quantity }));

/** `/maintenance-tasks`: planning maintenance work on aircraft and moving it through its states. */
export const taskRoutes =
  ({ tasks }: Services) =>
  async (instance: FastifyInstance): Promise<void> => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/maintenance-tasks',
      {
        config: policy('maintenance_tasks', 'create'),
        schema: {
          tags,
          summary: 'Schedule a maintenance task',
          description: `${SCOPE_NOTE} ${REFERENCE_NOTE} ${OVERLAP_NOTE} Send an Idempotency-Key to make retries safe.`,
          querystring: ScopeQuery,
          body: CreateTaskBody,
          response: { 201: Task, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const task = await tasks.create(mutationContext(request), {
          orgId: request.query.org_id,
          aircraftId: body.aircraft_id,
          programId: body.program_id,
          priority: body.priority,
          type: body.type,
          startTime: new Date(body.start_time),
          endTime: new Date(body.end_time),
          assignedMechanicId: body.assigned_mechanic_id,
          notes: body.notes,
          requiredParts: toRequiredParts(body.required_parts),
        });
        return reply.code(201).header('Location', createdLocation(request, task.id)).send(taskView(task));
      },
    );

    app.get(
      '/maintenance-tasks',
      {
        config: policy('maintenance_tasks', 'read'),
        schema: {
          tags,
          summary: 'List maintenance tasks',
          description: `${SCOPE_NOTE} Ordered by start_time unless \`sort\` says otherwise; paginated with \`Link: <…>; rel="next"\`.`,
          querystring: ListQuery,
          response: { 200: Type.Array(Task), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const page = pageFrom(query);
        const result = await tasks.list(
          actorOf(request),
          {
            orgId: query.org_id,
            aircraftId: query.aircraft_id,
            state: query.state,
            type: query.type,
            startFrom: toDate(query.start_from),
            startTo: toDate(query.start_to),
            assignedMechanicId: query.assigned_mechanic_id,
            programId: query.program_id,
            directiveId: query.directive_id,
            priority: query.priority,
            sort: query.sort,
          },
          page,
        );
        return sendPage(request, reply, page, result, taskView);
      },
    );

    app.get(
      '/maintenance-tasks/:id',
      {
        config: policy('maintenance_tasks', 'read'),
        schema: {
          tags,
          summary: 'Get a maintenance task with its reservations and compliance items',
          description: SCOPE_NOTE,
          params: IdParams,
          querystring: ScopeQuery,
          response: { 200: TaskDetail, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        taskDetailView(await tasks.get(actorOf(request), request.params.id, { orgId: request.query.org_id })),
    );

    app.patch(
      '/maintenance-tasks/:id',
      {
        config: policy('maintenance_tasks', 'update'),
        schema: {
          tags,
          summary: 'Change a maintenance task',
          description: `${SCOPE_NOTE} Changes the fields other than the state; a completed or cancelled task is refused with 409 TASK_FINAL, and the start_time of a task in progress no longer moves (409 START_TIME_FROZEN; its end_time may). The independent inspector of one of the task’s compliance items never becomes its mechanic (409 INSPECTOR_IS_PERFORMER naming body.assigned_mechanic_id). ${REFERENCE_NOTE} ${OVERLAP_NOTE}`,
          params: IdParams,
          querystring: ScopeQuery,
          body: UpdateTaskBody,
          response: { 200: Task, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const body = request.body;
        const task = await tasks.update(
          mutationContext(request),
          request.params.id,
          {
            programId: body.program_id,
            priority: body.priority,
            type: body.type,
            startTime: toDate(body.start_time),
            endTime: toDate(body.end_time),
            assignedMechanicId: body.assigned_mechanic_id,
            notes: body.notes,
            requiredParts: toRequiredParts(body.required_parts),
          },
          { orgId: request.query.org_id },
        );
        return taskView(task);
      },
    );

    app.delete(
      '/maintenance-tasks/:id',
      {
        config: policy('maintenance_tasks', 'delete'),
        schema: {
          tags,
          summary: 'Delete a maintenance task',
          description: `${SCOPE_NOTE} Soft delete: frees the task’s window and releases its reserved parts. A task in progress is refused with 409 TASK_IN_PROGRESS, a completed one (the record of maintenance performed and the parts fitted) with 409 TASK_COMPLETED.`,
          params: IdParams,
          querystring: ScopeQuery,
          response: {
            204: Type.Null({ description: 'Deleted.' }),
            ...errorResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        await tasks.delete(mutationContext(request), request.params.id, { orgId: request.query.org_id });
        return reply.code(204).send(null);
      },
    );

    app.patch(
      '/maintenance-tasks/:id/state',
      {
        config: policy('maintenance_tasks', 'transition'),
        schema: {
          tags,
          summary: 'Move a maintenance task to another state',
          description: `${SCOPE_NOTE} ${TRANSITION_NOTE} Send an Idempotency-Key to make retries safe.`,
          params: IdParams,
          querystring: ScopeQuery,
          body: TransitionBody,
          response: { 200: Task, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const body = request.body;
        const task = await tasks.transition(
          mutationContext(request),
          request.params.id,
          {
            newState: body.new_state,
            notes: body.notes,
            allowEarlyCompletion: body.allow_early_completion,
            allowLateCancel: body.allow_late_cancel,
          },
          { orgId: request.query.org_id },
        );
        return taskView(task);
      },
    );
  };
