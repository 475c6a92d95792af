/**
 * Factories for the alerts table (migration 00025), in the style of factories.ts: each inserts one
 * row with sensible defaults, creates the organization it needs when the overrides name none, and
 * returns the row.
 */
import { randomUUID } from 'node:crypto';
import type { Insertable, Selectable } from 'kysely';
import type { Executor } from '../../src/infra/postgres/executor.js';
import type { AlertsTable } from '../../src/infra/postgres/schema.js';
import { insertOrganization } from './factories.js';

/** An open info alert about a certification expiring in 80 days (a new organization's, or the one named). */
export async function insertAlert(
  db: Executor,
  overrides: Partial<Insertable<AlertsTable>> = {},
): Promise<Selectable<AlertsTable>> {
  const orgId = overrides.org_id ?? (await insertOrganization(db)).id;
  return db
    .insertInto('alerts')
    .values({
      level: 'info',
      category: 'certification_expiring',
      title: 'B1 licence expires in 80 days',
      description: 'The licence of a mechanic expires within 90 days.',
      entity_type: 'certification',
      entity_id: randomUUID(),
      threshold: 90,
      current_value: 80,
      unit: 'days',
      ...overrides,
      org_id: orgId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}
