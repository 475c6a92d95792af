/**
 * The floor of `npm start` (bench:start runs it): what PGlite alone needs to start on a data
 * directory and apply the repository's migrations, with nothing of AMSS loaded. Run as
 * `node --import tsx bench/start-floor.ts <dataDir>`; prints `floor ready` when done (a second run on
 * the same directory finds the schema and applies nothing, as a second `npm start` does).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { citext } from '@electric-sql/pglite/contrib/citext';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: start-floor.ts <dataDir>');
const fresh = !existsSync(path.join(dataDir, 'PG_VERSION'));
await mkdir(dataDir, { recursive: true });
const pglite = await PGlite.create(dataDir, { extensions: { btree_gist, citext, pgcrypto } });
if (fresh) {
  const dir = path.resolve(import.meta.dirname, '../migrations');
  for (const file of (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort()) {
    const text = await readFile(path.join(dir, file), 'utf8');
    // The goose file's Up half, as the migrator runs it.
    await pglite.exec(
      text.slice(text.search(/^--\s*\+goose\s+Up\b/im), text.search(/^--\s*\+goose\s+Down\b/im)),
    );
  }
}
console.log('floor ready');
await pglite.close();
