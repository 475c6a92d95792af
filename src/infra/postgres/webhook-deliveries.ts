import { sql } from 'kysely';
import type { ClaimedDelivery, DeliveryOutcome, DeliveryQueue } from '../../app/webhook-deliveries.js';
import type { AttemptOutcome } from '../../domain/webhook.js';
import type { Executor } from './executor.js';

/** The webhook_deliveries table as a work queue, in set-based statements (one per batch, never one per row). */
export class PgDeliveryQueue implements DeliveryQueue {
  constructor(private readonly db: Executor) {}

  async claim(input: {
    workerId: string;
    limit: number;
    leaseMs: number;
    now: Date;
  }): Promise<ClaimedDelivery[]> {
    const staleBefore = new Date(input.now.getTime() - input.leaseMs);
    const { rows } = await sql<{
      id: string;
      org_id: string;
      webhook_id: string;
      event_id: string;
      attempt_count: number;
      last_response_code: number | null;
      last_response_body: string | null;
      url: string;
      secret: string;
      webhook_deleted: boolean;
      event_type: string;
      payload: string;
      max_attempts: number;
    }>`
      WITH due AS (
        SELECT id FROM webhook_deliveries
         -- \`now\` has millisecond resolution, the database's clock microseconds (see the outbox claim).
         WHERE status = 'pending' AND next_attempt_at < ${input.now}::timestamptz + interval '1 millisecond'
           AND (locked_at IS NULL OR locked_at < ${staleBefore})
         ORDER BY next_attempt_at, id
         LIMIT ${input.limit}
         FOR UPDATE SKIP LOCKED
      ), claimed AS (
        UPDATE webhook_deliveries d
           SET locked_at = ${input.now}, locked_by = ${input.workerId}
          FROM due
         WHERE d.id = due.id
        RETURNING d.id, d.org_id, d.webhook_id, d.event_id, d.attempt_count,
                  d.last_response_code, d.last_response_body
      )
      SELECT c.*, w.url, w.secret, w.deleted_at IS NOT NULL AS webhook_deleted,
             e.event_type, e.payload::text AS payload,
             coalesce(p.max_webhook_attempts, 10) AS max_attempts
        FROM claimed c
        JOIN webhooks w ON w.org_id = c.org_id AND w.id = c.webhook_id
        JOIN outbox_events e ON e.org_id = c.org_id AND e.id = c.event_id
        LEFT JOIN org_policies p ON p.org_id = c.org_id`.execute(this.db);
    return rows.map((row) => ({
      id: row.id,
      orgId: row.org_id,
      webhookId: row.webhook_id,
      eventId: row.event_id,
      eventType: row.event_type,
      payload: row.payload,
      url: row.url,
      secret: row.secret,
      webhookDeleted: row.webhook_deleted,
      attemptCount: row.attempt_count,
      maxAttempts: row.max_attempts,
      lastResponseCode: row.last_response_code,
      lastResponseBody: row.last_response_body,
    }));
  }

  async recordOutcomes(workerId: string, outcomes: DeliveryOutcome[]): Promise<string[]> {
    if (outcomes.length === 0) return [];
    const column = <T>(pick: (outcome: AttemptOutcome) => T): T[] =>
      outcomes.map(({ outcome }) => pick(outcome));
    const { rows } = await sql<{ id: string }>`
      UPDATE webhook_deliveries d
         SET status = r.status::delivery_status,
             attempt_count = r.attempt_count,
             next_attempt_at = r.next_attempt_at,
             delivered_at = r.delivered_at,
             last_response_code = r.last_response_code,
             last_response_body = r.last_response_body,
             last_error = r.last_error,
             locked_at = NULL,
             locked_by = NULL
        FROM unnest(
               ${outcomes.map((o) => o.deliveryId)}::uuid[],
               ${column((o) => o.status)}::text[],
               ${column((o) => o.attemptCount)}::int[],
               ${column((o) => o.nextAttemptAt.toISOString())}::timestamptz[],
               ${column((o) => o.deliveredAt?.toISOString() ?? null)}::timestamptz[],
               ${column((o) => o.lastResponseCode)}::int[],
               ${column((o) => o.lastResponseBody)}::text[],
               ${column((o) => o.lastError)}::text[]
             ) AS r(id, status, attempt_count, next_attempt_at, delivered_at,
                    last_response_code, last_response_body, last_error)
       WHERE d.id = r.id AND d.locked_by = ${workerId} AND d.status = 'pending'
      RETURNING d.id`.execute(this.db);
    return rows.map((row) => row.id);
  }

  async renew(workerId: string, now: Date): Promise<number> {
    const result = await this.db
      .updateTable('webhook_deliveries')
      .set({ locked_at: now })
      .where('locked_by', '=', workerId)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async release(workerId: string): Promise<number> {
    const result = await this.db
      .updateTable('webhook_deliveries')
      .set({ locked_at: null, locked_by: null })
      .where('locked_by', '=', workerId)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}
