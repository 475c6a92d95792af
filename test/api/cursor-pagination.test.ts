import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowCursor } from '../../src/app/pagination.js';
import { createTestApp, type TestApp } from '../support/app.js';
import {
  insertAircraft,
  insertApiKey,
  insertAircraftUsage,
  insertAuditLog,
  insertComplianceItem,
  insertImport,
  insertPartDefinition,
  insertPartItem,
  insertProgram,
  insertReservation,
  insertTask,
  insertWebhook,
  insertWebhookDelivery,
} from '../support/factories.js';
import {
  insertCertificationType,
  insertEmployeeCertification,
  insertEmployeeSkill,
  insertRecencyEntry,
  insertSkillType,
  insertTaskSkillRequirement,
  insertTypeRating,
} from '../support/qualification-factories.js';
import {
  authorityId,
  insertAircraftDirective,
  insertComplianceRecord,
  insertDirective,
  insertRegistration,
} from '../support/directive-factories.js';
import { insertScheduleChange } from '../support/scheduling-factories.js';
import { insertAlert } from '../support/alert-factories.js';
import { createTenant, type Tenant } from '../support/tenants.js';

// Every list operation of the OpenAPI pages by keyset `cursor`, in each of its sort orders:
// rows added between two pages never make a row appear twice or go missing.

let t: TestApp;
let tenant: Tenant;
let parents: {
  aircraft: string;
  webhook: string;
  import: string;
  user: string;
  certification: string;
  directive: string;
  tracking: string;
  task: string;
};
let rowNumber = 0;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTenant(t);
  const org_id = tenant.org.id;
  parents = {
    aircraft: (await insertAircraft(t.db.db, { org_id })).id,
    webhook: (await insertWebhook(t.db.db, { org_id })).id,
    import: (await insertImport(t.db.db, { org_id, created_by: tenant.userIds.admin })).id,
    user: tenant.userIds.mechanic,
    certification: (await insertEmployeeCertification(t.db.db, { org_id, user_id: tenant.userIds.mechanic }))
      .id,
    directive: '',
    tracking: '',
    task: (await insertTask(t.db.db, { org_id })).id,
  };
  parents.directive = (await insertDirective(t.db.db, { org_id })).id;
  parents.tracking = (
    await insertAircraftDirective(t.db.db, {
      org_id,
      aircraft_id: parents.aircraft,
      directive_id: parents.directive,
    })
  ).id;
});
afterAll(async () => {
  await t.close();
});

/** How to add one row to each list (keyed by its OpenAPI path); a new list without one fails below. */
const ADD_ROW: Record<string, () => Promise<unknown>> = {
  '/api/v1/organizations': () => t.createOrg(),
  '/api/v1/users': () => t.createUser(tenant.org.id, 'mechanic'),
  '/api/v1/aircraft': () => insertAircraft(t.db.db, { org_id: tenant.org.id }),
  '/api/v1/aircraft/{id}/usage': () => insertAircraftUsage(t.db.db, { aircraft_id: parents.aircraft }),
  '/api/v1/maintenance-programs': () => insertProgram(t.db.db, { org_id: tenant.org.id }),
  '/api/v1/maintenance-tasks': () => insertTask(t.db.db, { org_id: tenant.org.id }),
  '/api/v1/part-definitions': () => insertPartDefinition(t.db.db, { org_id: tenant.org.id }),
  '/api/v1/part-items': () => insertPartItem(t.db.db, { org_id: tenant.org.id }),
  '/api/v1/part-reservations': () => insertReservation(t.db.db, { org_id: tenant.org.id }),
  '/api/v1/compliance-items': () => insertComplianceItem(t.db.db, { org_id: tenant.org.id }),
  '/api/v1/webhooks': () => insertWebhook(t.db.db, { org_id: tenant.org.id }),
  '/api/v1/api-keys': () =>
    insertApiKey(t.db.db, { org_id: tenant.org.id, created_by: tenant.userIds.tenant_admin }),
  '/api/v1/webhooks/{id}/deliveries': () => insertWebhookDelivery(t.db.db, { webhook_id: parents.webhook }),
  '/api/v1/imports': () => insertImport(t.db.db, { org_id: tenant.org.id, created_by: tenant.userIds.admin }),
  '/api/v1/imports/{id}/rows': () =>
    t.db.db
      .insertInto('import_rows')
      .values({
        org_id: tenant.org.id,
        import_id: parents.import,
        row_number: ++rowNumber,
        raw: JSON.stringify({}),
      })
      .execute(),
  '/api/v1/audit-logs': () => insertAuditLog(t.db.db, { org_id: tenant.org.id }),
  // People records: one live row per (user, type), so each new row gets a type of its own.
  '/api/v1/users/{id}/certifications': async () =>
    insertEmployeeCertification(t.db.db, {
      org_id: tenant.org.id,
      user_id: parents.user,
      certification_type_id: (await insertCertificationType(t.db.db, { org_id: tenant.org.id })).id,
    }),
  '/api/v1/users/{id}/type-ratings': async () =>
    insertTypeRating(t.db.db, {
      org_id: tenant.org.id,
      user_id: parents.user,
      certification_id: parents.certification,
      aircraft_type_id: (await unratedAircraftTypes()).shift()!,
    }),
  '/api/v1/users/{id}/skills': async () =>
    insertEmployeeSkill(t.db.db, {
      org_id: tenant.org.id,
      user_id: parents.user,
      skill_type_id: (await insertSkillType(t.db.db, { org_id: tenant.org.id })).id,
    }),
  '/api/v1/users/{id}/recency': () =>
    insertRecencyEntry(t.db.db, { org_id: tenant.org.id, user_id: parents.user }),
  // Reference data: aircraft types are global (a designator of its own each); certification and
  // skill types list the global ones and the organization's own.
  '/api/v1/aircraft-types': () =>
    t.db.db
      .insertInto('aircraft_types')
      .values({
        designator: `Z${(++rowNumber).toString(36).toUpperCase().padStart(3, '0')}`,
        manufacturer: 'Test',
        model: 'Test',
      })
      .execute(),
  '/api/v1/certification-types': () => insertCertificationType(t.db.db, { org_id: tenant.org.id }),
  '/api/v1/skill-types': () => insertSkillType(t.db.db, { org_id: tenant.org.id }),
  '/api/v1/task-skill-requirements': () => insertTaskSkillRequirement(t.db.db, { org_id: tenant.org.id }),
  // Regulatory reference data is global (a code of its own each); registrations are the org's.
  '/api/v1/regulatory-authorities': () =>
    t.db.db
      .insertInto('regulatory_authorities')
      .values({
        code: `Z${(++rowNumber).toString(36).toUpperCase()}`,
        name: 'Test authority',
        record_retention_years: 2,
      })
      .execute(),
  '/api/v1/compliance-templates': async () =>
    t.db.db
      .insertInto('compliance_templates')
      .values({ authority_id: await authorityId(t.db.db), code: `T-${++rowNumber}`, name: 'Test template' })
      .execute(),
  '/api/v1/organizations/{id}/registrations': () => insertRegistration(t.db.db, { org_id: tenant.org.id }),
  '/api/v1/directives': () => insertDirective(t.db.db, { org_id: tenant.org.id }),
  // Directive compliance (issue 12): the history of one directive on one aircraft, a new directive
  // tracked on the aircraft, and the directive tracked on a new aircraft.
  '/api/v1/aircraft/{id}/directives/{directiveId}/compliance': () =>
    insertComplianceRecord(t.db.db, { org_id: tenant.org.id, aircraft_directive_id: parents.tracking }),
  '/api/v1/aircraft/{id}/compliance-status': () =>
    insertAircraftDirective(t.db.db, { org_id: tenant.org.id, aircraft_id: parents.aircraft }),
  '/api/v1/directives/{id}/aircraft': () =>
    insertAircraftDirective(t.db.db, { org_id: tenant.org.id, directive_id: parents.directive }),
  // Scheduling (issue 13): the schedule history of one task.
  '/api/v1/maintenance-tasks/{id}/schedule-history': () =>
    insertScheduleChange(t.db.db, { org_id: tenant.org.id, task_id: parents.task }),
  // Stock levels (issue 13): one row per live part definition.
  '/api/v1/parts/stock': () => insertPartDefinition(t.db.db, { org_id: tenant.org.id }),
  // Alerts (issue 14): each about a record of its own, so none meets the open-condition index.
  '/api/v1/alerts': () => insertAlert(t.db.db, { org_id: tenant.org.id }),
};

let aircraftTypes: string[] | undefined;
/** The aircraft types the user holds no rating on yet (one live rating per type). */
const unratedAircraftTypes = async () =>
  (aircraftTypes ??= (await t.db.db.selectFrom('aircraft_types').select('id').execute()).map((r) => r.id));

/** Reports are computed per request (aggregates, not rows with ids): they page by offset only. */
const OFFSET_ONLY = [
  '/api/v1/reports/compliance',
  '/api/v1/reports/mechanic-workload',
  // computed per request across programs and directives, in a fixed order
  '/api/v1/due-list',
  // computed per request from the conflicts of a time range, in a fixed order (issue 13)
  '/api/v1/scheduling/conflicts',
];
/**
 * Not a bare list: the compliance matrix is an object paginated by aircraft (its cursor is tested
 * in test/api/directive-compliance-views.test.ts).
 */
const NOT_LISTS = ['/api/v1/compliance-matrix'];

interface Parameter {
  name: string;
  in: string;
  schema?: { pattern?: string };
}
type Spec = { paths: Record<string, { get?: { parameters?: Parameter[] } }> };

/** Every GET with a `limit` parameter, with the sort orders it offers (each field both ways). */
function listOperations(): { path: string; sorts: string[] }[] {
  const spec = t.app.swagger() as Spec;
  return Object.entries(spec.paths).flatMap(([path, item]) => {
    const params = item.get?.parameters ?? [];
    if (!params.some((p) => p.name === 'limit') || OFFSET_ONLY.includes(path) || NOT_LISTS.includes(path))
      return [];
    const pattern = params.find((p) => p.name === 'sort')?.schema?.pattern;
    const fields = pattern ? /^\^-\?\(([^)]*)\)/.exec(pattern)![1]!.split('|') : [];
    return [{ path, sorts: ['', ...fields.flatMap((f) => [f, `-${f}`])] }];
  });
}

describe('cursor pagination', () => {
  it('is offered by every list operation except the computed reports, and each has a row factory here', () => {
    const spec = t.app.swagger() as Spec;
    for (const { path } of listOperations()) {
      expect(
        spec.paths[path]!.get!.parameters!.map((p) => p.name),
        path,
      ).toContain('cursor');
      expect(Object.keys(ADD_ROW), path).toContain(path);
    }
  });

  it('walks every list in every sort order with rows added between pages: no duplicates, no gaps', async () => {
    for (const { path, sorts } of listOperations()) {
      const add = ADD_ROW[path]!;
      for (let i = 0; i < 4; i++) await add();
      const url = path
        .replace('{directiveId}', parents.directive)
        .replace(
          '{id}',
          path.startsWith('/api/v1/directives/')
            ? parents.directive
            : path.includes('aircraft')
              ? parents.aircraft
              : path.includes('webhooks')
                ? parents.webhook
                : path.startsWith('/api/v1/users/')
                  ? parents.user
                  : path.startsWith('/api/v1/organizations/')
                    ? tenant.org.id
                    : path.startsWith('/api/v1/maintenance-tasks/')
                      ? parents.task
                      : parents.import,
        );
      for (const sort of sorts) {
        const query = `limit=3&cursor=${sort ? `&sort=${sort}` : ''}`;
        const all = await t.request(
          tenant.tokens.admin,
          'GET',
          `${url}?limit=200${sort ? `&sort=${sort}` : ''}`,
        );
        const before = all.json<{ id: string }[]>().map((row) => row.id);
        const seen: string[] = [];
        let next: string | undefined = `${url}?${query}`;
        while (next) {
          const page = await t.request(tenant.tokens.admin, 'GET', next);
          expect(page.statusCode, `${next}: ${page.body}`).toBe(200);
          seen.push(...page.json<{ id: string }[]>().map((row) => row.id));
          // Rows added after the first two pages land before and after the cursor alike.
          if (seen.length <= 6) await add();
          next = /<([^>]+)>; rel="next"/.exec(String(page.headers.link ?? ''))?.[1];
        }
        expect(new Set(seen).size, `${path} sort=${sort}: duplicates`).toBe(seen.length);
        expect(
          before.filter((id) => !seen.includes(id)),
          `${path} sort=${sort}: gaps`,
        ).toEqual([]);
      }
    }
  }, 120_000);

  it('refuses a cursor made for another sort order with 400 INVALID_CURSOR', async () => {
    for (let i = 0; i < 3; i++) await insertAircraft(t.db.db, { org_id: tenant.org.id });
    const first = await t.request(tenant.tokens.admin, 'GET', '/api/v1/aircraft?limit=1&cursor=&sort=model');
    const cursor = new URL(/<([^>]+)>/.exec(String(first.headers.link))![1]!, 'http://x').searchParams.get(
      'cursor',
    );
    const other = await t.request(
      tenant.tokens.admin,
      'GET',
      `/api/v1/aircraft?limit=1&cursor=${cursor}&sort=-model`,
    );
    expect(other.statusCode).toBe(400);
    expect(other.json()).toMatchObject({ reason: 'INVALID_CURSOR' });
  });

  it("gives an empty page for a cursor naming another organization's row, revealing nothing of it", async () => {
    const foreign = await insertAircraft(t.db.db, { org_id: (await t.createOrg()).id });
    const page = await t.request(
      tenant.tokens.admin,
      'GET',
      `/api/v1/aircraft?cursor=${rowCursor('', foreign.id)}`,
    );
    expect(page.statusCode).toBe(200);
    expect(page.json()).toEqual([]);
  });
});
