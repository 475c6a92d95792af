import { describe, expect, it } from 'vitest';
import { connectCreatingDatabase } from './global-setup.js';
import { databaseUrl, testDatabaseName } from './env.js';

describe('test run setup', () => {
  it('creates the database it connects to when the server does not have it yet (a fresh machine)', async () => {
    // Named like the run's own databases, so an interrupted run's leftover is dropped later.
    const name = testDatabaseName('db');
    const client = await connectCreatingDatabase(databaseUrl(name));
    try {
      const { rows } = await client.query<{ current_database: string }>('SELECT current_database()');
      expect(rows[0]!.current_database).toBe(name);
    } finally {
      await client.end();
      const admin = await connectCreatingDatabase(databaseUrl('postgres'));
      await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
      await admin.end();
    }
  });
});
