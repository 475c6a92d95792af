import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Services } from '../../../app/services.js';
import { DEPENDENCY_STATUSES, taskDependencyView } from '../../../app/task-dependencies.js';
import { DEPENDENCY_TYPES, MAX_LAG_MINUTES, TASK_PRIORITIES } from '../../../domain/scheduling.js';
import { TASK_STATES } from '../../../domain/task.js';
import { createdLocation, mutationContext } from '../context.js';
import { actorOf, policy } from '../plugins/auth.js';
import {
  errorResponses,
  IdParams,
  OrgScopeQuery,
  SCOPE_NOTE,
  timestampField,
  Uuid,
  uuidField,
} from '../schemas/common.js';

const DependencyType = Type.Enum(DEPENDENCY_TYPES, {
  description:
    'finish_to_start: the successor starts after the predecessor is completed (the default); start_to_start: it starts after the predecessor has started; finish_to_finish: it completes after the predecessor is completed. Each plus lag_minutes for the schedule.',
});

/** The other task of a dependency, in brief. */
const DependencyTaskSummary = Type.Object(
  {
    id: uuidField('Task id.'),
    state: Type.Enum(TASK_STATES, { description: 'The task’s state.' }),
    deleted: Type.Boolean({ description: 'Whether the task was deleted.' }),
    start_time: timestampField('When its window opens.'),
    end_time: timestampField('When its window closes.'),
    aircraft_id: uuidField('The aircraft of the task.'),
    priority: Type.Enum(TASK_PRIORITIES, { description: 'How urgent the task is.' }),
  },
  { additionalProperties: false, description: 'The other task of the dependency as it is now.' },
);

/** A dependency between two tasks, seen from one of them. */
export const TaskDependency = Type.Object(
  {
    id: uuidField('Dependency id.'),
    predecessor_id: uuidField('The task that must start or finish first.'),
    successor_id: uuidField('The task that waits for it.'),
    type: DependencyType,
    lag_minutes: Type.Integer({
      minimum: 0,
      maximum: MAX_LAG_MINUTES,
      description: 'Minutes that must pass after the predecessor’s start or finish (schedule only).',
    }),
    created_at: timestampField('When the dependency was added.'),
    created_by: Type.Union([uuidField('The user who added it.'), Type.Null()], {
      description: 'The user who added the dependency, or null for a job.',
    }),
    other_role: Type.Union([Type.Literal('predecessor'), Type.Literal('successor')], {
      description:
        'predecessor: the other task is one the task asked about waits for; successor: the other task waits for it.',
    }),
    other_task: DependencyTaskSummary,
    status: Type.Enum(DEPENDENCY_STATUSES, {
      description:
        'Whether it holds: satisfied (the predecessor has finished, or started for start_to_start), waiting (not yet; the windows allow it), schedule_violated (the successor’s window is earlier than the predecessor’s window plus the lag allow), predecessor_cancelled or predecessor_deleted (it will never be done and no longer holds the successor back).',
    }),
  },
  { additionalProperties: false, description: 'A dependency of one task on another.' },
);

const AddDependencyBody = Type.Object(
  {
    predecessor_id: uuidField('A live task of the organization that the task in the path will wait for.'),
    type: Type.Optional(DependencyType),
    lag_minutes: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_LAG_MINUTES,
        description: `Minutes after the predecessor's start or finish (0–${MAX_LAG_MINUTES}, default 0).`,
      }),
    ),
  },
  { additionalProperties: false, description: 'The predecessor the task in the path will depend on.' },
);

const DependencyParams = Type.Object({ id: Uuid, dependencyId: Uuid }, { additionalProperties: false });
const ScopeQuery = Type.Object(OrgScopeQuery, { additionalProperties: false });
const tags = ['task dependencies'];

/** `/maintenance-tasks/{id}/dependencies`: which tasks wait for which. */
export const taskDependencyRoutes =
  ({ taskDependencies }: Services) =>
  async (instance: FastifyInstance): Promise<void> => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/maintenance-tasks/:id/dependencies',
      {
        config: policy('task_dependencies', 'read'),
        schema: {
          tags,
          summary: 'List the dependencies of a task',
          description: `${SCOPE_NOTE} Every dependency where the task is the successor or the predecessor, oldest first (a bare array, not paginated), each with the other task in brief and whether it holds.`,
          params: IdParams,
          querystring: ScopeQuery,
          response: { 200: Type.Array(TaskDependency), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const records = await taskDependencies.list(actorOf(request), request.params.id, {
          orgId: request.query.org_id,
        });
        return records.map((record) => taskDependencyView(record, request.params.id));
      },
    );

    app.post(
      '/maintenance-tasks/:id/dependencies',
      {
        config: policy('task_dependencies', 'create'),
        schema: {
          tags,
          summary: 'Make a task depend on another',
          description: `${SCOPE_NOTE} The task in the path becomes the successor of body.predecessor_id, a live task of the same organization (404 TASK_NOT_FOUND naming body.predecessor_id otherwise). Refused: the task itself (400 DEPENDENCY_ON_ITSELF), a completed or cancelled successor (409 TASK_FINAL), a cancelled predecessor (409 PREDECESSOR_CANCELLED), a pair already linked (409 DEPENDENCY_EXISTS), a dependency that would close a cycle (409 DEPENDENCY_CYCLE, naming the path of task ids in the message and details). Emits task_dependency_added. Send an Idempotency-Key to make retries safe.`,
          params: IdParams,
          querystring: ScopeQuery,
          body: AddDependencyBody,
          response: { 201: TaskDependency, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const record = await taskDependencies.add(mutationContext(request), request.params.id, {
          orgId: request.query.org_id,
          predecessorId: body.predecessor_id,
          type: body.type,
          lagMinutes: body.lag_minutes,
        });
        return reply
          .code(201)
          .header('Location', createdLocation(request, record.id))
          .send(taskDependencyView(record, request.params.id));
      },
    );

    app.delete(
      '/maintenance-tasks/:id/dependencies/:dependencyId',
      {
        config: policy('task_dependencies', 'delete'),
        schema: {
          tags,
          summary: 'Delete a dependency of a task',
          description: `${SCOPE_NOTE} The task may be either end of the dependency (404 DEPENDENCY_NOT_FOUND otherwise). Emits task_dependency_removed.`,
          params: DependencyParams,
          querystring: ScopeQuery,
          response: {
            204: Type.Null({ description: 'Deleted.' }),
            ...errorResponses(400, 401, 403, 404),
          },
        },
      },
      async (request, reply) => {
        await taskDependencies.remove(
          mutationContext(request),
          request.params.id,
          request.params.dependencyId,
          {
            orgId: request.query.org_id,
          },
        );
        return reply.code(204).send(null);
      },
    );
  };
