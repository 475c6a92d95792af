import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { DEFAULT_DIRECTIVE_TASK_MINUTES } from '../../../app/directive-tasks.js';
import type { Services } from '../../../app/services.js';
import { taskView } from '../../../app/tasks.js';
import { mutationContext } from '../context.js';
import { policy } from '../plugins/auth.js';
import {
  errorResponses,
  OrgScopeQuery,
  SCOPE_NOTE,
  timestampField,
  toDate,
  Uuid,
  uuidField,
} from '../schemas/common.js';
import { Task, TaskType } from './tasks.js';

const Params = Type.Object({ id: Uuid, directiveId: Uuid }, { additionalProperties: false });

const ScopeQuery = Type.Object(OrgScopeQuery, { additionalProperties: false });

const BookTaskBody = Type.Object(
  {
    type: Type.Optional({ ...TaskType, description: 'The kind of work; inspection unless given.' }),
    duration_minutes: Type.Optional(
      Type.Integer({
        minimum: 15,
        maximum: 20_160,
        description: `The length of the task’s window in minutes (15 to 20160); ${DEFAULT_DIRECTIVE_TASK_MINUTES} unless given.`,
      }),
    ),
    not_before: Type.Optional(
      timestampField('The window starts no earlier than this instant (and never before now).'),
    ),
    assigned_mechanic_id: Type.Optional(
      uuidField('A live mechanic of the organization, qualified for the work in that window.'),
    ),
    notes: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 10_000,
        pattern: '\\S',
        description: 'Notes on the task. Not blank.',
      }),
    ),
    allow_after_due: Type.Optional(
      Type.Boolean({
        description:
          'Book the first free window even when it ends after the due (an overdue directive has no window before it); the audit row marks the booking late.',
      }),
    ),
  },
  { additionalProperties: false, description: 'How to book the task; every field is optional.' },
);

/** `/aircraft/{id}/directives/{directiveId}/task`: book the task that complies with a directive. */
export const directiveTaskRoutes =
  ({ directiveTasks }: Services) =>
  async (instance: FastifyInstance): Promise<void> => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/aircraft/:id/directives/:directiveId/task',
      {
        config: policy('directive_compliance', 'book_task'),
        schema: {
          tags: ['directives'],
          summary: 'Book the maintenance task that complies with a directive',
          description: `${SCOPE_NOTE} Books a scheduled task for the directive on the aircraft in the aircraft’s first free window (no overlap with its live scheduled or in-progress tasks) of \`duration_minutes\` starting at or after now and \`not_before\`, that ends by the end of the directive’s due day (UTC) — for a flight-hour or cycle limit the day projected from the aircraft’s average daily use over the last 90 days; a deferred directive counts from its approved new limit. When no such window exists: 409 NO_WINDOW_BEFORE_DUE, naming the first free window in \`details\` (\`allow_after_due\` books it). The task carries \`directive_id\` and the tracking row remembers it; a tracking row with a live booked task is 409 DIRECTIVE_TASK_EXISTS; a directive superseded or cancelled is 409 DIRECTIVE_NOT_ACTIVE, one complied with or not applicable 409 DIRECTIVE_NOT_OPEN. An aircraft, directive or tracking row that does not exist in the organization is 404 (AIRCRAFT_NOT_FOUND, DIRECTIVE_NOT_FOUND, DIRECTIVE_NOT_TRACKED). The assigned mechanic is checked as for \`POST /maintenance-tasks\` (404 MECHANIC_NOT_FOUND, 400 NOT_A_MECHANIC, 409 MECHANIC_NOT_QUALIFIED or MECHANIC_BUSY). Audited, with \`task_created\`. Send an Idempotency-Key to make retries safe.`,
          params: Params,
          querystring: ScopeQuery,
          body: BookTaskBody,
          response: { 201: Task, ...errorResponses(400, 401, 403, 404, 409) },
        },
        // The body is optional: a request without one books with every default.
        preValidation: async (request) => {
          request.body ??= {};
        },
      },
      async (request, reply) => {
        const body = request.body;
        const task = await directiveTasks.book(mutationContext(request), {
          orgId: request.query.org_id,
          aircraftId: request.params.id,
          directiveId: request.params.directiveId,
          type: body.type,
          durationMinutes: body.duration_minutes,
          notBefore: toDate(body.not_before),
          assignedMechanicId: body.assigned_mechanic_id,
          notes: body.notes,
          allowAfterDue: body.allow_after_due,
        });
        const orgId = request.query.org_id;
        const location = `/api/v1/maintenance-tasks/${task.id}${orgId === undefined ? '' : `?org_id=${orgId}`}`;
        return reply.code(201).header('Location', location).send(taskView(task));
      },
    );
  };
