import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { citext } from '@electric-sql/pglite/contrib/citext';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import pg from 'pg';
import { fromPool, type DatabaseHandle } from '../postgres/database.js';

/** `memory://` keeps the embedded database in memory only. */
export const IN_MEMORY = 'memory://';

/**
 * Opens PGlite (PostgreSQL compiled to WebAssembly) with the extensions the schema needs,
 * behind PGlite's node-postgres adapter, so Kysely runs exactly the code path it runs on a
 * real server. PGlite has a single session; the pool hands it to one query at a time.
 */
export async function openEmbeddedDatabase(dataDir: string): Promise<DatabaseHandle & { pglite: PGlite }> {
  // PGlite creates only the last directory of the path; a fresh checkout has no ./data yet.
  if (dataDir !== IN_MEMORY) await mkdir(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir === IN_MEMORY ? undefined : dataDir, {
    extensions: { btree_gist, citext, pgcrypto },
  });
  await pglite.exec("SET TIME ZONE 'UTC'; SET IntervalStyle = iso_8601;");
  const pool = new pg.Pool(createPgConfig(pglite));
  const handle = fromPool(pool, async () => {
    await pglite.close();
  });
  return { ...handle, pglite };
}
