import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Services } from '../../../app/services.js';
import { WEBHOOK_SORT_FIELDS, webhookDeliveryView, webhookView } from '../../../app/webhooks.js';
import { ALL_EVENTS, DELIVERY_STATUSES } from '../../../domain/webhook.js';
import { EVENT_TYPES } from '../../../domain/events.js';
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
  uuidField,
} from '../schemas/common.js';

const tags = ['webhooks'];

const ScopeQuery = Type.Object(OrgScopeQuery, { additionalProperties: false });

const EventFilter = Type.String({
  minLength: 1,
  maxLength: 100,
  description: `An event type (${EVENT_TYPES.join(', ')}) or \`${ALL_EVENTS}\` for every event type.`,
});

const DeliveryStatus = Type.Enum(DELIVERY_STATUSES, {
  description:
    'pending (waiting for its next attempt), delivered (the endpoint answered 2xx) or failed (given up; see last_error).',
});

/** A webhook subscription, without its secret. */
const Webhook = Type.Object(
  {
    id: uuidField('Webhook id.'),
    org_id: uuidField('The organization the webhook belongs to.'),
    url: Type.String({ description: 'Where events are POSTed.' }),
    events: Type.Array(Type.String(), {
      description: 'The subscribed event types; `*` subscribes to all of them.',
    }),
    created_at: timestampField('When the webhook was created.'),
    updated_at: timestampField('When the webhook last changed.'),
  },
  { additionalProperties: false, description: 'A webhook subscription. The secret is never shown again.' },
);

/** A webhook just created: the only response that carries its secret. */
const CreatedWebhook = Type.Object(
  {
    ...Webhook.properties,
    secret: Type.String({
      description:
        'The signing secret (64 hex characters). Shown only in this response: store it now; it cannot be read again.',
    }),
  },
  { additionalProperties: false, description: 'The new webhook with its signing secret, shown this once.' },
);

const CreateWebhookBody = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: 2048,
      description:
        'Where to POST events: an http(s) URL. With APP_ENV=production only https, and the host must not be (or resolve to) a private, loopback, link-local, unique-local, CGNAT or unspecified address.',
    }),
    events: Type.Array(EventFilter, {
      minItems: 1,
      maxItems: 100,
      description: 'The event types to receive (duplicates collapse), or `["*"]` for all of them.',
    }),
  },
  { additionalProperties: false, description: 'The new webhook subscription.' },
);

const WebhookListQuery = Type.Object(
  { ...PageQuery, ...CursorQuery, ...OrgScopeQuery, sort: sortQuery(WEBHOOK_SORT_FIELDS) },
  { additionalProperties: false },
);

/** The outbox event a test request queued. */
const QueuedTest = Type.Object(
  {
    event_id: uuidField('The queued `webhook_test` event; its delivery appears under the deliveries.'),
    webhook_id: uuidField('The webhook the test event goes to (only this one).'),
  },
  { additionalProperties: false, description: 'A test event on its way to the webhook.' },
);

/** One event's delivery to the webhook, with its attempts. */
const Delivery = Type.Object(
  {
    id: uuidField('Delivery id; sent as X-Webhook-Delivery-Id.'),
    webhook_id: uuidField('The webhook.'),
    event_id: uuidField('The outbox event being delivered.'),
    event_type: Type.String({ description: 'The event type; sent as X-Webhook-Event.' }),
    status: DeliveryStatus,
    attempt_count: Type.Integer({ description: 'Attempts made so far.' }),
    next_attempt_at: Type.Union([timestampField('When the next attempt is due.'), Type.Null()], {
      description: 'When the next attempt is due (RFC 3339, UTC); null once delivered or failed.',
    }),
    last_response_code: Type.Union([Type.Integer(), Type.Null()], {
      description: 'HTTP status of the last answer; null when none came (network error, timeout).',
    }),
    last_error: Type.Union([Type.String(), Type.Null()], {
      description: 'Why the last attempt failed, or why the delivery was given up; null after success.',
    }),
    created_at: timestampField('When the delivery was created (the event was published).'),
    delivered_at: Type.Union([timestampField('When the endpoint accepted it.'), Type.Null()], {
      description: 'When the endpoint answered 2xx (RFC 3339, UTC); null until then.',
    }),
  },
  { additionalProperties: false, description: 'One event on its way to the webhook.' },
);

const DeliveryListQuery = Type.Object(
  {
    ...PageQuery,
    ...CursorQuery,
    ...OrgScopeQuery,
    status: Type.Optional(DeliveryStatus),
  },
  { additionalProperties: false },
);

/**
 * `/webhooks`: an organization's subscriptions to its events, their test sends and delivery
 * history. Organization admins manage them.
 */
export const webhookRoutes =
  ({ webhooks }: Services) =>
  async (instance: FastifyInstance): Promise<void> => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/webhooks',
      {
        config: policy('webhooks', 'create'),
        schema: {
          tags,
          summary: 'Subscribe a URL to events',
          description: `${SCOPE_NOTE} Answers the webhook with its signing \`secret\`, shown this once. A URL the rules refuse is 400 INVALID_WEBHOOK_URL; an unknown event type 400 INVALID_WEBHOOK_EVENTS.`,
          querystring: ScopeQuery,
          body: CreateWebhookBody,
          response: { 201: CreatedWebhook, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const { webhook, secret } = await webhooks.create(mutationContext(request), {
          url: request.body.url,
          events: request.body.events,
          orgId: request.query.org_id,
        });
        return reply
          .code(201)
          .header('Location', createdLocation(request, webhook.id))
          .send({ ...webhookView(webhook), secret });
      },
    );

    app.get(
      '/webhooks',
      {
        config: policy('webhooks', 'read'),
        schema: {
          tags,
          summary: 'List webhooks',
          description: `${SCOPE_NOTE} Live webhooks, oldest first unless \`sort\` says otherwise; never with their secrets. Paginated with \`Link: <…>; rel="next"\`.`,
          querystring: WebhookListQuery,
          response: { 200: Type.Array(Webhook), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const page = pageFrom(query);
        const result = await webhooks.list(actorOf(request), { orgId: query.org_id, sort: query.sort }, page);
        return sendPage(request, reply, page, result, webhookView);
      },
    );

    app.get(
      '/webhooks/:id',
      {
        config: policy('webhooks', 'read'),
        schema: {
          tags,
          summary: 'Get a webhook',
          description: `${SCOPE_NOTE} Without its secret.`,
          params: IdParams,
          querystring: ScopeQuery,
          response: { 200: Webhook, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        webhookView(await webhooks.get(actorOf(request), request.params.id, { orgId: request.query.org_id })),
    );

    app.delete(
      '/webhooks/:id',
      {
        config: policy('webhooks', 'delete'),
        schema: {
          tags,
          summary: 'Delete a webhook',
          description: `${SCOPE_NOTE} Soft delete: nothing more is sent to it (its pending deliveries are marked failed at once) and its delivery history stays readable.`,
          params: IdParams,
          querystring: ScopeQuery,
          response: { 204: Type.Null({ description: 'Deleted.' }), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        await webhooks.delete(mutationContext(request), request.params.id, { orgId: request.query.org_id });
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/webhooks/:id/test',
      {
        config: policy('webhooks', 'create'),
        schema: {
          tags,
          summary: 'Send a test event to a webhook',
          description: `${SCOPE_NOTE} Queues a new \`webhook_test\` event on every call; it goes through the outbox and the delivery pipeline like any event, to this webhook only, signed the same way. Answers 202 with the event id; follow it under \`/webhooks/{id}/deliveries\`.`,
          params: IdParams,
          querystring: ScopeQuery,
          response: { 202: QueuedTest, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const queued = await webhooks.sendTest(mutationContext(request), request.params.id, {
          orgId: request.query.org_id,
        });
        return reply.code(202).send({ event_id: queued.eventId, webhook_id: queued.webhookId });
      },
    );

    app.get(
      '/webhooks/:id/deliveries',
      {
        config: policy('webhooks', 'read'),
        schema: {
          tags,
          summary: "List a webhook's deliveries",
          description: `${SCOPE_NOTE} Newest first, optionally of one \`status\`; also for a deleted webhook. Paginated with \`Link: <…>; rel="next"\`.`,
          params: IdParams,
          querystring: DeliveryListQuery,
          response: { 200: Type.Array(Delivery), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const page = pageFrom(query);
        const result = await webhooks.listDeliveries(
          actorOf(request),
          request.params.id,
          { orgId: query.org_id, status: query.status },
          page,
        );
        return sendPage(request, reply, page, result, webhookDeliveryView);
      },
    );
  };
