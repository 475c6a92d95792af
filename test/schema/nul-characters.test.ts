import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { translateDatabaseError } from '../../src/infra/postgres/errors.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertOrganization, rejectionOf } from '../support/factories.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

// The edges refuse a NUL before it reaches the database; should one slip through anyway (a new
// adapter, a value built in code), the client still gets a 400, never a 500.
describe('a NUL character that reaches PostgreSQL', () => {
  it('in a text column is a validation error', async () => {
    const error = await rejectionOf(insertOrganization(t.db, { name: 'Blue\u0000Sky' }));
    expect(error).toMatchObject({ code: '22021' });
    expect(translateDatabaseError(error)).toMatchObject({ kind: 'validation', reason: 'NUL_CHARACTER' });
  });

  it('in jsonb text is a validation error', async () => {
    const error = await rejectionOf(sql`SELECT ${'{"note":"a\\u0000b"}'}::jsonb ->> 'note'`.execute(t.db));
    expect(error).toMatchObject({ code: '22P05' });
    expect(translateDatabaseError(error)).toMatchObject({ kind: 'validation', reason: 'NUL_CHARACTER' });
  });
});
