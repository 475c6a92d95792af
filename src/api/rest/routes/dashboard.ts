import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Services } from '../../../app/services.js';
import { AIRCRAFT_STATUSES } from '../../../domain/aircraft.js';
import { COMPLETION_WINDOW_DAYS, SHIFT_HOURS } from '../../../domain/dashboard.js';
import { TASK_PRIORITIES } from '../../../domain/scheduling.js';
import { EXPIRY_WARNING_DAYS } from '../../../domain/stock.js';
import { TASK_STATES, TASK_TYPES } from '../../../domain/task.js';
import { actorOf, policy } from '../plugins/auth.js';
import { errorResponses, OrgScopeQuery, SCOPE_NOTE, timestampField, uuidField } from '../schemas/common.js';

const count = (description: string) => Type.Integer({ minimum: 0, description });
const rate = (description: string) =>
  Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], {
    description: `${description} A share between 0 and 1 (4 decimals); null when there is nothing to count.`,
  });
const object = <T extends Parameters<typeof Type.Object>[0]>(properties: T, description: string) =>
  Type.Object(properties, { additionalProperties: false, description });
const countsOf = (values: readonly string[], what: string, description: string) =>
  object(Object.fromEntries(values.map((value) => [value, count(`${what} ${value}.`)])), description);

const MechanicUtilisation = object(
  {
    mechanic_id: uuidField('The mechanic.'),
    email: Type.String({ description: 'Their email (users carry no name).' }),
    booked_hours: Type.Number({
      minimum: 0,
      description:
        'Hours booked on the current UTC day: the part inside the day of the planned window of each of their live scheduled or in-progress tasks, plus the worked span (start to completion) of each task they completed today.',
    }),
    utilisation: Type.Number({
      minimum: 0,
      description: `booked_hours / shift_hours (${SHIFT_HOURS} h): 1 is a full shift, above 1 overtime.`,
    }),
  },
  'One mechanic’s day.',
);

const MyTask = object(
  {
    id: uuidField('The task.'),
    aircraft_id: uuidField('Its aircraft.'),
    tail_number: Type.String({ description: 'The aircraft’s tail number.' }),
    type: Type.Enum(TASK_TYPES, { description: 'The task type.' }),
    state: Type.Enum(TASK_STATES, { description: 'Its state (never cancelled here).' }),
    priority: Type.Enum(TASK_PRIORITIES, { description: 'Its priority.' }),
    start_time: timestampField('Planned start.'),
    end_time: timestampField('Planned end.'),
  },
  'A task of the mechanic whose window meets the current UTC day.',
);

/** `GET /dashboard/metrics`. */
export const DashboardMetricsSchema = object(
  {
    org_id: uuidField('The organization the figures are about.'),
    computed_at: timestampField(
      'When the figures were computed: "now" for every comparison below. Served from a per-organization cache for a few seconds (DASHBOARD_CACHE_TTL), so it may be slightly in the past.',
    ),
    fleet: object(
      {
        total: count('Live aircraft.'),
        by_status: countsOf(AIRCRAFT_STATUSES, 'Live aircraft with status', 'Live aircraft per status.'),
        availability_rate: rate('Operational aircraft / live aircraft.'),
        aog: count(
          'Aircraft on ground: live aircraft with a live scheduled or in-progress task of priority aog (the condition the aircraft_aog alert watches). Grounded aircraft are counted in by_status.grounded, whatever the reason.',
        ),
      },
      'The fleet.',
    ),
    tasks: object(
      {
        total: count('Live tasks.'),
        by_state: countsOf(TASK_STATES, 'Live tasks in state', 'Live tasks per state.'),
        overdue: count('Live tasks scheduled whose start has passed, or in progress whose end has passed.'),
        completed_last_30_days: count(
          `Live tasks completed in the last ${COMPLETION_WINDOW_DAYS} days (by completed_at).`,
        ),
        on_time_completion_rate: rate(
          `Of the tasks completed in the last ${COMPLETION_WINDOW_DAYS} days, those completed at or before their planned end.`,
        ),
        average_turnaround_hours: Type.Union([Type.Number({ minimum: 0 }), Type.Null()], {
          description: `Average hours from start (when work started, else the planned start) to completion of the tasks completed in the last ${COMPLETION_WINDOW_DAYS} days (2 decimals); null when none was.`,
        }),
      },
      'Maintenance tasks.',
    ),
    mechanics: object(
      {
        total: count('Live users with the mechanic role.'),
        on_task_now: count('Mechanics with a task in progress now.'),
        shift_hours: Type.Number({
          description: 'The shift length utilisation is measured against, in hours.',
          examples: [SHIFT_HOURS],
        }),
        average_utilisation: rate(
          'Hours booked today by all mechanics / (mechanics × shift_hours); may exceed 1 with overtime.',
        ),
        utilisation: Type.Array(MechanicUtilisation, {
          description: 'Every live mechanic’s day, by email.',
        }),
      },
      'Mechanics and their utilisation on the current UTC day.',
    ),
    parts: object(
      {
        items_in_stock: count('Part items on the shelf: live, in stock and unexpired.'),
        items_expiring_soon: count(
          `Of those, unreserved items expiring within ${EXPIRY_WARNING_DAYS} days (as the stock list counts them).`,
        ),
        definitions_low: count(
          'Live part definitions with available stock above zero but at or below their reorder point.',
        ),
        definitions_out_of_stock: count('Live part definitions with no available item.'),
        units_required: count('Units the part requirements of live scheduled or in-progress tasks ask for.'),
        units_reserved: count(
          'Of those, units covered by the tasks’ reservations (reserved or used), never more than required.',
        ),
        fill_rate: rate('units_reserved / units_required: how much of the open demand stock has met.'),
      },
      'Parts and stock.',
    ),
    compliance: object(
      {
        pending: count('Unsigned compliance items of live scheduled or in-progress tasks.'),
        signed: count('Signed-off live compliance items.'),
      },
      'Compliance items.',
    ),
    directives: object(
      {
        due: count(
          'Open directive limits (pending, in progress, deferred) of active directives on live aircraft that are not overdue and fall due — by date, or by hours or cycles projected at the aircraft’s recent use — within the organization’s directive_warning_days.',
        ),
        overdue: count('Open directive limits marked overdue or past a limit (date, hours or cycles).'),
      },
      'Airworthiness directives, by the due list’s rules.',
    ),
    certifications: object(
      {
        expiring_within_30_days: count(
          'Active certifications of live people expiring after now and within 30 days.',
        ),
        expiring_within_60_days: count('… within 60 days (includes the 30-day ones).'),
        expiring_within_90_days: count('… within 90 days (includes the 60-day ones).'),
        expired: count('Active certifications of live people whose expiry has passed.'),
      },
      'People’s certifications.',
    ),
    alerts: object(
      {
        unresolved: count('Alerts not resolved.'),
        critical: count('Of those, at level critical.'),
        unacknowledged: count('Of those, not acknowledged.'),
      },
      'Alerts (see /alerts).',
    ),
    my_tasks_today: Type.Optional(
      Type.Array(MyTask, {
        description:
          'Mechanics only: their own live, not cancelled tasks whose window meets the current UTC day, by start (at most 200).',
      }),
    ),
  },
  'The organization’s figures now.',
);

/** `/dashboard/metrics`: the maintenance control centre's figures. */
export const dashboardRoutes =
  ({ dashboard }: Services) =>
  async (instance: FastifyInstance): Promise<void> => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/dashboard/metrics',
      {
        config: policy('dashboard', 'read'),
        schema: {
          tags: ['dashboard'],
          summary: 'Dashboard metrics',
          description: `${SCOPE_NOTE} Fleet, tasks, mechanics, parts, compliance, directives, certifications and alerts of the organization now, each counted by an aggregate query over live rows. Cached per organization for a few seconds (\`computed_at\` says when they were computed). Every role reads it; a mechanic's answer adds \`my_tasks_today\`.`,
          querystring: Type.Object({ ...OrgScopeQuery }, { additionalProperties: false }),
          response: { 200: DashboardMetricsSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => dashboard.metrics(actorOf(request), { orgId: request.query.org_id }),
    );
  };
