import type { Selectable } from 'kysely';
import type { Page, SortKey } from '../../app/pagination.js';
import type { DeliveryFilter, WebhookRepository, WebhookSortField } from '../../app/webhooks.js';
import type { Webhook, WebhookDelivery, WebhookEventFilter } from '../../domain/webhook.js';
import { registerConstraints } from './errors.js';
import type { Executor } from './executor.js';
import { orderBySortKeys } from './listing.js';
import { softDeleteRow } from './soft-delete.js';
import type { WebhooksTable } from './schema.js';

/** Deliveries list newest first (id breaks ties). */
const NEWEST_FIRST: SortKey<'created_at'>[] = [{ field: 'created_at', direction: 'desc' }];

registerConstraints({
  webhooks_url_scheme: {
    kind: 'validation',
    reason: 'INVALID_WEBHOOK_URL',
    message: 'the webhook URL must use http or https',
    field: 'body.url',
  },
  webhooks_events_not_empty: {
    kind: 'validation',
    reason: 'INVALID_WEBHOOK_EVENTS',
    message: 'a webhook must subscribe to at least one event type',
    field: 'body.events',
  },
  webhooks_secret_not_blank: {
    kind: 'internal',
    reason: 'WEBHOOK_SECRET_MISSING',
    message: 'a webhook was about to be stored without a secret',
  },
  webhook_deliveries_webhook_fkey: {
    kind: 'not_found',
    reason: 'WEBHOOK_NOT_FOUND',
    message: 'the webhook does not exist in this organization',
  },
  webhook_deliveries_webhook_id_event_id_key: {
    kind: 'conflict',
    reason: 'DUPLICATE_DELIVERY',
    message: 'this event already has a delivery to this webhook',
  },
});

const WEBHOOK_COLUMNS = [
  'w.id',
  'w.org_id',
  'w.url',
  'w.events',
  'w.created_at',
  'w.updated_at',
  'w.deleted_at',
] as const;

const toWebhook = (row: Omit<Selectable<WebhooksTable>, 'secret'>): Webhook => ({
  id: row.id,
  orgId: row.org_id,
  url: row.url,
  events: row.events as WebhookEventFilter[],
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  deletedAt: row.deleted_at,
});

const WEBHOOK_SORT: Record<WebhookSortField, string> = {
  created_at: 'w.created_at',
  updated_at: 'w.updated_at',
  url: 'w.url',
};

export class PgWebhookRepository implements WebhookRepository {
  constructor(private readonly db: Executor) {}

  async insert(input: {
    orgId: string;
    url: string;
    events: WebhookEventFilter[];
    secret: string;
  }): Promise<Webhook> {
    const row = await this.db
      .insertInto('webhooks')
      .values({ org_id: input.orgId, url: input.url, events: input.events, secret: input.secret })
      .returning(['id', 'org_id', 'url', 'events', 'created_at', 'updated_at', 'deleted_at'])
      .executeTakeFirstOrThrow();
    return toWebhook(row);
  }

  async find(
    orgId: string,
    id: string,
    options: { includeDeleted?: boolean; lock?: boolean } = {},
  ): Promise<Webhook | undefined> {
    let query = this.db
      .selectFrom('webhooks as w')
      .select(WEBHOOK_COLUMNS)
      .where('w.org_id', '=', orgId)
      .where('w.id', '=', id);
    if (!options.includeDeleted) query = query.where('w.deleted_at', 'is', null);
    const row = await (options.lock ? query.forUpdate() : query).executeTakeFirst();
    return row && toWebhook(row);
  }

  async list(orgId: string, sort: SortKey<WebhookSortField>[], page: Page): Promise<Webhook[]> {
    const query = this.db
      .selectFrom('webhooks as w')
      .select(WEBHOOK_COLUMNS)
      .where('w.org_id', '=', orgId)
      .where('w.deleted_at', 'is', null);
    const rows = await orderBySortKeys(query, sort, WEBHOOK_SORT, 'w.id', {
      table: 'webhooks',
      after: page.after,
      orgId,
    })
      .limit(page.limit + 1)
      .offset(page.offset)
      .execute();
    return rows.map(toWebhook);
  }

  softDelete(orgId: string, id: string): Promise<Date | undefined> {
    return softDeleteRow(this.db, 'webhooks', orgId, id);
  }

  async failPendingDeliveries(orgId: string, webhookId: string, error: string): Promise<number> {
    const result = await this.db
      .updateTable('webhook_deliveries')
      .set({ status: 'failed', last_error: error, locked_at: null, locked_by: null })
      .where('org_id', '=', orgId)
      .where('webhook_id', '=', webhookId)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async listDeliveries(
    orgId: string,
    webhookId: string,
    filter: DeliveryFilter,
    page: Page,
  ): Promise<WebhookDelivery[]> {
    let query = this.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('outbox_events as e', (join) =>
        join.onRef('e.org_id', '=', 'd.org_id').onRef('e.id', '=', 'd.event_id'),
      )
      .select([
        'd.id',
        'd.org_id',
        'd.webhook_id',
        'd.event_id',
        'e.event_type',
        'd.status',
        'd.attempt_count',
        'd.next_attempt_at',
        'd.last_response_code',
        'd.last_response_body',
        'd.last_error',
        'd.created_at',
        'd.updated_at',
        'd.delivered_at',
      ])
      .where('d.org_id', '=', orgId)
      .where('d.webhook_id', '=', webhookId);
    if (filter.status !== undefined) query = query.where('d.status', '=', filter.status);
    const rows = await orderBySortKeys(query, NEWEST_FIRST, { created_at: 'd.created_at' }, 'd.id', {
      table: 'webhook_deliveries',
      after: page.after,
      orgId,
    })
      .limit(page.limit + 1)
      .offset(page.offset)
      .execute();
    return rows.map((row) => ({
      id: row.id,
      orgId: row.org_id,
      webhookId: row.webhook_id,
      eventId: row.event_id,
      eventType: row.event_type,
      status: row.status,
      attemptCount: row.attempt_count,
      nextAttemptAt: row.next_attempt_at,
      lastResponseCode: row.last_response_code,
      lastResponseBody: row.last_response_body,
      lastError: row.last_error,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      deliveredAt: row.delivered_at,
    }));
  }

  async findEventId(orgId: string, dedupeKey: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('outbox_events')
      .select('id')
      .where('org_id', '=', orgId)
      .where('dedupe_key', '=', dedupeKey)
      .executeTakeFirst();
    return row?.id;
  }
}
