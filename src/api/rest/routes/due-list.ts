import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static } from 'typebox';
import type { DueItem, DueListInput } from '../../../app/due-list.js';
import type { Services } from '../../../app/services.js';
import { TRACKING_STATUSES } from '../../../domain/directive.js';
import { DEFAULT_HORIZON_DAYS, DUE_SOURCES, UTILISATION_WINDOW_DAYS } from '../../../domain/due-list.js';
import { exportDate, sendCsv, type CsvCell } from '../csv.js';
import { pageFrom, sendPage } from '../pagination.js';
import { actorOf, policy } from '../plugins/auth.js';
import { errorResponses, OrgScopeQuery, PageQuery, SCOPE_NOTE, uuidField } from '../schemas/common.js';

const dayField = (description: string) =>
  Type.String({
    format: 'date',
    description: `${description} A calendar day, YYYY-MM-DD.`,
    examples: ['2030-03-31'],
  });

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T, description: string) =>
  Type.Union([schema, Type.Null()], { description });

/** One item of the due list. */
const DueItemSchema = Type.Object(
  {
    source: Type.Enum(DUE_SOURCES, {
      description:
        'program: the next occurrence of a maintenance program bound to the aircraft; directive: an open directive limit.',
    }),
    aircraft_id: uuidField('The aircraft it falls due on.'),
    tail_number: Type.String({ description: 'That aircraft’s tail number.' }),
    program_id: nullable(uuidField('The program.'), 'The maintenance program (source program), or null.'),
    directive_id: nullable(uuidField('The directive.'), 'The directive (source directive), or null.'),
    aircraft_directive_id: nullable(
      uuidField('The tracking row.'),
      'The directive’s tracking row on the aircraft (source directive), or null.',
    ),
    name: Type.String({ description: 'The program’s name or the directive’s title.' }),
    reference: nullable(Type.String(), 'The directive’s reference number, or null for a program.'),
    tracking_status: nullable(
      Type.Enum(TRACKING_STATUSES),
      'The directive’s status on the aircraft (pending, in_progress, deferred or overdue), or null for a program.',
    ),
    due_date: nullable(dayField('Due by this day.'), 'Due by the end of this day (UTC), or null.'),
    due_flight_hours: nullable(
      Type.Number(),
      'Due when the aircraft’s flight hours reach this reading, or null. A deferred directive shows its approved new limit.',
    ),
    due_cycles: nullable(Type.Integer(), 'Due when the aircraft’s cycles reach this count, or null.'),
    remaining_days: nullable(Type.Integer(), 'Days from today (UTC) to due_date; negative once past.'),
    remaining_flight_hours: nullable(
      Type.Number(),
      'due_flight_hours minus the aircraft’s flight hours now.',
    ),
    remaining_cycles: nullable(Type.Integer(), 'due_cycles minus the aircraft’s cycles now.'),
    projected_date: nullable(
      dayField('The projected due day.'),
      `The day it is projected to fall due: due_date, or the day the aircraft reaches the due hours or cycles at its average daily use over the last ${UTILISATION_WINDOW_DAYS} days, whichever comes first; today once a usage limit is reached; null when only a usage limit applies and the aircraft has not flown.`,
    ),
    overdue: Type.Boolean({
      description:
        'Past its limit: the day after due_date has begun, the counters are beyond the due hours or cycles, or the directive is marked overdue.',
    }),
    booked: Type.Boolean({ description: 'Whether a live scheduled or in-progress task is booked for it.' }),
    task_id: nullable(
      uuidField('The booked task.'),
      'That task: for a program its earliest scheduled or in-progress task, for a directive the task booked for it; or null.',
    ),
    aircraft_flight_hours: Type.Number({ description: 'The aircraft’s flight hours now.' }),
    aircraft_cycles: Type.Integer({ description: 'The aircraft’s cycles now.' }),
    daily_flight_hours: Type.Number({
      description: `The aircraft’s average flight hours per day over the last ${UTILISATION_WINDOW_DAYS} days.`,
    }),
    daily_cycles: Type.Number({
      description: `The aircraft’s average cycles per day over the last ${UTILISATION_WINDOW_DAYS} days.`,
    }),
  },
  { additionalProperties: false, description: 'Something falling due on one aircraft.' },
);

type DueItemView = Static<typeof DueItemSchema>;

const dueItemView = (item: DueItem): DueItemView => ({
  source: item.source,
  aircraft_id: item.aircraftId,
  tail_number: item.tailNumber,
  program_id: item.programId,
  directive_id: item.directiveId,
  aircraft_directive_id: item.aircraftDirectiveId,
  name: item.name,
  reference: item.reference,
  tracking_status: item.trackingStatus,
  due_date: item.due.date,
  due_flight_hours: item.due.flightHours,
  due_cycles: item.due.cycles,
  remaining_days: item.remaining.days,
  remaining_flight_hours: item.remaining.flightHours,
  remaining_cycles: item.remaining.cycles,
  projected_date: item.projectedDate,
  overdue: item.overdue,
  booked: item.taskId !== null,
  task_id: item.taskId,
  aircraft_flight_hours: item.aircraftFlightHours,
  aircraft_cycles: item.aircraftCycles,
  daily_flight_hours: item.dailyFlightHours,
  daily_cycles: item.dailyCycles,
});

/** The CSV columns, in order: the fields of an item. */
const CSV_COLUMNS = [
  'source',
  'aircraft_id',
  'tail_number',
  'program_id',
  'directive_id',
  'aircraft_directive_id',
  'name',
  'reference',
  'tracking_status',
  'due_date',
  'due_flight_hours',
  'due_cycles',
  'remaining_days',
  'remaining_flight_hours',
  'remaining_cycles',
  'projected_date',
  'overdue',
  'booked',
  'task_id',
  'aircraft_flight_hours',
  'aircraft_cycles',
  'daily_flight_hours',
  'daily_cycles',
] as const satisfies readonly (keyof DueItemView)[];

const DueListQuery = Type.Object(
  {
    ...PageQuery,
    ...OrgScopeQuery,
    days: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 3660,
        description: `Items projected to fall due within this many days. When none of days, flight_hours and cycles is given: ${DEFAULT_HORIZON_DAYS}.`,
      }),
    ),
    flight_hours: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1_000_000,
        description: 'Items due within this many flight hours of the aircraft’s reading now.',
      }),
    ),
    cycles: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 1_000_000,
        description: 'Items due within this many cycles of the aircraft’s count now.',
      }),
    ),
    aircraft_id: Type.Optional(
      uuidField(
        'Only this aircraft (404 AIRCRAFT_NOT_FOUND unless it is a live aircraft of the organization).',
      ),
    ),
    format: Type.Optional(
      Type.Union([Type.Literal('json'), Type.Literal('csv')], {
        description:
          'json (default): a page of items; csv: every item, streamed (limit and offset do not apply).',
      }),
    ),
  },
  { additionalProperties: false },
);

const inputOf = (query: Static<typeof DueListQuery>): DueListInput => ({
  orgId: query.org_id,
  days: query.days,
  flightHours: query.flight_hours,
  cycles: query.cycles,
  aircraftId: query.aircraft_id,
});

async function* csvRecords(items: AsyncIterable<DueItem>): AsyncGenerator<CsvCell[]> {
  for await (const item of items) {
    const view = dueItemView(item);
    yield CSV_COLUMNS.map((column) => view[column]);
  }
}

/** `/due-list`: what falls due across the fleet — programs and directives, one query. */
export const dueListRoutes =
  ({ dueList }: Services) =>
  async (instance: FastifyInstance): Promise<void> => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/due-list',
      {
        config: policy('due_list', 'read'),
        schema: {
          tags: ['directives'],
          summary: 'The due list: programs and directives falling due across the fleet',
          description: `${SCOPE_NOTE} Per live aircraft, the next occurrence of every maintenance program bound to it and every open limit of an active directive tracked on it (pending, in progress, deferred — by its approved new limit — or overdue) that falls due within the horizon: within \`days\` (by projected date), \`flight_hours\` or \`cycles\`, whichever comes first (${DEFAULT_HORIZON_DAYS} days when none is given). Overdue items are always listed. Overdue items first, then by projected date (none last), tail number and id. \`format=csv\` streams every item as CSV with a header line and the columns ${CSV_COLUMNS.join(', ')}; JSON is paginated with \`Link: <…>; rel="next"\`.`,
          querystring: DueListQuery,
          response: {
            200: {
              description: 'The items (JSON), or every item as CSV (`due-list-<org_id>-<date>.csv`).',
              content: {
                'application/json': { schema: Type.Array(DueItemSchema) },
                'text/csv': {
                  schema: Type.String({ description: 'CSV, UTF-8, one header line, one line per item.' }),
                },
              },
            },
            ...errorResponses(400, 401, 403, 404),
          },
        },
      },
      async (request, reply) => {
        const query = request.query;
        if (query.format === 'csv') {
          const { orgId, items } = await dueList.export(actorOf(request), inputOf(query));
          const untyped: FastifyReply = reply;
          return sendCsv(request, untyped, {
            columns: CSV_COLUMNS,
            records: csvRecords(items),
            filename: `due-list-${orgId}-${exportDate()}.csv`,
            what: 'due list export',
          });
        }
        const page = pageFrom(query);
        const result = await dueList.list(actorOf(request), inputOf(query), page);
        return sendPage(request, reply, page, result, dueItemView);
      },
    );
  };
