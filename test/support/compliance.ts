/** Shared setup of the compliance API tests: two orgs, one signed-in user per role, and row readers. */
import type { Role } from '../../src/domain/roles.js';
import { createTestApp, type TestApp } from './app.js';
import { insertComplianceItem, insertTask } from './factories.js';
import { createTenant } from './tenants.js';

export interface ComplianceWorld {
  t: TestApp;
  home: { id: string };
  other: { id: string };
  /** A token per role, all in `home`. */
  tokens: Record<Role, string>;
  /** The user id per role, all in `home`. */
  userIds: Record<Role, string>;
  /** A mechanic of `other`. */
  otherMechanic: string;
}

export async function createComplianceWorld(): Promise<ComplianceWorld> {
  const t = await createTestApp();
  const { org: home, tokens, userIds } = await createTenant(t);
  const other = await t.createOrg();
  const otherMechanic = await t.tokenFor(await t.createUser(other.id, 'mechanic'));
  return { t, home, other, tokens, userIds, otherMechanic };
}

/** The API view of a compliance item. */
export interface ItemJson {
  id: string;
  org_id: string;
  task_id: string;
  description: string;
  result: string;
  signed_off: boolean;
  sign_off_user_id: string | null;
  sign_off_time: string | null;
  sign_off_meaning: 'performed' | null;
  requires_inspection: boolean;
  inspection_pending: boolean;
  inspected_by: string | null;
  inspected_at: string | null;
  inspection_meaning: 'inspected' | null;
  created_at: string;
  updated_at: string;
}

/** Row readers and factories bound to one test app. */
export function complianceRows(t: TestApp) {
  const db = t.db.db;
  return {
    newTask: (orgId: string, state: 'scheduled' | 'in_progress' | 'completed' | 'cancelled' = 'scheduled') =>
      insertTask(db, { org_id: orgId, state }),
    newItem: async (orgId: string, result: 'pass' | 'fail' | 'pending' = 'pending') =>
      insertComplianceItem(db, { org_id: orgId, result }),
    item: (id: string) =>
      db.selectFrom('compliance_items').selectAll().where('id', '=', id).executeTakeFirst(),
    itemsOfOrg: (orgId: string) =>
      db.selectFrom('compliance_items').selectAll().where('org_id', '=', orgId).execute(),
    audits: (entityId: string) =>
      db
        .selectFrom('audit_logs')
        .selectAll()
        .where('entity_id', '=', entityId)
        .orderBy('timestamp')
        .execute(),
    events: (aggregateId: string) =>
      db
        .selectFrom('outbox_events')
        .selectAll()
        .where('aggregate_id', '=', aggregateId)
        .orderBy('created_at')
        .execute(),
    /** Signs an item off straight in SQL, as a concurrent request would have. */
    signInSql: (id: string, userId: string) =>
      db
        .updateTable('compliance_items')
        .set({
          result: 'pass',
          sign_off_user_id: userId,
          sign_off_time: new Date(),
          sign_off_meaning: 'performed',
        })
        .where('id', '=', id)
        .execute(),
  };
}
