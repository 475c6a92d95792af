/**
 * The independent inspection cannot be removed or made by the people whose work it checks: the
 * inspection requirement is raised by anyone who edits the checklist but waived only by a scheduler
 * or an admin, and the task's own mechanic never inspects its work.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserActor } from '../../src/app/actor.js';
import type { UnitOfWork } from '../../src/app/ports.js';
import { ComplianceService, type ComplianceRepository } from '../../src/app/compliance.js';
import type { LoginLimiter } from '../../src/app/login-limiter.js';
import type { Role } from '../../src/domain/roles.js';
import { TEST_PASSWORD, type TestApp } from '../support/app.js';
import { complianceRows, createComplianceWorld } from '../support/compliance.js';
import { insertAircraft, insertComplianceItem, insertTask, rejectionOf } from '../support/factories.js';
import { heldTransaction, lockWaiters } from '../support/people.js';
import { insertEmployeeCertification } from '../support/qualification-factories.js';

let t: TestApp;
let home: { id: string };
let tokens: Record<Role, string>;
let userIds: Record<Role, string>;
let rows: ReturnType<typeof complianceRows>;
/** A second mechanic of `home`. */
let colleague: { id: string; token: string };

beforeAll(async () => {
  ({ t, home, tokens, userIds } = await createComplianceWorld());
  rows = complianceRows(t);
  const user = await t.createUser(home.id, 'mechanic');
  colleague = { id: user.id, token: await t.tokenFor(user) };
});
afterAll(async () => {
  await t.close();
});

const api = '/api/v1/compliance-items';
const patch = (token: string, id: string, body: Record<string, unknown>) =>
  t.request(token, 'PATCH', `${api}/${id}`, body);
const sign = (id: string, token = tokens.mechanic) =>
  t.request(token, 'PATCH', `${api}/${id}/sign-off`, { password: TEST_PASSWORD, result: 'pass' });
const inspect = (id: string, token = colleague.token) =>
  t.request(token, 'POST', `${api}/${id}/inspect`, { password: TEST_PASSWORD });

/** How many worked tasks this file made: each gets a window of its own (a mechanic is never double-booked). */
let worked = 0;
/** An in-progress task of `home` past its end, assigned to `mechanicId`, ready to complete. */
async function workedTask(mechanicId = userIds.mechanic) {
  const aircraft = await insertAircraft(t.db.db, { org_id: home.id, status: 'grounded' });
  const hoursAgo = 10 * ++worked;
  return insertTask(t.db.db, {
    org_id: home.id,
    aircraft_id: aircraft.id,
    state: 'in_progress',
    start_time: new Date(Date.now() - (hoursAgo + 3) * 3_600_000),
    end_time: new Date(Date.now() - (hoursAgo + 1) * 3_600_000),
    assigned_mechanic_id: mechanicId,
  });
}
const complete = (taskId: string) =>
  t.request(tokens.mechanic, 'PATCH', `/api/v1/maintenance-tasks/${taskId}/state`, {
    new_state: 'completed',
    notes: 'Work done and checked',
  });
/** An unsigned, passing item of `home` that requires (or not) an independent inspection. */
const newItem = (requiresInspection: boolean, taskId?: string) =>
  insertComplianceItem(t.db.db, {
    org_id: home.id,
    result: 'pass',
    requires_inspection: requiresInspection,
    ...(taskId ? { task_id: taskId } : {}),
  });

describe('the inspection requirement', () => {
  it('cannot be cleared by the mechanic to skip their inspection: 403 INSPECTION_REQUIREMENT_LOCKED, and the task still waits for it', async () => {
    const task = await workedTask();
    const item = await newItem(true, task.id);
    const cleared = await patch(tokens.mechanic, item.id, { requires_inspection: false });
    expect(cleared.statusCode).toBe(403);
    expect(cleared.json()).toMatchObject({
      code: 'forbidden',
      reason: 'INSPECTION_REQUIREMENT_LOCKED',
      details: [{ field: 'body.requires_inspection' }],
    });
    expect(await rows.item(item.id)).toEqual(item);
    expect(await rows.audits(item.id)).toEqual([]);
    expect((await sign(item.id)).statusCode).toBe(200);
    const refused = await complete(task.id);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ reason: 'INSPECTION_PENDING' });
  });

  it('keeps its item from being deleted by a mechanic (403 INSPECTION_REQUIREMENT_LOCKED); an admin may', async () => {
    const item = await newItem(true);
    const refused = await t.request(tokens.mechanic, 'DELETE', `${api}/${item.id}`);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ reason: 'INSPECTION_REQUIREMENT_LOCKED' });
    expect((await rows.item(item.id))?.deleted_at).toBeNull();
    expect((await t.request(tokens.admin, 'DELETE', `${api}/${item.id}`)).statusCode).toBe(204);
    const plain = await newItem(false);
    expect((await t.request(tokens.mechanic, 'DELETE', `${api}/${plain.id}`)).statusCode).toBe(204);
  });

  it('is raised by a mechanic, on create or later, and restating it changes nothing', async () => {
    const task = await rows.newTask(home.id);
    const created = await t.request(tokens.mechanic, 'POST', api, {
      task_id: task.id,
      description: 'Duplicate inspection of the rudder cables',
      requires_inspection: true,
    });
    expect(created.json()).toMatchObject({ requires_inspection: true, inspection_pending: true });
    const plain = await newItem(false);
    const raised = await patch(tokens.mechanic, plain.id, { requires_inspection: true });
    expect(raised.statusCode, raised.body).toBe(200);
    expect(raised.json()).toMatchObject({ requires_inspection: true });
    const restated = await patch(tokens.mechanic, plain.id, { requires_inspection: true, result: 'fail' });
    expect(restated.json()).toMatchObject({ requires_inspection: true, result: 'fail' });
  });

  it.each<Role>(['scheduler', 'tenant_admin', 'admin'])(
    'is raised and waived by a %s, each change audited with its event',
    async (role) => {
      const item = await newItem(false);
      const raised = await patch(tokens[role], item.id, { requires_inspection: true });
      expect(raised.statusCode, raised.body).toBe(200);
      expect(raised.json()).toMatchObject({ requires_inspection: true, inspection_pending: true });
      const waived = await patch(tokens[role], item.id, { requires_inspection: false });
      expect(waived.statusCode, waived.body).toBe(200);
      expect(waived.json()).toMatchObject({ requires_inspection: false, inspection_pending: false });
      const audits = await rows.audits(item.id);
      expect(audits.map((a) => [a.action, a.user_id])).toEqual([
        ['update', userIds[role]],
        ['update', userIds[role]],
      ]);
      expect((await rows.events(item.id)).map((e) => e.event_type)).toEqual([
        'compliance_item_updated',
        'compliance_item_updated',
      ]);
    },
  );

  it.each<Role>(['scheduler', 'tenant_admin'])(
    'is all a %s changes: the description and result stay the mechanic’s (403)',
    async (role) => {
      const item = await newItem(false);
      for (const body of [
        { description: 'Other check' },
        { result: 'fail' },
        { requires_inspection: true, result: 'fail' },
      ]) {
        const response = await patch(tokens[role], item.id, body);
        expect(response.statusCode, JSON.stringify(body)).toBe(403);
        expect(response.json()).toMatchObject({ code: 'forbidden' });
      }
      expect(await rows.item(item.id)).toEqual(item);
    },
  );
});

describe('independence of the inspector', () => {
  it('refuses the mechanic assigned to the task, even on work someone else signed off: 409 INSPECTOR_IS_PERFORMER saying why', async () => {
    const task = await workedTask(colleague.id);
    const item = await newItem(true, task.id);
    expect((await sign(item.id, tokens.mechanic)).statusCode).toBe(200);
    const before = await rows.item(item.id);
    const response = await inspect(item.id, colleague.token);
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({
      code: 'conflict',
      reason: 'INSPECTOR_IS_PERFORMER',
      details: [
        {
          field: 'task.assigned_mechanic_id',
          message: expect.stringContaining(`you are assigned to task ${task.id}`) as string,
        },
      ],
    });
    expect(await rows.item(item.id)).toEqual(before);
  });

  it('names the signature in the refusal of the performer', async () => {
    const item = await newItem(true);
    expect((await sign(item.id, tokens.mechanic)).statusCode).toBe(200);
    const response = await inspect(item.id, tokens.mechanic);
    expect(response.json()).toMatchObject({
      reason: 'INSPECTOR_IS_PERFORMER',
      details: [{ field: 'sign_off_user_id' }],
    });
  });
});

describe('the inspector made the task’s mechanic afterwards', () => {
  // An inspector needs inspection authority: a Part-66 B1 (the factory's default).
  beforeAll(async () => {
    await insertEmployeeCertification(t.db.db, { org_id: home.id, user_id: colleague.id });
  });
  const reassign = (taskId: string, mechanicId: string) =>
    t.request(tokens.scheduler, 'PATCH', `/api/v1/maintenance-tasks/${taskId}`, {
      assigned_mechanic_id: mechanicId,
    });
  /** An in-progress task of `mechanic` with a signed-off item awaiting its inspection. */
  async function signedItem() {
    const task = await workedTask();
    const item = await newItem(true, task.id);
    expect((await sign(item.id)).statusCode).toBe(200);
    return { task, item };
  }
  const assignedMechanic = async (taskId: string) =>
    (
      await t.db.db
        .selectFrom('maintenance_tasks')
        .select('assigned_mechanic_id')
        .where('id', '=', taskId)
        .executeTakeFirstOrThrow()
    ).assigned_mechanic_id;

  it('is refused: 409 INSPECTOR_IS_PERFORMER naming the inspected item; anyone else may take the task over', async () => {
    const { task, item } = await signedItem();
    const inspection = await inspect(item.id, colleague.token);
    expect(inspection.statusCode, inspection.body).toBe(200);
    const refused = await reassign(task.id, colleague.id);
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.json()).toMatchObject({
      code: 'conflict',
      reason: 'INSPECTOR_IS_PERFORMER',
      details: [
        {
          field: 'body.assigned_mechanic_id',
          message: expect.stringContaining(`inspected compliance item ${item.id}`) as string,
        },
      ],
    });
    expect(await assignedMechanic(task.id)).toBe(userIds.mechanic);
    const third = await t.createUser(home.id, 'mechanic');
    const handedOver = await reassign(task.id, third.id);
    expect(handedOver.statusCode, handedOver.body).toBe(200);
  });

  it('an inspection that waited for the reassignment of the task to the inspector is refused (409 INSPECTOR_IS_PERFORMER)', async () => {
    const { task, item } = await signedItem();
    // The reassignment as the task service makes it: the task held FOR UPDATE, the mechanic changed.
    const reassigning = await heldTransaction(t.db.db, async (trx) => {
      await sql`SELECT id FROM maintenance_tasks WHERE id = ${task.id} FOR UPDATE`.execute(trx);
      await sql`UPDATE maintenance_tasks SET assigned_mechanic_id = ${colleague.id} WHERE id = ${task.id}`.execute(
        trx,
      );
    });
    const inspecting = inspect(item.id, colleague.token);
    await lockWaiters(t.db.db, 1);
    reassigning.release();
    await reassigning.done;

    const response = await inspecting;
    expect(response.statusCode, response.body).toBe(409);
    expect(response.json()).toMatchObject({
      reason: 'INSPECTOR_IS_PERFORMER',
      details: [{ field: 'task.assigned_mechanic_id' }],
    });
    expect((await rows.item(item.id))?.inspected_by).toBeNull();
  });

  it('racing its inspection: never both, so the inspector never ends up the task’s mechanic', async () => {
    const { task, item } = await signedItem();
    const [inspection, reassignment] = await Promise.all([
      inspect(item.id, colleague.token),
      reassign(task.id, colleague.id),
    ]);
    const succeeded = [inspection, reassignment].filter((r) => r.statusCode === 200);
    expect(succeeded, `${inspection.body} / ${reassignment.body}`).toHaveLength(1);
    const loser = inspection.statusCode === 200 ? reassignment : inspection;
    expect(loser.statusCode).toBe(409);
    expect(loser.json()).toMatchObject({ reason: 'INSPECTOR_IS_PERFORMER' });
    const inspectedBy = (await rows.item(item.id))?.inspected_by ?? null;
    expect(inspectedBy === colleague.id && (await assignedMechanic(task.id)) === colleague.id).toBe(false);
  });
});

describe('completing a task with inspections outstanding', () => {
  it('names each item awaiting inspection in details, with its description', async () => {
    const task = await workedTask();
    const first = await insertComplianceItem(t.db.db, {
      task_id: task.id,
      result: 'pass',
      requires_inspection: true,
      description: 'Aileron cable tension',
    });
    const second = await insertComplianceItem(t.db.db, {
      task_id: task.id,
      result: 'pass',
      requires_inspection: true,
      description: 'Elevator rigging',
    });
    for (const item of [first, second]) expect((await sign(item.id)).statusCode).toBe(200);
    const refused = await complete(task.id);
    expect(refused.statusCode).toBe(409);
    const body = refused.json<{ reason: string; details: { field: string; message: string }[] }>();
    expect(body.reason).toBe('INSPECTION_PENDING');
    expect(body.details).toEqual([
      {
        field: `compliance_items[${first.id}]`,
        message: expect.stringContaining('Aileron cable tension') as string,
      },
      {
        field: `compliance_items[${second.id}]`,
        message: expect.stringContaining('Elevator rigging') as string,
      },
    ]);
  });
});

describe('an inspection that loses a race', () => {
  it('answers 409 ALREADY_INSPECTED when another inspection landed first', async () => {
    const item = await newItem(true);
    expect((await sign(item.id)).statusCode).toBe(200);
    const rival = await t.createUser(home.id, 'mechanic');
    // The rival's inspection lands between this request's read of the item and its write.
    const racing = (compliance: ComplianceRepository): ComplianceRepository =>
      new Proxy(compliance, {
        get(target, property, receiver) {
          if (property !== 'findForChange') return Reflect.get(target, property, receiver) as unknown;
          return async (orgId: string, id: string) => {
            const found = await target.findForChange(orgId, id);
            await target.inspect(orgId, id, {
              inspectedBy: rival.id,
              inspectedAt: new Date(),
              inspectionMeaning: 'inspected',
            });
            return found;
          };
        },
      });
    const uow: UnitOfWork = {
      repos: t.container.uow.repos,
      transaction: (work) =>
        t.container.uow.transaction((repos) =>
          work(
            new Proxy(repos, {
              get: (target, property, receiver) =>
                property === 'compliance'
                  ? racing(target.compliance)
                  : (Reflect.get(target, property, receiver) as unknown),
            }),
          ),
        ),
    };
    const loginLimiter: LoginLimiter = {
      check: async () => {},
      recordFailure: async () => [],
      recordSuccess: async () => {},
    };
    const service = new ComplianceService({ uow, loginLimiter });
    const actor: UserActor = {
      kind: 'user',
      role: 'mechanic',
      userId: colleague.id,
      orgId: home.id,
      scopes: [],
    };
    const error = await rejectionOf(service.inspect({ actor }, item.id, { password: TEST_PASSWORD }));
    expect(error).toMatchObject({ kind: 'conflict', reason: 'ALREADY_INSPECTED' });
  });
});
