import { sql } from 'kysely';
import type { ClaimedEvent, OutboxQueue, PublishFailure, RecordedFailure } from '../../app/outbox.js';
import type { Executor } from './executor.js';

/** The first retry waits this long; each further one twice as long, up to the cap. */
const BACKOFF_BASE_SECONDS = 1;
const BACKOFF_CAP_SECONDS = 3600;

/** The outbox table as a work queue, in set-based statements (one per batch, never one per row). */
export class PgOutboxQueue implements OutboxQueue {
  constructor(private readonly db: Executor) {}

  async claim(input: {
    workerId: string;
    limit: number;
    leaseMs: number;
    now: Date;
  }): Promise<ClaimedEvent[]> {
    const staleBefore = new Date(input.now.getTime() - input.leaseMs);
    const { rows } = await sql<{
      id: string;
      org_id: string;
      event_type: string;
      dedupe_key: string;
      payload: string;
      attempt_count: number;
      created_at: Date;
    }>`
      WITH due AS (
        SELECT id FROM outbox_events
         -- \`now\` has millisecond resolution and the database's clock microseconds: an event due
         -- within the same millisecond is due (else a commit right before a poll waits for the next).
         WHERE processed_at IS NULL AND status = 'pending'
           AND next_attempt_at < ${input.now}::timestamptz + interval '1 millisecond'
           AND (locked_at IS NULL OR locked_at < ${staleBefore})
         -- The order the events were recorded in (migrations/00010_outbox_order.sql).
         ORDER BY seq NULLS FIRST, created_at, id
         LIMIT ${input.limit}
         FOR UPDATE SKIP LOCKED
      ), claimed AS (
        UPDATE outbox_events o
           SET locked_at = ${input.now}, locked_by = ${input.workerId}
          FROM due
         WHERE o.id = due.id
        RETURNING o.id, o.org_id, o.event_type, o.dedupe_key, o.payload::text AS payload,
                  o.attempt_count, o.created_at, o.seq
      )
      -- UPDATE … RETURNING keeps no order: published in recorded order, as they were claimed.
      SELECT id, org_id, event_type, dedupe_key, payload, attempt_count, created_at
        FROM claimed
       ORDER BY seq NULLS FIRST, created_at, id`.execute(this.db);
    return rows.map((row) => ({
      id: row.id,
      orgId: row.org_id,
      eventType: row.event_type,
      dedupeKey: row.dedupe_key,
      payload: row.payload,
      attemptCount: row.attempt_count,
      createdAt: row.created_at,
    }));
  }

  async markPublished(ids: string[], now: Date): Promise<{ published: number; deliveries: number }> {
    if (ids.length === 0) return { published: 0, deliveries: 0 };
    // `webhook_test` events go only to the webhook they test; every other event to each live
    // webhook of its org subscribed to its type or to `*`. The unique (webhook_id, event_id)
    // makes a second publication of the same event add no second delivery.
    const { rows } = await sql<{ published: number; deliveries: number }>`
      WITH published AS (
        UPDATE outbox_events
           SET status = 'processed', processed_at = ${now}, locked_at = NULL, locked_by = NULL
         WHERE id = ANY(${ids}::uuid[]) AND status = 'pending'
        RETURNING id, org_id, event_type, payload
      ), deliveries AS (
        INSERT INTO webhook_deliveries (org_id, webhook_id, event_id, next_attempt_at)
        SELECT p.org_id, w.id, p.id, ${now}
          FROM published p
          JOIN webhooks w ON w.org_id = p.org_id AND w.deleted_at IS NULL
         WHERE CASE WHEN p.event_type = 'webhook_test'
                    THEN w.id::text = p.payload -> 'data' ->> 'webhook_id'
                    ELSE p.event_type = ANY(w.events) OR '*' = ANY(w.events) END
        ON CONFLICT (webhook_id, event_id) DO NOTHING
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM published)::integer AS published,
             (SELECT count(*) FROM deliveries)::integer AS deliveries`.execute(this.db);
    return rows[0] ?? { published: 0, deliveries: 0 };
  }

  async recordFailures(
    failures: PublishFailure[],
    input: { maxAttempts: number; now: Date },
  ): Promise<RecordedFailure[]> {
    if (failures.length === 0) return [];
    const { rows } = await sql<{
      id: string;
      org_id: string;
      event_type: string;
      attempt_count: number;
      last_error: string;
      status: string;
    }>`
      UPDATE outbox_events o
         SET attempt_count = o.attempt_count + 1,
             last_error = f.error,
             locked_at = NULL,
             locked_by = NULL,
             next_attempt_at = ${input.now}::timestamptz + make_interval(secs => least(
               ${BACKOFF_CAP_SECONDS}, ${BACKOFF_BASE_SECONDS} * power(2, least(o.attempt_count, 20)))),
             status = CASE WHEN o.attempt_count + 1 >= ${input.maxAttempts}
                           THEN 'failed'::outbox_status ELSE o.status END,
             failed_at = CASE WHEN o.attempt_count + 1 >= ${input.maxAttempts} THEN ${input.now}::timestamptz END
        FROM unnest(${failures.map((f) => f.id)}::uuid[], ${failures.map((f) => f.error)}::text[])
             AS f(id, error)
       WHERE o.id = f.id AND o.status = 'pending'
      RETURNING o.id, o.org_id, o.event_type, o.attempt_count, o.last_error, o.status`.execute(this.db);
    return rows.map((row) => ({
      id: row.id,
      orgId: row.org_id,
      eventType: row.event_type,
      attemptCount: row.attempt_count,
      error: row.last_error,
      final: row.status === 'failed',
    }));
  }

  async release(workerId: string): Promise<number> {
    const result = await sql`
      UPDATE outbox_events SET locked_at = NULL, locked_by = NULL
       WHERE locked_by = ${workerId} AND status = 'pending'`.execute(this.db);
    return Number(result.numAffectedRows ?? 0);
  }
}
