import {
  acknowledgeRefusal,
  ALERT_CATEGORIES,
  ALERT_LEVELS,
  resolveRefusal,
  type AlertCategory,
  type AlertEntityType,
  type AlertLevel,
  type AlertRefusal,
} from '../domain/alert.js';
import { authorize, resolveOrgScope, type OrgScope } from './access.js';
import type { Actor, UserActor } from './actor.js';
import { alertEffects, type AlertChange, type AlertRecord } from './alert-effects.js';
import { AppError } from './errors.js';
import { mutate, type MutationContext } from './mutation.js';
import { pageOf, parseSort, type Page, type PageOf, type SortKey } from './pagination.js';
import type { Repositories, UnitOfWork } from './ports.js';

// ---------------------------------------------------------------------------------------------
// Inputs, summary and repository
// ---------------------------------------------------------------------------------------------

/** The fields the alert list sorts by (`-` for descending; the id breaks ties). */
export const ALERT_SORT_FIELDS = ['raised_at', 'level', 'category', 'updated_at'] as const;
export type AlertSortField = (typeof ALERT_SORT_FIELDS)[number];

/** Newest first: what the control centre wants to see first. */
export const DEFAULT_ALERT_SORT: SortKey<AlertSortField>[] = [{ field: 'raised_at', direction: 'desc' }];

/** Filters of the alert list; each one set narrows it (they combine with AND). */
export interface AlertFilter {
  level?: AlertLevel | undefined;
  category?: AlertCategory | undefined;
  entityType?: AlertEntityType | undefined;
  entityId?: string | undefined;
  aircraftId?: string | undefined;
  /** The person the alert is about. */
  userId?: string | undefined;
  /** true: only acknowledged alerts; false: only those not acknowledged. */
  acknowledged?: boolean | undefined;
  /** true: only resolved alerts; false: only open ones. */
  resolved?: boolean | undefined;
}

/** Counts of the organization's open (unresolved) alerts. */
export interface AlertSummary {
  /** Open alerts. */
  total: number;
  /** Open alerts nobody has acknowledged yet. */
  unacknowledged: number;
  /** Open alerts that moved up a level at least once for want of an acknowledgement. */
  escalated: number;
  /** Open alerts per level; every level present, 0 when none. */
  byLevel: Record<AlertLevel, number>;
  /** Open alerts per category; every category present, 0 when none. */
  byCategory: Record<AlertCategory, number>;
}

/** The summary on the wire (`GET /alerts/summary`). */
export interface AlertSummaryView {
  total: number;
  unacknowledged: number;
  escalated: number;
  by_level: Record<AlertLevel, number>;
  by_category: Record<AlertCategory, number>;
  computed_at: string;
}

export const alertSummaryView = (summary: AlertSummary, computedAt: Date): AlertSummaryView => ({
  total: summary.total,
  unacknowledged: summary.unacknowledged,
  escalated: summary.escalated,
  by_level: summary.byLevel,
  by_category: summary.byCategory,
  computed_at: computedAt.toISOString(),
});

/** A summary with every count 0, to be filled from grouped rows. */
export function emptyAlertSummary(): AlertSummary {
  return {
    total: 0,
    unacknowledged: 0,
    escalated: 0,
    byLevel: Object.fromEntries(ALERT_LEVELS.map((level) => [level, 0])) as Record<AlertLevel, number>,
    byCategory: Object.fromEntries(ALERT_CATEGORIES.map((category) => [category, 0])) as Record<
      AlertCategory,
      number
    >,
  };
}

/** Who acted on an alert and when: a person, recorded with the organization they belong to. */
export interface AlertActorStamp {
  userId: string;
  userOrgId: string;
  at: Date;
}

/** Reads of one organization's alerts and the changes people make to them, one row at a time. */
export interface AlertRepository {
  /** Alerts of the organization, filtered and sorted; fetches `page.limit + 1` rows. */
  list(
    orgId: string,
    filter: AlertFilter,
    sort: SortKey<AlertSortField>[],
    page: Page,
  ): Promise<AlertRecord[]>;
  /** One alert of the organization; `lock` holds it (FOR UPDATE) until the transaction ends. */
  find(orgId: string, id: string, options?: { lock?: boolean }): Promise<AlertRecord | undefined>;
  /** Counts of the organization's open alerts, in one statement. */
  summary(orgId: string): Promise<AlertSummary>;
  /** Marks an open, unacknowledged alert acknowledged; undefined when it is not (any more). */
  acknowledge(orgId: string, id: string, by: AlertActorStamp): Promise<AlertRecord | undefined>;
  /** Resolves an open alert by hand, with an optional note; undefined when it is not open (any more). */
  resolve(
    orgId: string,
    id: string,
    by: AlertActorStamp & { note: string | null },
  ): Promise<AlertRecord | undefined>;
}

/** The longest resolution or acknowledgement note accepted (the REST schema says the same). */
export const MAX_ALERT_NOTE_LENGTH = 2000;

// ---------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------

/**
 * The alerts of an organization as people read and act on them: listed, read one by one and
 * summed up by everyone; acknowledged and resolved by those who act on them (a mechanic only the
 * alerts about them). What raises, worsens, escalates and auto-resolves alerts is the trigger
 * job's (src/app/alert-triggers.ts). Each acknowledgement and resolution is an audit row and an
 * event (`alert_acknowledged`, `alert_resolved`) through `alertEffects`.
 */
export class AlertService {
  constructor(private readonly deps: { uow: UnitOfWork; now?: () => Date }) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** Alerts of the organization in scope, newest first unless `sort` says otherwise. */
  async list(
    actor: Actor,
    input: AlertFilter & OrgScope & { sort?: string | undefined },
    page: Page,
  ): Promise<PageOf<AlertRecord>> {
    authorize(actor, 'alerts', 'read');
    const sort = parseSort(input.sort, ALERT_SORT_FIELDS, DEFAULT_ALERT_SORT);
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, input);
    const filter: AlertFilter = {
      level: input.level,
      category: input.category,
      entityType: input.entityType,
      entityId: input.entityId,
      aircraftId: input.aircraftId,
      userId: input.userId,
      acknowledged: input.acknowledged,
      resolved: input.resolved,
    };
    return pageOf(await repos.alerts.list(orgId, filter, sort, page), page);
  }

  /** One alert of the organization in scope (404 ALERT_NOT_FOUND otherwise, also for another org's). */
  async get(actor: Actor, id: string, scope: OrgScope = {}): Promise<AlertRecord> {
    authorize(actor, 'alerts', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, scope);
    return (await repos.alerts.find(orgId, id)) ?? alertNotFound();
  }

  /** Counts of the open alerts of the organization in scope, by level and by category. */
  async summary(actor: Actor, scope: OrgScope = {}): Promise<{ summary: AlertSummary; computedAt: Date }> {
    authorize(actor, 'alerts', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, scope);
    const computedAt = this.now();
    return { summary: await repos.alerts.summary(orgId), computedAt };
  }

  /**
   * Acknowledges an open alert: someone is on it, so it no longer escalates. A repeat is 409
   * ALERT_ALREADY_ACKNOWLEDGED, a resolved alert 409 ALERT_ALREADY_RESOLVED, a mechanic on an
   * alert not about them 403 ALERT_NOT_YOURS. The optional note goes into the audit row.
   */
  async acknowledge(
    ctx: MutationContext,
    id: string,
    input: OrgScope & { note?: string | undefined } = {},
  ): Promise<AlertRecord> {
    authorize(ctx.actor, 'alerts', 'acknowledge');
    const actor = personOf(ctx.actor, 'acknowledge');
    const note = noteOf(input.note);
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, input);
    return this.change(ctx, orgId, id, { kind: 'acknowledged' }, note, async (tx, alert, at) => {
      refuse(acknowledgeRefusal(alert, { role: actor.role, userId: actor.userId }));
      return tx.alerts.acknowledge(orgId, id, { userId: actor.userId, userOrgId: actor.orgId, at });
    });
  }

  /**
   * Resolves an open alert by hand, with an optional note kept on it. A repeat (or an alert the
   * trigger job resolved meanwhile) is 409 ALERT_ALREADY_RESOLVED; a mechanic on an alert not
   * about them 403 ALERT_NOT_YOURS. An unacknowledged alert may be resolved directly.
   */
  async resolve(
    ctx: MutationContext,
    id: string,
    input: OrgScope & { note?: string | undefined } = {},
  ): Promise<AlertRecord> {
    authorize(ctx.actor, 'alerts', 'resolve');
    const actor = personOf(ctx.actor, 'resolve');
    const note = noteOf(input.note);
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, input);
    return this.change(ctx, orgId, id, { kind: 'resolved' }, undefined, async (tx, alert, at) => {
      refuse(resolveRefusal(alert, { role: actor.role, userId: actor.userId }));
      return tx.alerts.resolve(orgId, id, {
        userId: actor.userId,
        userOrgId: actor.orgId,
        at,
        note: note ?? null,
      });
    });
  }

  /**
   * One person's change of one alert: the alert is locked and checked, changed, and its audit row
   * and event written in the same transaction. The lock makes a concurrent change (another person,
   * the trigger job resolving it) wait and then meet the rules with the row as it left it.
   */
  private change(
    ctx: MutationContext,
    orgId: string,
    id: string,
    change: AlertChange,
    note: string | undefined,
    apply: (tx: Repositories, alert: AlertRecord, at: Date) => Promise<AlertRecord | undefined>,
  ): Promise<AlertRecord> {
    return mutate(this.deps.uow, ctx, async (tx) => {
      const alert = (await tx.alerts.find(orgId, id, { lock: true })) ?? alertNotFound();
      const at = this.now();
      const changed = await apply(tx, alert, at);
      if (!changed) {
        throw AppError.conflict('CONCURRENT_UPDATE', 'the alert changed meanwhile; read it again');
      }
      const { audit, event } = alertEffects(changed, change, at);
      const extra = note === undefined ? audit.extra : { ...audit.extra, note };
      return { result: changed, audit: { ...audit, extra }, events: [event] };
    });
  }
}

const alertNotFound = (): never => {
  throw AppError.notFound('alert', 'ALERT_NOT_FOUND');
};

/** Throws the refusal the alert rules gave, if any. */
function refuse(refusal: AlertRefusal | undefined): void {
  if (refusal) throw new AppError(refusal.kind, refusal.reason, refusal.message);
}

/** Acknowledging and resolving are a person's acts: a background job never does either. */
function personOf(actor: Actor, action: 'acknowledge' | 'resolve'): UserActor {
  if (actor.kind === 'user') return actor;
  throw AppError.forbidden(`only a person may ${action} an alert`, 'ALERT_NEEDS_A_PERSON');
}

/** A note trimmed, or undefined when it is absent or blank. */
function noteOf(raw: string | undefined): string | undefined {
  const note = raw?.trim();
  if (note === undefined || note === '') return undefined;
  if (note.length > MAX_ALERT_NOTE_LENGTH) {
    throw AppError.validation(`the note must be at most ${MAX_ALERT_NOTE_LENGTH} characters`, [
      { field: 'body.note', message: `must be at most ${MAX_ALERT_NOTE_LENGTH} characters` },
    ]);
  }
  return note;
}
