import { ALERT_CATEGORIES, type AlertCategory, type AlertLevel } from '../domain/alert.js';
import type { DomainEvent } from '../domain/events.js';
import { systemActor } from './actor.js';
import { alertEffects, type AlertRecord } from './alert-effects.js';
import type { AuditEntry } from './audit.js';
import { mutate } from './mutation.js';
import type { Repositories, UnitOfWork } from './ports.js';

/** The actor of every audit row the triggers write. */
export const ALERT_TRIGGERS_ACTOR = systemActor('alert-triggers');

/** One organization's named entities (of the category's entity type): the event-driven path's scope. */
export interface AlertScope {
  orgId: string;
  entityIds: readonly string[];
}

/** An alert a trigger raised (`previousLevel` null) or made louder (the level it had). */
export interface RaisedAlert {
  alert: AlertRecord;
  previousLevel: AlertLevel | null;
}

/** An alert moved up a level for want of an acknowledgement, and the level it had. */
export interface EscalatedAlert {
  alert: AlertRecord;
  previousLevel: AlertLevel;
}

/**
 * The triggers' set-based SQL (src/infra/postgres/alert-triggers.ts). Each call is one statement
 * over every organization, or over `scope`, of at most `limit` alerts.
 */
export interface AlertTriggerRepository {
  /**
   * Raises an alert for each entity whose condition holds and has no open alert of the category,
   * and raises the level of an open one whose condition is now louder.
   */
  raise(input: {
    category: AlertCategory;
    now: Date;
    scope?: AlertScope | undefined;
    limit: number;
  }): Promise<RaisedAlert[]>;
  /** Resolves (automatically) the open alerts of the category whose condition no longer holds. */
  resolveCleared(input: {
    category: AlertCategory;
    now: Date;
    scope?: AlertScope | undefined;
    limit: number;
  }): Promise<AlertRecord[]>;
  /** Moves up a level the open, unacknowledged alerts at their level for their org's `alert_escalation_after`. */
  escalateDue(input: { now: Date; limit: number }): Promise<EscalatedAlert[]>;
  /** The aircraft of the org's tasks named. */
  aircraftOfTasks(orgId: string, taskIds: readonly string[]): Promise<string[]>;
  /** The webhook (and org) of each delivery named. */
  webhooksOfDeliveries(deliveryIds: readonly string[]): Promise<{ orgId: string; webhookId: string }[]>;
  /** The org's open alerts, loudest first (the demo picks from them). */
  openAlerts(orgId: string): Promise<AlertRecord[]>;
  /** How many of the org's alerts a person acknowledged or resolved (the demo seeds them once). */
  handledByPeople(orgId: string): Promise<{ acknowledged: number; resolved: number }>;
}

/** What one evaluation did. */
export interface EvaluationCounts {
  raised: number;
  levelChanged: number;
  resolved: number;
}

/** A message of amss.events or amss.dlq, as far as the triggers read it. */
export interface TriggerMessage {
  fields: Record<string, string>;
}

/** Alerts changed per transaction: keeps each one short; a run pages through them all. */
const DEFAULT_BATCH_SIZE = 500;

/**
 * The categories each aggregate's events may change, keyed by the aggregate types the services
 * write (a task's events are `maintenance_task`'s, as its audit rows).
 */
const CATEGORIES_OF_AGGREGATE: Record<string, AlertCategory[]> = {
  employee_certification: ['certification_expiring', 'certification_expired'],
  maintenance_task: ['task_overdue'],
  aircraft_directive: ['directive_due', 'directive_overdue'],
  part_definition: ['part_low_stock', 'part_out_of_stock'],
};

/** Raised inside a batch's transaction when it changed nothing, so nothing is written. */
class NothingChanged extends Error {}

/**
 * What raises, worsens, escalates and auto-resolves alerts (issue 14). `evaluate` applies every
 * category's condition to every organization (the worker's job runs it at start and every
 * ALERT_EVALUATION_INTERVAL); `handleEvent` and `handleDeadLetter` apply the same conditions to the
 * entities an event names, at once. Both are idempotent: a condition is evaluated, never counted,
 * so a message handled twice or two evaluations at once change each alert once (the partial unique
 * index settles races). Every change is an audit row and an event, as `system:alert-triggers`.
 */
export class AlertTriggerService {
  private readonly batchSize: number;
  private readonly clock: () => Date;

  constructor(private readonly deps: { uow: UnitOfWork; now?: () => Date; batchSize?: number }) {
    this.batchSize = deps.batchSize ?? DEFAULT_BATCH_SIZE;
    this.clock = deps.now ?? (() => new Date());
  }

  /** Every category over every organization (or `categories` over `scope`): clears first, then raises. */
  async evaluate(
    now: Date = this.clock(),
    options: { categories?: readonly AlertCategory[]; scope?: AlertScope } = {},
  ): Promise<EvaluationCounts> {
    const counts: EvaluationCounts = { raised: 0, levelChanged: 0, resolved: 0 };
    const { scope } = options;
    if (scope !== undefined && scope.entityIds.length === 0) return counts;
    for (const category of options.categories ?? ALERT_CATEGORIES) {
      // Resolving first lets a condition that improved past its alert's band (a renewal) be
      // raised afresh at its quieter level in the same run.
      counts.resolved += await this.inBatches(async (repos) => {
        const alerts = await repos.alertTriggers.resolveCleared({
          category,
          now,
          scope,
          limit: this.batchSize,
        });
        return alerts.map((alert) => ({ alert, ...alertEffects(alert, { kind: 'resolved' }, now) }));
      });
      const raised = { raised: 0, levelChanged: 0 };
      await this.inBatches(async (repos) => {
        const alerts = await repos.alertTriggers.raise({ category, now, scope, limit: this.batchSize });
        return alerts.map(({ alert, previousLevel }) => {
          raised[previousLevel === null ? 'raised' : 'levelChanged'] += 1;
          const change =
            previousLevel === null
              ? ({ kind: 'raised' } as const)
              : ({ kind: 'level_changed', previousLevel } as const);
          return { alert, ...alertEffects(alert, change, now) };
        });
      });
      counts.raised += raised.raised;
      counts.levelChanged += raised.levelChanged;
    }
    return counts;
  }

  /** Moves up a level every alert left unacknowledged for its org's `alert_escalation_after`; returns how many. */
  async escalate(now: Date = this.clock()): Promise<number> {
    return this.inBatches(async (repos) => {
      const alerts = await repos.alertTriggers.escalateDue({ now, limit: this.batchSize });
      return alerts.map(({ alert, previousLevel }) => ({
        alert,
        ...alertEffects(alert, { kind: 'escalated', previousLevel }, now),
      }));
    });
  }

  /**
   * An event of amss.events: a change to a certification, task, aircraft directive or part
   * definition re-evaluates that entity's categories (a task's also its aircraft's AOG) at once.
   */
  async handleEvent(message: TriggerMessage, now: Date = this.clock()): Promise<void> {
    const payload = parsePayload(message.fields.payload);
    if (!payload) return;
    const categories = CATEGORIES_OF_AGGREGATE[payload.aggregateType];
    if (!categories) return;
    const scope = { orgId: payload.orgId, entityIds: [payload.aggregateId] };
    await this.evaluate(now, { categories, scope });
    if (payload.aggregateType === 'maintenance_task') {
      const aircraft = await this.deps.uow.repos.alertTriggers.aircraftOfTasks(payload.orgId, [
        payload.aggregateId,
      ]);
      await this.evaluate(now, {
        categories: ['aircraft_aog'],
        scope: { orgId: payload.orgId, entityIds: aircraft },
      });
    }
  }

  /** An entry of amss.dlq: a webhook delivery given up re-evaluates its webhook at once. */
  async handleDeadLetter(message: TriggerMessage, now: Date = this.clock()): Promise<void> {
    const { kind, id } = message.fields;
    if (kind !== 'webhook_delivery' || id === undefined || !UUID.test(id)) return;
    for (const { orgId, webhookId } of await this.deps.uow.repos.alertTriggers.webhooksOfDeliveries([id])) {
      await this.evaluate(now, { categories: ['webhook_failing'], scope: { orgId, entityIds: [webhookId] } });
    }
  }

  /**
   * Runs `batch` in transactions until one changes fewer than a batch's worth of alerts; each
   * transaction writes its alerts' audit rows and events. Returns how many alerts changed.
   */
  private async inBatches(
    batch: (repos: Repositories) => Promise<{ alert: AlertRecord; audit: AuditEntry; event: DomainEvent }[]>,
  ): Promise<number> {
    let total = 0;
    for (;;) {
      let changed = 0;
      try {
        changed = await mutate(this.deps.uow, { actor: ALERT_TRIGGERS_ACTOR }, async (repos) => {
          const effects = await batch(repos);
          if (effects.length === 0) throw new NothingChanged();
          return {
            result: effects.length,
            audit: effects.map((effect) => effect.audit),
            events: effects.map((effect) => effect.event),
          };
        });
      } catch (error) {
        if (!(error instanceof NothingChanged)) throw error;
      }
      total += changed;
      if (changed < this.batchSize) return total;
    }
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The org and aggregate of an event's payload; undefined for one that is not an AMSS event. */
function parsePayload(
  text: string | undefined,
): { orgId: string; aggregateType: string; aggregateId: string } | undefined {
  if (text === undefined) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof payload !== 'object' || payload === null) return undefined;
  const {
    org_id: orgId,
    aggregate_type: aggregateType,
    aggregate_id: aggregateId,
  } = payload as Record<string, unknown>;
  if (typeof orgId !== 'string' || typeof aggregateType !== 'string' || typeof aggregateId !== 'string')
    return undefined;
  if (!UUID.test(orgId) || !UUID.test(aggregateId)) return undefined;
  return { orgId, aggregateType, aggregateId };
}
