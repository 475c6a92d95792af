import { randomBytes, randomUUID } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { domainEvent, type DomainEvent, type EventType } from '../domain/events.js';
import {
  addressRefusal,
  checkWebhookUrl,
  MAX_WEBHOOK_URL_LENGTH,
  normalizeWebhookEvents,
  type DeliveryStatus,
  type Webhook,
  type WebhookDelivery,
  type WebhookEventFilter,
  type WebhookUrlRules,
} from '../domain/webhook.js';
import { authorize, resolveOrgScope, type OrgScope } from './access.js';
import type { Actor } from './actor.js';
import type { AuditAction, AuditEntry } from './audit.js';
import { AppError } from './errors.js';
import { entityEffects, mutate, type MutationContext } from './mutation.js';
import { pageOf, parseSort, type Page, type PageOf, type SortKey } from './pagination.js';
import type { UnitOfWork } from './ports.js';

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------

/** A webhook as the API, audit rows and events show it: never with its secret. */
export type WebhookView = {
  id: string;
  org_id: string;
  url: string;
  events: WebhookEventFilter[];
  created_at: string;
  updated_at: string;
};

/** The view of a webhook. */
export const webhookView = (webhook: Webhook): WebhookView => ({
  id: webhook.id,
  org_id: webhook.orgId,
  url: webhook.url,
  events: webhook.events,
  created_at: webhook.createdAt.toISOString(),
  updated_at: webhook.updatedAt.toISOString(),
});

/** A delivery as the API shows it (the stored response body stays internal). */
export type WebhookDeliveryView = {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempt_count: number;
  next_attempt_at: string | null;
  last_response_code: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
};

/** The view of a delivery; `next_attempt_at` is null once it is delivered or failed. */
export const webhookDeliveryView = (delivery: WebhookDelivery): WebhookDeliveryView => ({
  id: delivery.id,
  webhook_id: delivery.webhookId,
  event_id: delivery.eventId,
  event_type: delivery.eventType,
  status: delivery.status,
  attempt_count: delivery.attemptCount,
  next_attempt_at: delivery.status === 'pending' ? delivery.nextAttemptAt.toISOString() : null,
  last_response_code: delivery.lastResponseCode,
  last_error: delivery.lastError,
  created_at: delivery.createdAt.toISOString(),
  delivered_at: delivery.deliveredAt?.toISOString() ?? null,
});

// ---------------------------------------------------------------------------------------------
// Inputs and repository
// ---------------------------------------------------------------------------------------------

/** The fields webhook lists sort by. */
export const WEBHOOK_SORT_FIELDS = ['created_at', 'updated_at', 'url'] as const;
export type WebhookSortField = (typeof WEBHOOK_SORT_FIELDS)[number];

/** A new subscription. */
export interface CreateWebhookInput extends OrgScope {
  url: string;
  events: string[];
}

/** A webhook just created, with the secret shown this one time. */
export interface CreatedWebhook {
  webhook: Webhook;
  secret: string;
}

/** The event a test request queued. */
export interface QueuedTestEvent {
  eventId: string;
  webhookId: string;
}

/** Filters of a webhook's delivery list. */
export interface DeliveryFilter {
  status?: DeliveryStatus | undefined;
}

/** Why pending deliveries of a deleted webhook were given up. */
export const WEBHOOK_DELETED_ERROR = 'the webhook was deleted before this delivery was sent';

/** Persistence of webhooks and their deliveries; every method is scoped to one organization. */
export interface WebhookRepository {
  insert(input: {
    orgId: string;
    url: string;
    events: WebhookEventFilter[];
    secret: string;
  }): Promise<Webhook>;
  /** A webhook of the org; a deleted one only when `includeDeleted`. */
  find(
    orgId: string,
    id: string,
    options?: { includeDeleted?: boolean; lock?: boolean },
  ): Promise<Webhook | undefined>;
  /** Live webhooks; fetches `page.limit + 1` rows. */
  list(orgId: string, sort: SortKey<WebhookSortField>[], page: Page): Promise<Webhook[]>;
  /** Soft-deletes a live webhook; returns when, or undefined when there is none. */
  softDelete(orgId: string, id: string): Promise<Date | undefined>;
  /** Marks the webhook's pending deliveries failed with `error`; returns how many. */
  failPendingDeliveries(orgId: string, webhookId: string, error: string): Promise<number>;
  /** A webhook's deliveries, newest first; fetches `page.limit + 1` rows. */
  listDeliveries(
    orgId: string,
    webhookId: string,
    filter: DeliveryFilter,
    page: Page,
  ): Promise<WebhookDelivery[]>;
  /** The id of the outbox event with this dedupe key. */
  findEventId(orgId: string, dedupeKey: string): Promise<string | undefined>;
}

/** Resolves a host name to every address it has (A and AAAA). */
export type HostResolver = (hostname: string) => Promise<string[]>;

/** Resolves through the operating system, as the dispatcher's connections do. */
export const systemHostResolver: HostResolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

export interface WebhookServiceDeps {
  uow: UnitOfWork;
  /** Which URLs are accepted; production (APP_ENV=production) allows only https to public addresses. */
  urlRules: WebhookUrlRules;
  /** Under the production rules, a host name's addresses are checked when the webhook is created. */
  resolveHost?: HostResolver;
}

// ---------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------

/**
 * Webhook subscriptions of an organization: created with a secret shown once, listed and read
 * without it, soft-deleted with their delivery history kept, and tested through the same outbox
 * and delivery pipeline as every other event.
 */
export class WebhookService {
  private readonly resolveHost: HostResolver;

  constructor(private readonly deps: WebhookServiceDeps) {
    this.resolveHost = deps.resolveHost ?? systemHostResolver;
  }

  /**
   * Subscribes `url` to `events` (known event types or `*`, duplicates collapsed). The secret
   * (32 random bytes, hex) is returned here and never again.
   */
  async create(ctx: MutationContext, input: CreateWebhookInput): Promise<CreatedWebhook> {
    authorize(ctx.actor, 'webhooks', 'create');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, input);
    const events = normalizeWebhookEvents(input.events);
    if ('problems' in events) {
      throw AppError.validation(
        `events: ${events.problems.join('; ')}`,
        events.problems.map((message) => ({ field: 'body.events', message })),
        'INVALID_WEBHOOK_EVENTS',
      );
    }
    const url = await this.acceptedUrl(input.url);
    const secret = randomBytes(32).toString('hex');
    const webhook = await mutate(this.deps.uow, ctx, async (tx) => {
      const created = await tx.webhooks.insert({ orgId, url, events: events.events, secret });
      return {
        result: created,
        ...webhookEffects(created, 'create', 'webhook_created', created.createdAt),
      };
    });
    return { webhook, secret };
  }

  /** One live webhook of the organization in scope (404 otherwise). */
  async get(actor: Actor, id: string, scope: OrgScope = {}): Promise<Webhook> {
    authorize(actor, 'webhooks', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, scope);
    return (await repos.webhooks.find(orgId, id)) ?? webhookNotFound();
  }

  /** Live webhooks, oldest first unless `sort` says otherwise. */
  async list(
    actor: Actor,
    input: OrgScope & { sort?: string | undefined },
    page: Page,
  ): Promise<PageOf<Webhook>> {
    authorize(actor, 'webhooks', 'read');
    const sort = parseSort(input.sort, WEBHOOK_SORT_FIELDS, [{ field: 'created_at', direction: 'asc' }]);
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, input);
    return pageOf(await repos.webhooks.list(orgId, sort, page), page);
  }

  /**
   * Soft-deletes a webhook. Its pending deliveries are marked failed in the same transaction (and
   * the dispatcher fails any that the publisher still creates for it), so nothing more is sent;
   * its delivery history stays readable.
   */
  async delete(ctx: MutationContext, id: string, scope: OrgScope = {}): Promise<void> {
    authorize(ctx.actor, 'webhooks', 'delete');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    await mutate(this.deps.uow, ctx, async (tx) => {
      const before = (await tx.webhooks.find(orgId, id, { lock: true })) ?? webhookNotFound();
      const deletedAt = (await tx.webhooks.softDelete(orgId, id)) ?? webhookNotFound();
      const cancelled = await tx.webhooks.failPendingDeliveries(orgId, id, WEBHOOK_DELETED_ERROR);
      const effects = webhookEffects(before, 'delete', 'webhook_deleted', deletedAt);
      return {
        result: undefined,
        audit: { ...effects.audit, extra: { pending_deliveries_failed: cancelled } },
        events: effects.events,
      };
    });
  }

  /**
   * Queues a `webhook_test` event for one live webhook: a new outbox event on every call (a random
   * discriminator makes each one its own effect), which the publisher routes to this webhook only.
   */
  async sendTest(ctx: MutationContext, id: string, scope: OrgScope = {}): Promise<QueuedTestEvent> {
    authorize(ctx.actor, 'webhooks', 'create');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    const testId = randomUUID();
    const now = new Date();
    const event = domainEvent({
      orgId,
      type: 'webhook_test',
      aggregateType: 'webhook',
      aggregateId: id,
      discriminator: testId,
      data: { webhook_id: id, test_id: testId, message: 'This is a test event sent from AMSS.' },
      occurredAt: now,
    });
    await mutate(this.deps.uow, ctx, async (tx) => {
      if (!(await tx.webhooks.find(orgId, id, { lock: true }))) webhookNotFound();
      // The test event is its own entity (its test_id is in the event's data), created for the webhook.
      const audit: AuditEntry = {
        orgId,
        entityType: 'webhook_test',
        entityId: testId,
        action: 'create',
        after: { webhook_id: id, test_id: testId, event_type: 'webhook_test' },
      };
      return { result: undefined, audit, events: [event] };
    });
    const eventId = await this.deps.uow.repos.webhooks.findEventId(orgId, event.dedupeKey);
    if (eventId === undefined) throw new Error('the committed webhook_test event cannot be found');
    return { eventId, webhookId: id };
  }

  /**
   * A webhook's deliveries, newest first, optionally of one status. A deleted webhook's history
   * stays readable; an id unknown to the organization is 404.
   */
  async listDeliveries(
    actor: Actor,
    webhookId: string,
    input: OrgScope & DeliveryFilter,
    page: Page,
  ): Promise<PageOf<WebhookDelivery>> {
    authorize(actor, 'webhooks', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, input);
    if (!(await repos.webhooks.find(orgId, webhookId, { includeDeleted: true }))) webhookNotFound();
    return pageOf(
      await repos.webhooks.listDeliveries(orgId, webhookId, { status: input.status }, page),
      page,
    );
  }

  /** The URL as stored, or 400 INVALID_WEBHOOK_URL naming the rule it breaks. */
  private async acceptedUrl(raw: string): Promise<string> {
    const refuse = (message: string): never => {
      throw AppError.validation(`url ${message}`, [{ field: 'body.url', message }], 'INVALID_WEBHOOK_URL');
    };
    const checked = checkWebhookUrl(raw, this.deps.urlRules);
    if ('problem' in checked) return refuse(checked.problem);
    if (checked.url.length > MAX_WEBHOOK_URL_LENGTH)
      return refuse(`must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`);
    if (this.deps.urlRules.publicHttpsOnly && checked.hostname !== undefined) {
      let addresses: string[];
      try {
        addresses = await this.resolveHost(checked.hostname);
      } catch {
        return refuse(`host ${checked.hostname} does not resolve`);
      }
      if (addresses.length === 0) return refuse(`host ${checked.hostname} does not resolve`);
      for (const address of addresses) {
        const refusal = addressRefusal(address);
        if (refusal) refuse(`host ${checked.hostname} resolves to ${refusal}`);
      }
    }
    return checked.url;
  }
}

const webhookNotFound = (): never => {
  throw AppError.notFound('webhook', 'WEBHOOK_NOT_FOUND');
};

/** The audit row and the event of creating or deleting a webhook; neither carries the secret. */
function webhookEffects(
  webhook: Webhook,
  action: AuditAction,
  type: EventType,
  occurredAt: Date,
): { audit: AuditEntry; events: DomainEvent[] } {
  const view = webhookView(webhook);
  return entityEffects({
    orgId: webhook.orgId,
    entityType: 'webhook',
    entityId: webhook.id,
    action,
    ...(action === 'delete' ? { before: view } : { after: view }),
    event: { type, data: view, occurredAt },
  });
}
