import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { alertView } from '../../../app/alert-effects.js';
import { ALERT_SORT_FIELDS, alertSummaryView, MAX_ALERT_NOTE_LENGTH } from '../../../app/alerts.js';
import type { Services } from '../../../app/services.js';
import { ALERT_CATEGORIES, ALERT_ENTITY_TYPES, ALERT_LEVELS } from '../../../domain/alert.js';
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
  uuidField,
} from '../schemas/common.js';

const tags = ['alerts'];

const LEVEL_TEXT =
  'info, warning or critical (in that order when sorting). A condition that worsens raises the level of its open alert; an unacknowledged alert moves up one level each time it waits longer than the organization’s `alert_escalation_after`.';

const CATEGORY_TEXT =
  'What the alert is about: certification_expiring (a certification expires within 90/60/30 days: info/warning/critical), certification_expired, task_overdue (scheduled past its start or in progress past its end), directive_due (within the organization’s warning window), directive_overdue, part_low_stock, part_out_of_stock, webhook_failing (deliveries failing or given up), aircraft_aog (an open task of priority aog).';

const ENTITY_TYPE_TEXT =
  'The kind of record the alert is about, one per category: certification (an employee certification), task (a maintenance task), aircraft_directive (a directive tracked on an aircraft), part_definition, webhook, aircraft.';

const Level = Type.Enum(ALERT_LEVELS, { description: LEVEL_TEXT });
const Category = Type.Enum(ALERT_CATEGORIES, { description: CATEGORY_TEXT });
const EntityType = Type.Enum(ALERT_ENTITY_TYPES, { description: ENTITY_TYPE_TEXT });

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T, description: string) =>
  Type.Union([schema, Type.Null()], { description });

/** An alert (the same JSON is the `data` of every alert event). */
const Alert = Type.Object(
  {
    id: uuidField('Alert id.'),
    org_id: uuidField('The organization the alert belongs to.'),
    level: Level,
    category: Category,
    title: Type.String({
      description: 'One line saying what is wrong, e.g. “B1 licence of J. Doe expires in 25 days”.',
    }),
    description: Type.String({ description: 'What is wrong and what to do about it, for a person.' }),
    entity_type: EntityType,
    entity_id: uuidField(
      'The record the alert is about (see entity_type). One open alert per category and entity.',
    ),
    aircraft_id: nullable(
      uuidField('The aircraft.'),
      'The aircraft the condition concerns, when there is one.',
    ),
    user_id: nullable(
      uuidField('The person.'),
      'The person the condition is about (a certification’s holder, an overdue task’s mechanic), when there is one; such a mechanic may acknowledge and resolve it.',
    ),
    threshold: nullable(
      Type.Number({ description: 'The limit crossed, in unit.' }),
      'The limit crossed (e.g. 30 days before expiry, a reorder point), in `unit`; null when the category has none.',
    ),
    current_value: nullable(
      Type.Number({ description: 'Where the condition stood, in unit.' }),
      'Where the condition stood when the alert was last raised or worsened (e.g. 25 days left, 0 available), in `unit`; null when the category has none.',
    ),
    unit: nullable(
      Type.String({ description: 'The unit.' }),
      'The unit of threshold and current_value: days, items, minutes, deliveries…; null without them.',
    ),
    escalation_level: Type.Integer({
      minimum: 0,
      maximum: 2,
      description: 'How many times the alert moved up a level for want of an acknowledgement (0, 1 or 2).',
    }),
    escalated: Type.Boolean({
      description: 'Whether it was escalated at least once (escalation_level > 0).',
    }),
    escalated_at: nullable(
      timestampField('When.'),
      'When it was last escalated (RFC 3339, UTC); null if never.',
    ),
    level_changed_at: timestampField('When it reached its current level; escalation counts from here.'),
    acknowledged: Type.Boolean({ description: 'Whether someone acknowledged it (it no longer escalates).' }),
    acknowledged_by: nullable(uuidField('The user.'), 'Who acknowledged it; null until acknowledged.'),
    acknowledged_at: nullable(
      timestampField('When.'),
      'When it was acknowledged (RFC 3339, UTC); null until then.',
    ),
    resolved: Type.Boolean({
      description: 'Whether it is resolved (closed for good; it never changes again).',
    }),
    resolved_by: nullable(
      uuidField('The user.'),
      'Who resolved it by hand; null while open and when it was resolved automatically.',
    ),
    resolved_at: nullable(timestampField('When.'), 'When it was resolved (RFC 3339, UTC); null while open.'),
    resolved_automatically: Type.Boolean({
      description:
        'True when the condition cleared by itself (licence renewed, task completed, stock replenished, directive complied with) and the trigger job resolved it.',
    }),
    resolution_note: nullable(
      Type.String({ description: 'The note.' }),
      'The note given when it was resolved by hand; null otherwise.',
    ),
    raised_at: timestampField('When the alert was raised.'),
    updated_at: timestampField('When the alert last changed.'),
  },
  { additionalProperties: false, description: 'An alert: something the maintenance control centre is told.' },
);

const countsOf = (keys: readonly string[], description: string) =>
  Type.Object(
    Object.fromEntries(
      keys.map((key) => [key, Type.Integer({ minimum: 0, description: `Open ${key} alerts.` })]),
    ),
    { additionalProperties: false, description },
  );

/** Counts of the organization's open alerts. */
const AlertSummary = Type.Object(
  {
    total: Type.Integer({ minimum: 0, description: 'Open (unresolved) alerts.' }),
    unacknowledged: Type.Integer({ minimum: 0, description: 'Open alerts nobody has acknowledged yet.' }),
    escalated: Type.Integer({
      minimum: 0,
      description: 'Open alerts escalated at least once for want of an acknowledgement.',
    }),
    by_level: countsOf(ALERT_LEVELS, 'Open alerts per level; every level is present (0 when none).'),
    by_category: countsOf(
      ALERT_CATEGORIES,
      'Open alerts per category; every category is present (0 when none).',
    ),
    computed_at: timestampField('When the counts were taken.'),
  },
  { additionalProperties: false, description: "Counts of the organization's open alerts." },
);

const boolFilter = (description: string) => Type.Optional(Type.Boolean({ description }));

const AlertListQuery = Type.Object(
  {
    ...PageQuery,
    ...CursorQuery,
    ...OrgScopeQuery,
    level: Type.Optional(
      Type.Enum(ALERT_LEVELS, { description: 'Only alerts at this level: info, warning or critical.' }),
    ),
    category: Type.Optional(Type.Enum(ALERT_CATEGORIES, { description: 'Only alerts of this category.' })),
    entity_type: Type.Optional(
      Type.Enum(ALERT_ENTITY_TYPES, { description: 'Only alerts about this kind of record.' }),
    ),
    entity_id: Type.Optional(Type.String({ format: 'uuid', description: 'Only alerts about this record.' })),
    aircraft_id: Type.Optional(
      Type.String({ format: 'uuid', description: 'Only alerts concerning this aircraft.' }),
    ),
    user_id: Type.Optional(
      Type.String({
        format: 'uuid',
        description: 'Only alerts about this person (a mechanic’s own alerts: their user id).',
      }),
    ),
    acknowledged: boolFilter('true: only acknowledged alerts; false: only those nobody acknowledged yet.'),
    resolved: boolFilter('true: only resolved alerts; false: only open ones (the control centre’s view).'),
    sort: sortQuery(ALERT_SORT_FIELDS),
  },
  { additionalProperties: false },
);

const ScopeQuery = Type.Object(OrgScopeQuery, { additionalProperties: false });

const noteField = (purpose: string) =>
  Type.String({
    maxLength: MAX_ALERT_NOTE_LENGTH,
    description: `${purpose}, at most ${MAX_ALERT_NOTE_LENGTH} characters; trimmed, and blank counts as none.`,
  });

const AcknowledgeBody = Type.Object(
  {
    note: Type.Optional(noteField('What is being done about it (kept in the audit log)')),
  },
  { additionalProperties: false, description: 'Nothing is required: `{}` acknowledges.' },
);

const ResolveBody = Type.Object(
  {
    note: Type.Optional(noteField('How it was resolved (kept on the alert as resolution_note)')),
  },
  { additionalProperties: false, description: 'Nothing is required: `{}` resolves.' },
);

const MECHANIC_NOTE =
  'A mechanic may act only on the alerts about them (`user_id` is theirs): any other is 403 ALERT_NOT_YOURS.';

/**
 * `/alerts`: what the maintenance control centre is told. Everyone reads; admins, tenant admins,
 * schedulers and mechanics (their own) acknowledge and resolve. Raising, worsening, escalating and
 * automatic resolution are the worker's trigger job.
 */
export const alertRoutes =
  ({ alerts }: Services) =>
  async (instance: FastifyInstance): Promise<void> => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/alerts',
      {
        config: policy('alerts', 'read'),
        schema: {
          tags,
          summary: 'List alerts',
          description: `${SCOPE_NOTE} Open and resolved alerts of the organization (\`resolved=false\` for the open ones), filtered by level, category, the record they are about (entity_type, entity_id), aircraft, person, acknowledged and resolved (filters combine). Newest first unless \`sort\` says otherwise; paginated with \`Link: <…>; rel="next"\` (\`limit\`/\`offset\` or \`cursor\`). An unknown filter value is 400.`,
          querystring: AlertListQuery,
          response: { 200: Type.Array(Alert), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const page = pageFrom(query);
        const result = await alerts.list(
          actorOf(request),
          {
            orgId: query.org_id,
            level: query.level,
            category: query.category,
            entityType: query.entity_type,
            entityId: query.entity_id,
            aircraftId: query.aircraft_id,
            userId: query.user_id,
            acknowledged: query.acknowledged,
            resolved: query.resolved,
            sort: query.sort,
          },
          page,
        );
        return sendPage(request, reply, page, result, alertView);
      },
    );

    app.get(
      '/alerts/summary',
      {
        config: policy('alerts', 'read'),
        schema: {
          tags,
          summary: 'Count open alerts by level and category',
          description: `${SCOPE_NOTE} Counts of the organization’s open (unresolved) alerts: in all, not yet acknowledged, escalated, per level and per category (every level and category present, 0 when none).`,
          querystring: ScopeQuery,
          response: { 200: AlertSummary, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { summary, computedAt } = await alerts.summary(actorOf(request), {
          orgId: request.query.org_id,
        });
        return alertSummaryView(summary, computedAt);
      },
    );

    app.get(
      '/alerts/:id',
      {
        config: policy('alerts', 'read'),
        schema: {
          tags,
          summary: 'Get an alert',
          description: `${SCOPE_NOTE} An alert of another organization is 404 ALERT_NOT_FOUND, like one that does not exist.`,
          params: IdParams,
          querystring: ScopeQuery,
          response: { 200: Alert, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        alertView(await alerts.get(actorOf(request), request.params.id, { orgId: request.query.org_id })),
    );

    app.post(
      '/alerts/:id/acknowledge',
      {
        config: policy('alerts', 'acknowledge'),
        // A bare POST (no body at all) acknowledges like `{}`.
        preValidation: async (request) => {
          request.body ??= {};
        },
        schema: {
          tags,
          summary: 'Acknowledge an alert',
          description: `${SCOPE_NOTE} Says someone is on it: the alert stays open but no longer escalates. Answers the alert. A repeat is 409 ALERT_ALREADY_ACKNOWLEDGED; a resolved alert 409 ALERT_ALREADY_RESOLVED. ${MECHANIC_NOTE} Audited, with \`alert_acknowledged\`. Send an Idempotency-Key to make retries safe.`,
          params: IdParams,
          querystring: ScopeQuery,
          body: AcknowledgeBody,
          response: { 200: Alert, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        alertView(
          await alerts.acknowledge(mutationContext(request), request.params.id, {
            orgId: request.query.org_id,
            note: request.body.note,
          }),
        ),
    );

    app.post(
      '/alerts/:id/resolve',
      {
        config: policy('alerts', 'resolve'),
        preValidation: async (request) => {
          request.body ??= {};
        },
        schema: {
          tags,
          summary: 'Resolve an alert',
          description: `${SCOPE_NOTE} Closes the alert by hand, acknowledged or not, keeping the note as its resolution_note; a resolved alert never changes again, and if the condition persists the trigger job raises a new one. Answers the alert. A repeat (or an alert already resolved automatically) is 409 ALERT_ALREADY_RESOLVED. ${MECHANIC_NOTE} Audited, with \`alert_resolved\`. Send an Idempotency-Key to make retries safe.`,
          params: IdParams,
          querystring: ScopeQuery,
          body: ResolveBody,
          response: { 200: Alert, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        alertView(
          await alerts.resolve(mutationContext(request), request.params.id, {
            orgId: request.query.org_id,
            note: request.body.note,
          }),
        ),
    );
  };
