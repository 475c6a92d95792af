import { randomUUID } from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/app/errors.js';
import { translateDatabaseError } from '../../src/infra/postgres/errors.js';
// The repositories register what their constraints' violations mean.
import '../../src/infra/postgres/compliance.js';
import '../../src/infra/postgres/parts.js';
import '../../src/infra/postgres/tasks.js';
import type { ComplianceItemsTable, UsersTable } from '../../src/infra/postgres/schema.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertComplianceRecord } from '../support/directive-factories.js';
import { insertAlert } from '../support/alert-factories.js';
import { insertScheduleChange } from '../support/scheduling-factories.js';
import {
  insertAuditLog,
  insertComplianceItem,
  insertReservation,
  insertTask,
  insertUser,
  rejectionOf,
} from '../support/factories.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

describe('audit log', () => {
  const mutations = [
    ['updated', (id: string) => sql`UPDATE audit_logs SET actor = 'someone else' WHERE id = ${id}`],
    ['deleted', (id: string) => sql`DELETE FROM audit_logs WHERE id = ${id}`],
    ['truncated', () => sql`TRUNCATE audit_logs`],
    ['truncated through its organization', () => sql`TRUNCATE organizations CASCADE`],
  ] as const;

  it.each(mutations)('an audit row can never be %s', async (_how, statement) => {
    const row = await insertAuditLog(t.db, { details: JSON.stringify({ tail_number: 'N100A' }) });
    const error = await rejectionOf(statement(row.id).execute(t.db));
    expect(error).toMatchObject({ code: 'AM002', constraint: 'audit_logs_immutable' });
    const kept = await t.db.selectFrom('audit_logs').selectAll().where('id', '=', row.id).executeTakeFirst();
    expect(kept).toEqual(row);
  });

  it('a rejected change to the audit log reaches the caller as a conflict', async () => {
    const row = await insertAuditLog(t.db);
    const error = await rejectionOf(sql`DELETE FROM audit_logs WHERE id = ${row.id}`.execute(t.db));
    const translated = translateDatabaseError(error);
    expect(translated).toBeInstanceOf(AppError);
    expect(translated).toMatchObject({ kind: 'conflict', reason: 'AUDIT_LOG_IMMUTABLE' });
    expect((translated as AppError).message).toContain('append-only');
  });

  it('a worker job is recorded as a named actor without a user', async () => {
    const row = await insertAuditLog(t.db, { actor: 'system:program-generator' });
    expect(row).toMatchObject({ actor_org_id: null, user_id: null, actor: 'system:program-generator' });
  });

  it('a system admin acting in another tenant is recorded with their own organization', async () => {
    const admin = await insertUser(t.db, { role: 'admin' });
    const row = await insertAuditLog(t.db, { actor_org_id: admin.org_id, user_id: admin.id, actor: 'user' });
    expect(row.org_id).not.toBe(admin.org_id);
    expect(row.actor_org_id).toBe(admin.org_id);
  });
});

describe('compliance sign-off', () => {
  let mechanic: Selectable<UsersTable>;
  beforeAll(async () => {
    mechanic = await insertUser(t.db);
  });

  const signOff = (item: Selectable<ComplianceItemsTable>) =>
    t.db
      .updateTable('compliance_items')
      .set({
        result: 'pass',
        sign_off_user_id: mechanic.id,
        sign_off_time: new Date(),
        sign_off_meaning: 'performed',
      })
      .where('id', '=', item.id)
      .returningAll()
      .executeTakeFirstOrThrow();

  it('an unsigned item can be edited and deleted', async () => {
    const item = await insertComplianceItem(t.db, { org_id: mechanic.org_id });
    const edited = await t.db
      .updateTable('compliance_items')
      .set({ description: 'Torque check, 25 Nm' })
      .where('id', '=', item.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    expect(edited.description).toBe('Torque check, 25 Nm');
    const deleted = await t.db.deleteFrom('compliance_items').where('id', '=', item.id).executeTakeFirst();
    expect(deleted.numDeletedRows).toBe(1n);
  });

  it('a signed-off compliance item is frozen but the sign-off itself is allowed once', async () => {
    const item = await insertComplianceItem(t.db, { org_id: mechanic.org_id });
    const signed = await signOff(item);
    expect(signed).toMatchObject({ result: 'pass', sign_off_user_id: mechanic.id });
    const again = await rejectionOf(signOff(item));
    expect(again).toMatchObject({ code: 'AM001', constraint: 'compliance_items_immutable_after_sign_off' });
    const changed = t.db
      .updateTable('compliance_items')
      .set({ result: 'fail' })
      .where('id', '=', item.id)
      .execute();
    await expect(changed).rejects.toMatchObject({ code: 'AM001' });
    const kept = await t.db
      .selectFrom('compliance_items')
      .selectAll()
      .where('id', '=', item.id)
      .executeTakeFirst();
    expect(kept).toEqual(signed);
  });

  it('a signed-off item can be neither soft-deleted nor deleted', async () => {
    const item = await signOff(await insertComplianceItem(t.db, { org_id: mechanic.org_id }));
    const softDelete = t.db
      .updateTable('compliance_items')
      .set({ deleted_at: new Date() })
      .where('id', '=', item.id)
      .execute();
    await expect(softDelete).rejects.toMatchObject({ code: 'AM001' });
    const hardDelete = t.db.deleteFrom('compliance_items').where('id', '=', item.id).execute();
    await expect(hardDelete).rejects.toMatchObject({ code: 'AM001' });
  });

  it.each(['TRUNCATE compliance_items', 'TRUNCATE compliance_items CASCADE'])(
    'a signed-off item survives %s',
    async (statement) => {
      const item = await signOff(await insertComplianceItem(t.db, { org_id: mechanic.org_id }));
      const error = await rejectionOf(sql.raw(statement).execute(t.db));
      expect(error).toMatchObject({ code: 'AM001', constraint: 'compliance_items_immutable_after_sign_off' });
      const kept = await t.db
        .selectFrom('compliance_items')
        .selectAll()
        .where('id', '=', item.id)
        .executeTakeFirst();
      expect(kept).toEqual(item);
    },
  );

  it('changing a signed-off item reaches the caller as a conflict ALREADY_SIGNED_OFF', async () => {
    const item = await signOff(await insertComplianceItem(t.db, { org_id: mechanic.org_id }));
    const error = await rejectionOf(
      t.db.updateTable('compliance_items').set({ result: 'fail' }).where('id', '=', item.id).execute(),
    );
    const translated = translateDatabaseError(error);
    expect(translated).toBeInstanceOf(AppError);
    expect(translated).toMatchObject({ kind: 'conflict', reason: 'ALREADY_SIGNED_OFF' });
    expect((translated as AppError).message).toContain(item.id);
  });
});

describe('independent inspection', () => {
  let signer: Selectable<UsersTable>;
  let inspector: Selectable<UsersTable>;
  beforeAll(async () => {
    signer = await insertUser(t.db);
    inspector = await insertUser(t.db, { org_id: signer.org_id });
  });

  /** A signed-off item that requires an inspection (or not). */
  const signedItem = (requiresInspection = true) =>
    insertComplianceItem(t.db, {
      org_id: signer.org_id,
      result: 'pass',
      requires_inspection: requiresInspection,
      sign_off_user_id: signer.id,
      sign_off_time: new Date(Date.now() - 60_000),
    });
  const inspect = (id: string, by = inspector.id, extra: { result?: 'fail'; description?: string } = {}) =>
    t.db
      .updateTable('compliance_items')
      .set({ inspected_by: by, inspected_at: new Date(), inspection_meaning: 'inspected', ...extra })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  const row = (id: string) =>
    t.db.selectFrom('compliance_items').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('a signed item that requires inspection takes its inspection, once, and nothing else changes', async () => {
    const item = await signedItem();
    const inspected = await inspect(item.id);
    expect(inspected).toMatchObject({
      ...item,
      inspected_by: inspector.id,
      inspection_meaning: 'inspected',
      inspected_at: expect.any(Date) as Date,
      updated_at: expect.any(Date) as Date,
    });
  });

  it('the inspection cannot carry another change with it', async () => {
    const item = await signedItem();
    for (const extra of [{ result: 'fail' as const }, { description: 'Something else' }]) {
      const error = await rejectionOf(inspect(item.id, inspector.id, extra));
      expect(error).toMatchObject({ code: 'AM001', constraint: 'compliance_items_immutable_after_sign_off' });
    }
    expect(await row(item.id)).toEqual(item);
  });

  it('an item that does not require inspection is not inspected, and the flag cannot be raised after sign-off', async () => {
    const item = await signedItem(false);
    expect(await rejectionOf(inspect(item.id))).toMatchObject({ code: 'AM001' });
    const raise = t.db
      .updateTable('compliance_items')
      .set({ requires_inspection: true })
      .where('id', '=', item.id)
      .execute();
    await expect(raise).rejects.toMatchObject({ code: 'AM001' });
    expect(await row(item.id)).toEqual(item);
  });

  it('the database refuses the performer as their own inspector', async () => {
    const item = await signedItem();
    const error = await rejectionOf(inspect(item.id, signer.id));
    expect(error).toMatchObject({ code: '23514', constraint: 'compliance_items_inspector_not_performer' });
    expect(await row(item.id)).toEqual(item);
  });

  it('an inspected item is frozen for good: no second inspection, update, soft delete or delete', async () => {
    const item = await inspect((await signedItem()).id);
    const other = await insertUser(t.db, { org_id: signer.org_id });
    for (const attempt of [
      () => inspect(item.id, other.id),
      () => t.db.updateTable('compliance_items').set({ result: 'fail' }).where('id', '=', item.id).execute(),
      () =>
        t.db
          .updateTable('compliance_items')
          .set({ deleted_at: new Date() })
          .where('id', '=', item.id)
          .execute(),
      () => t.db.deleteFrom('compliance_items').where('id', '=', item.id).execute(),
    ]) {
      const error = await rejectionOf(attempt());
      expect(error).toMatchObject({
        code: 'AM001',
        constraint: 'compliance_items_immutable_after_inspection',
      });
    }
    expect(await row(item.id)).toEqual(item);
  });

  it('a change to an inspected item reaches the caller as a conflict ALREADY_INSPECTED', async () => {
    const item = await inspect((await signedItem()).id);
    const error = await rejectionOf(
      t.db.updateTable('compliance_items').set({ result: 'fail' }).where('id', '=', item.id).execute(),
    );
    expect(translateDatabaseError(error)).toMatchObject({ kind: 'conflict', reason: 'ALREADY_INSPECTED' });
  });

  it('an unsigned item cannot be signed off, flagged and inspected in one statement: 409 NOT_SIGNED_OFF', async () => {
    const item = await insertComplianceItem(t.db, { org_id: signer.org_id, result: 'pass' });
    const error = await rejectionOf(
      t.db
        .updateTable('compliance_items')
        .set({
          sign_off_user_id: signer.id,
          sign_off_time: new Date(Date.now() - 60_000),
          sign_off_meaning: 'performed',
          requires_inspection: true,
          inspected_by: inspector.id,
          inspected_at: new Date(),
          inspection_meaning: 'inspected',
        })
        .where('id', '=', item.id)
        .execute(),
    );
    expect(error).toMatchObject({ code: '23514', constraint: 'compliance_items_inspection_after_sign_off' });
    expect(translateDatabaseError(error)).toMatchObject({ kind: 'conflict', reason: 'NOT_SIGNED_OFF' });
    expect(await row(item.id)).toEqual(item);
  });

  it('the sign-off and the inspection in two statements pass, in that order', async () => {
    const item = await insertComplianceItem(t.db, {
      org_id: signer.org_id,
      result: 'pass',
      requires_inspection: true,
    });
    await t.db
      .updateTable('compliance_items')
      .set({
        sign_off_user_id: signer.id,
        sign_off_time: new Date(Date.now() - 60_000),
        sign_off_meaning: 'performed',
      })
      .where('id', '=', item.id)
      .execute();
    expect(await inspect(item.id)).toMatchObject({ inspected_by: inspector.id, sign_off_user_id: signer.id });
  });

  const created = {
    'signed off': () => ({ requires_inspection: false }),
    'signed off and inspected': () => ({
      requires_inspection: true,
      inspected_by: inspector.id,
      inspected_at: new Date(),
      inspection_meaning: 'inspected' as const,
    }),
  };
  it.each(Object.keys(created) as (keyof typeof created)[])(
    'an item cannot be created already %s: 400 SIGNED_ON_CREATE',
    async (what) => {
      const task = await insertTask(t.db, { org_id: signer.org_id });
      const id = randomUUID();
      const error = await rejectionOf(
        t.db
          .insertInto('compliance_items')
          .values({
            id,
            org_id: signer.org_id,
            task_id: task.id,
            description: 'Torque check',
            result: 'pass',
            sign_off_user_id: signer.id,
            sign_off_time: new Date(Date.now() - 60_000),
            sign_off_meaning: 'performed',
            ...created[what](),
          })
          .execute(),
      );
      expect(error).toMatchObject({ code: '23514', constraint: 'compliance_items_created_unsigned' });
      expect(translateDatabaseError(error)).toMatchObject({ kind: 'validation', reason: 'SIGNED_ON_CREATE' });
      const stored = await t.db.selectFrom('compliance_items').select('id').where('id', '=', id).execute();
      expect(stored).toEqual([]);
    },
  );

  it('an inspected item survives TRUNCATE', async () => {
    const item = await inspect((await signedItem()).id);
    const error = await rejectionOf(sql`TRUNCATE compliance_items`.execute(t.db));
    expect(error).toMatchObject({ code: 'AM001' });
    expect(await row(item.id)).toEqual(item);
  });
});

describe('maintenance records', () => {
  it('a completed task can be neither soft-deleted nor deleted, whoever asks: 409 TASK_COMPLETED', async () => {
    const task = await insertTask(t.db, { state: 'completed' });
    for (const statement of [
      sql`UPDATE maintenance_tasks SET deleted_at = now() WHERE id = ${task.id}`,
      sql`DELETE FROM maintenance_tasks WHERE id = ${task.id}`,
    ]) {
      const error = translateDatabaseError(await rejectionOf(statement.execute(t.db)));
      expect(error).toMatchObject({ kind: 'conflict', reason: 'TASK_COMPLETED' });
    }
    const kept = await t.db
      .selectFrom('maintenance_tasks')
      .selectAll()
      .where('id', '=', task.id)
      .executeTakeFirst();
    expect(kept).toEqual(task);
  });

  it('a used part reservation is never deleted; a released one may be', async () => {
    const used = await insertReservation(t.db, { state: 'used' });
    const error = translateDatabaseError(
      await rejectionOf(sql`DELETE FROM part_reservations WHERE id = ${used.id}`.execute(t.db)),
    );
    expect(error).toMatchObject({ kind: 'conflict', reason: 'RESERVATION_USED' });
    const released = await insertReservation(t.db, { state: 'released' });
    await sql`DELETE FROM part_reservations WHERE id = ${released.id}`.execute(t.db);
  });
});

describe('directive compliance records', () => {
  const mutations = [
    [
      'updated',
      (id: string) => sql`UPDATE directive_compliance_records SET method = 'Replacement' WHERE id = ${id}`,
    ],
    ['deleted', (id: string) => sql`DELETE FROM directive_compliance_records WHERE id = ${id}`],
    ['truncated', () => sql`TRUNCATE directive_compliance_records CASCADE`],
  ] as const;

  it.each(mutations)('a signed compliance record can never be %s', async (_how, statement) => {
    const record = await insertComplianceRecord(t.db, { notes: 'Spar inspected, no findings' });
    const error = await rejectionOf(statement(record.id).execute(t.db));
    expect(error).toMatchObject({ code: 'AM003', constraint: 'directive_compliance_records_immutable' });
    const kept = await t.db
      .selectFrom('directive_compliance_records')
      .selectAll()
      .where('id', '=', record.id)
      .executeTakeFirst();
    expect(kept).toEqual(record);
  });

  it('a rejected change to a compliance record reaches the caller as 409 COMPLIANCE_RECORD_IMMUTABLE', async () => {
    const record = await insertComplianceRecord(t.db);
    const error = await rejectionOf(
      t.db
        .updateTable('directive_compliance_records')
        .set({ cycles: 0 })
        .where('id', '=', record.id)
        .execute(),
    );
    const translated = translateDatabaseError(error);
    expect(translated).toBeInstanceOf(AppError);
    expect(translated).toMatchObject({ kind: 'conflict', reason: 'COMPLIANCE_RECORD_IMMUTABLE' });
    // The database's own words, which say what was refused.
    expect((translated as AppError).message).toContain('UPDATE is not allowed');
  });

  it('the tracking row that points at a compliance record can still move on', async () => {
    const record = await insertComplianceRecord(t.db);
    const tracking = await t.db
      .updateTable('aircraft_directives')
      .set({ status: 'complied', last_compliance_id: record.id, next_due_date: null })
      .where('id', '=', record.aircraft_directive_id)
      .returningAll()
      .executeTakeFirstOrThrow();
    expect(tracking).toMatchObject({ status: 'complied', last_compliance_id: record.id });
  });
});

describe('task schedule history', () => {
  const mutations = [
    ['updated', (id: string) => sql`UPDATE task_schedule_changes SET reason = 'rewritten' WHERE id = ${id}`],
    ['deleted', (id: string) => sql`DELETE FROM task_schedule_changes WHERE id = ${id}`],
    ['truncated', () => sql`TRUNCATE task_schedule_changes CASCADE`],
  ] as const;

  it.each(mutations)('a recorded move of a task can never be %s', async (_how, statement) => {
    const change = await insertScheduleChange(t.db, { reason: 'Parts arrive late' });
    const error = await rejectionOf(statement(change.id).execute(t.db));
    expect(error).toMatchObject({ code: 'AM004', constraint: 'task_schedule_changes_immutable' });
    expect(translateDatabaseError(error)).toMatchObject({
      kind: 'conflict',
      reason: 'SCHEDULE_HISTORY_IMMUTABLE',
    });
    const kept = await t.db
      .selectFrom('task_schedule_changes')
      .selectAll()
      .where('id', '=', change.id)
      .executeTakeFirst();
    expect(kept).toEqual(change);
  });

  it('the history goes with its task when the task itself is purged', async () => {
    const task = await insertTask(t.db);
    await insertScheduleChange(t.db, { org_id: task.org_id, task_id: task.id });
    await insertScheduleChange(t.db, { org_id: task.org_id, task_id: task.id });
    await t.db.deleteFrom('maintenance_tasks').where('id', '=', task.id).execute();
    const left = await t.db
      .selectFrom('task_schedule_changes')
      .select('id')
      .where('task_id', '=', task.id)
      .execute();
    expect(left).toEqual([]);
  });
});

describe('alerts', () => {
  it('a resolved alert can never change again, not even to be reopened', async () => {
    const alert = await insertAlert(t.db, { resolved_at: new Date(), resolved_automatically: true });
    const error = await rejectionOf(
      sql`UPDATE alerts SET resolved_at = NULL, resolved_automatically = false WHERE id = ${alert.id}`.execute(
        t.db,
      ),
    );
    expect(error).toMatchObject({ code: 'AM005', constraint: 'alerts_resolved_final' });
    expect(translateDatabaseError(error)).toMatchObject({
      kind: 'conflict',
      reason: 'ALERT_ALREADY_RESOLVED',
    });
    const kept = await t.db.selectFrom('alerts').selectAll().where('id', '=', alert.id).executeTakeFirst();
    expect(kept).toEqual(alert);
  });

  it('an open alert changes level and is acknowledged, and the retention cleaner may delete a resolved one', async () => {
    const alert = await insertAlert(t.db);
    await sql`UPDATE alerts SET level = 'warning', level_changed_at = now() WHERE id = ${alert.id}`.execute(
      t.db,
    );
    await sql`UPDATE alerts SET resolved_at = now(), resolved_automatically = true WHERE id = ${alert.id}`.execute(
      t.db,
    );
    await t.db.deleteFrom('alerts').where('id', '=', alert.id).execute();
    expect(await t.db.selectFrom('alerts').select('id').where('id', '=', alert.id).execute()).toEqual([]);
  });
});
