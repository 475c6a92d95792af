import { domainEvent, type DomainEvent, type EventInput } from '../domain/events.js';
import type { Actor, RequestContext } from './actor.js';
import { auditRecord, type AuditAction, type AuditEntry } from './audit.js';
import { currentIdempotentAttempt } from './idempotency.js';
import type { Repositories, UnitOfWork } from './ports.js';

/** Who is changing something and through which request. */
export interface MutationContext {
  actor: Actor;
  request?: RequestContext;
}

/** What a unit of work returns: its result, the audit entries and the events it caused. */
export interface Change<T> {
  result: T;
  audit: AuditEntry | AuditEntry[];
  events?: DomainEvent[];
  /**
   * Further work in the same transaction that writes its own audit rows and events (the program
   * generator's placement of a next occurrence, `insertTasks`), run once this change's are
   * recorded: the outbox then publishes the cause before its consequence.
   */
  afterRecorded?: ((repos: Repositories) => Promise<void>) | undefined;
}

/**
 * The one way AMSS changes data (the program generator's batches aside: their insert statement
 * writes each task's audit row and events itself, see `ProgramGenerationRepository.insertTasks`).
 * `work` runs inside a transaction and describes its effects;
 * the audit rows and outbox events are written in that same transaction, so either the
 * change, its audit trail and its events all commit, or none of them do.
 *
 * Inside a request with an Idempotency-Key, the mutation's result is recorded in that same
 * transaction too, numbered in the request's order of mutations: a retry after the process died
 * between this commit and storing the response finds it, and this mutation then answers the
 * recorded result instead of running again (see `beginIdempotentRequest`). So a request's
 * mutations run one after another, in an order the request decides (else see
 * `outsideIdempotentAttempt`).
 */
export async function mutate<T>(
  uow: UnitOfWork,
  context: MutationContext,
  work: (repos: Repositories) => Promise<Change<T>>,
): Promise<T> {
  const attempt = currentIdempotentAttempt();
  if (!attempt) return uow.transaction((repos) => applyChange(repos, context, work));
  const seq = attempt.nextMutation();
  if (attempt.recovering) {
    const recorded = await attempt.recorded(seq);
    if (recorded) return recorded.result as T;
  }
  try {
    return await uow.transaction(async (repos) => {
      // Claimed before the work: an attempt running the same mutation concurrently waits here
      // rather than meeting this one's effects (and answering, say, TASK_OVERLAP against them).
      if (!(await repos.idempotentMutations.claim(attempt.key, seq))) throw new RecordedMeanwhile();
      const result = await applyChange(repos, context, work);
      await repos.idempotentMutations.record(attempt.key, seq, result);
      return result;
    });
  } catch (error) {
    if (!(error instanceof RecordedMeanwhile)) throw error;
    const recorded = await attempt.recorded(seq);
    if (!recorded) {
      throw new Error(`idempotent mutation ${seq} was claimed but has no result`, { cause: error });
    }
    return recorded.result as T;
  }
}

/** Another attempt at the same request committed this mutation while this one waited for it. */
class RecordedMeanwhile extends Error {}

async function applyChange<T>(
  repos: Repositories,
  context: MutationContext,
  work: (repos: Repositories) => Promise<Change<T>>,
): Promise<T> {
  const change = await work(repos);
  const entries = Array.isArray(change.audit) ? change.audit : [change.audit];
  if (entries.length === 0) throw new Error('a mutation must write at least one audit row');
  await repos.changeLog.record(
    entries.map((entry) => auditRecord(entry, context.actor, context.request)),
    change.events ?? [],
  );
  await change.afterRecorded?.(repos);
  return change.result;
}

/** One change to one entity, as its audit row and its event tell it (views, not domain objects). */
export interface EntityChange {
  orgId: string;
  entityType: string;
  entityId: string;
  action: AuditAction;
  entityVersion?: number;
  before?: unknown;
  after?: unknown;
  extra?: Record<string, unknown> | undefined;
  event: Pick<EventInput, 'type' | 'discriminator' | 'data' | 'occurredAt'>;
}

/** The audit entry and the event of one change to one entity: every context's effects are built here. */
export function entityEffects(change: EntityChange): { audit: AuditEntry; events: DomainEvent[] } {
  const { orgId, entityType, entityId, event } = change;
  return {
    audit: {
      orgId,
      entityType,
      entityId,
      action: change.action,
      entityVersion: change.entityVersion,
      before: change.before,
      after: change.after,
      extra: change.extra,
    },
    events: [domainEvent({ orgId, aggregateType: entityType, aggregateId: entityId, ...event })],
  };
}
