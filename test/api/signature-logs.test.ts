import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../support/app.js';
import { insertComplianceItem } from '../support/factories.js';
import { createTenant, type Tenant } from '../support/tenants.js';

const lines: string[] = [];
let t: TestApp;
let tenant: Tenant;

beforeAll(async () => {
  const logger = createLogger('debug', {}, { write: (line: string) => void lines.push(line) });
  t = await createTestApp({}, { logger });
  tenant = await createTenant(t);
});
afterAll(async () => {
  await t.close();
});

describe("a signature's password", () => {
  it('never reaches the logs, whether right, wrong or refused by validation', async () => {
    const wrong = 'Wrong-Horse-99';
    const item = await insertComplianceItem(t.db.db, { org_id: tenant.org.id, result: 'pass' });
    const url = `/api/v1/compliance-items/${item.id}/sign-off`;
    const statuses = [
      (await t.request(tenant.tokens.mechanic, 'PATCH', url, { password: wrong })).statusCode,
      (await t.request(tenant.tokens.mechanic, 'PATCH', url, { password: wrong, extra: 1 })).statusCode,
      (await t.request(tenant.tokens.mechanic, 'PATCH', url, { password: TEST_PASSWORD })).statusCode,
    ];
    expect(statuses).toEqual([401, 400, 200]);
    expect(lines.some((line) => line.includes(item.id) || line.includes('compliance-items'))).toBe(true);
    for (const secret of [wrong, TEST_PASSWORD]) {
      expect(lines.filter((line) => line.includes(secret))).toEqual([]);
    }
  });
});
