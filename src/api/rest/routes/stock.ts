import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Services } from '../../../app/services.js';
import { STOCK_SORT_FIELDS } from '../../../app/stock.js';
import { EXPIRY_WARNING_DAYS } from '../../../domain/stock.js';
import { CursorQuery, pageFrom, sendPage } from '../pagination.js';
import { DefinitionListQuery } from '../schemas/parts.js';
import { actorOf, policy } from '../plugins/auth.js';
import {
  errorResponses,
  IdParams,
  OrgScopeQuery,
  PageQuery,
  SCOPE_NOTE,
  sortQuery,
  uuidField,
} from '../schemas/common.js';

const tags = ['parts'];

const dayField = (description: string) =>
  Type.Union(
    [
      Type.String({ format: 'date', description: 'A calendar day, YYYY-MM-DD.', examples: ['2031-01-15'] }),
      Type.Null(),
    ],
    { description },
  );

const StockSetting = (description: string) =>
  Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
    description: `${description} Null when not set.`,
  });

/** One part definition's stock. */
const StockRowSchema = Type.Object(
  {
    id: uuidField('The part definition’s id (the row’s identity, as part_definition_id).'),
    part_definition_id: uuidField('The part definition.'),
    name: Type.String({ description: 'Name of the part.' }),
    category: Type.String({ description: 'Category of the part.' }),
    in_stock: Type.Integer({ description: 'Live items in stock and not expired, reserved or not.' }),
    reserved: Type.Integer({ description: 'Of the items in stock, those held by an active reservation.' }),
    available: Type.Integer({
      description:
        'in_stock − reserved: items in stock, unexpired and not reserved, that can be reserved now.',
    }),
    expiring_within_30_days: Type.Integer({
      description: `Of the available items, those whose expiry falls within ${EXPIRY_WARNING_DAYS} days.`,
    }),
    min_stock_level: StockSetting('The minimum number of available items wanted.'),
    reorder_point: StockSetting('At or below this many available items it is time to reorder.'),
    lead_time_days: StockSetting('Days new stock takes to arrive once ordered.'),
    below_min_stock_level: Type.Boolean({
      description: 'True when min_stock_level is set and fewer items than that are available.',
    }),
    at_or_below_reorder_point: Type.Boolean({
      description: 'True when reorder_point is set and available is at or below it.',
    }),
    out_of_stock: Type.Boolean({ description: 'True when no item is available.' }),
    earliest_arrival: dayField(
      'The day new stock ordered today (UTC) could arrive: today + lead_time_days; null without a lead time.',
    ),
  },
  { additionalProperties: false, description: 'A part definition’s stock levels.' },
);

const StockListQuery = Type.Object(
  {
    ...PageQuery,
    ...CursorQuery,
    ...OrgScopeQuery,
    category: DefinitionListQuery.properties.category,
    low: Type.Optional(
      Type.Boolean({
        description:
          'true: only definitions at or below their reorder point or out of stock (what to reorder); false: only the others.',
      }),
    ),
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'Only definitions whose name or category contains this text, regardless of case.',
      }),
    ),
    sort: sortQuery(STOCK_SORT_FIELDS),
  },
  { additionalProperties: false },
);

const AVAILABILITY_STATUSES = ['reserved', 'available', 'short'] as const;

/** One required part of a task and whether it is covered. */
const PartAvailabilitySchema = Type.Object(
  {
    part_definition_id: uuidField('The required part definition.'),
    name: Type.String({ description: 'Name of the part.' }),
    quantity: Type.Integer({ description: 'Units the task requires.' }),
    reserved: Type.Integer({
      description: 'This task’s reservations of the part, reserved or already used.',
    }),
    still_needed: Type.Integer({
      description: 'quantity − reserved (never below 0): units still to reserve.',
    }),
    available_in_stock: Type.Integer({
      description:
        'Items of the part in stock, unexpired and not reserved by anyone: what could be reserved now.',
    }),
    status: Type.Enum(AVAILABILITY_STATUSES, {
      description:
        'reserved: the task holds every unit; available: enough free stock to reserve the rest; short: not enough.',
    }),
    shortfall: Type.Integer({
      description: 'Units missing even after reserving every available item (0 unless short).',
    }),
    expected_date: dayField(
      'When short: the earliest day ordered stock could arrive (today + the part’s lead time); null otherwise, or when the lead time is not known.',
    ),
  },
  { additionalProperties: false, description: 'A required part of the task and its availability.' },
);

const ScopeQuery = Type.Object(OrgScopeQuery, { additionalProperties: false });

/**
 * `/parts/stock` and `/maintenance-tasks/{id}/parts-availability`: stock levels per part
 * definition and a task's required parts against them. Every role that reads parts reads both.
 */
export const stockRoutes =
  ({ stock }: Services) =>
  async (instance: FastifyInstance): Promise<void> => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/parts/stock',
      {
        config: policy('stock', 'read'),
        schema: {
          tags,
          summary: 'Stock levels per part definition',
          description: `${SCOPE_NOTE} One row per live part definition, counted from its serialized items: in stock (unexpired), reserved, available, expiring within ${EXPIRY_WARNING_DAYS} days, the stock settings and their flags, and when reordered stock could arrive. By name unless \`sort\` says otherwise; paginated with \`Link: <…>; rel="next"\` (\`limit\`/\`offset\` or \`cursor\`).`,
          querystring: StockListQuery,
          response: { 200: Type.Array(StockRowSchema), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const page = pageFrom(query);
        const result = await stock.list(
          actorOf(request),
          { orgId: query.org_id, category: query.category, low: query.low, q: query.q, sort: query.sort },
          page,
        );
        return sendPage(request, reply, page, result, (row) => row);
      },
    );

    app.get(
      '/maintenance-tasks/:id/parts-availability',
      {
        config: policy('stock', 'read'),
        schema: {
          tags: ['maintenance tasks'],
          summary: 'Whether a task’s required parts are reserved, available or short',
          description: `${SCOPE_NOTE} One row per required part of the task, by name: reserved (the task holds them all), available (enough free stock to reserve the rest) or short (with the shortfall and the earliest day reordered stock could arrive). Another organization’s task is 404 TASK_NOT_FOUND.`,
          params: IdParams,
          querystring: ScopeQuery,
          response: { 200: Type.Array(PartAvailabilitySchema), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        stock.partsAvailability(actorOf(request), request.params.id, { orgId: request.query.org_id }),
    );
  };
