// @ts-check
/**
 * What `npm start` runs first: builds the server (dist/, esbuild) when it is missing or stale, so a fresh clone
 * starts with no further step and a `git pull` or an edit is picked up. The same modules `npm run build` compiles
 * with tsc, transpiled only (tsc type-checks and takes most of a minute on two cores; esbuild about a second), with
 * source maps. Node then loads plain JavaScript: 1.5–2 s of modules instead of 3–4 s through tsx's loader. dist/ is
 * rebuilt whenever the sources' fingerprint differs from the one the last build recorded (a file added, changed or
 * deleted, a changed tsconfig, lock file or build script); the build is written beside dist/ and swapped in whole,
 * so a start never loads a half-written or mixed dist/.
 *
 * The web console is built by the server's start itself (`amss dev --build-console`, scripts/build-console.mjs),
 * beside opening the database.
 *
 * Plain JavaScript, run by `node`: it runs before every start, and starting tsx for it cost a third of a second.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildInto, ensure } from './build-support.mjs';

const root = path.resolve(import.meta.dirname, '..');
const src = path.join(root, 'src');

const dist = path.join(root, 'dist');
const tsconfig = path.join(root, 'tsconfig.json');
/** Where a build records the fingerprint of the sources it was made from. */
const FINGERPRINT = '.built-from';

/** Every file under src/, read once for the fingerprint and the build. */
const sourceFiles = readdirSync(src, { recursive: true, encoding: 'utf8' }).sort();

/** Every source file's path, size and modification time, and the contents of what else shapes the build. */
function fingerprint() {
  const hash = createHash('sha256');
  for (const file of sourceFiles) {
    const stats = statSync(path.join(src, file));
    if (stats.isFile()) hash.update(`${file}\0${stats.size}\0${stats.mtimeMs}\n`);
  }
  const scripts = [import.meta.filename, path.join(import.meta.dirname, 'build-support.mjs')];
  for (const file of [tsconfig, path.join(root, 'package-lock.json'), ...scripts])
    hash.update(readFileSync(file));
  return hash.digest('hex');
}

const sources = fingerprint();
const recorded = path.join(dist, FINGERPRINT);
await ensure(
  'the server',
  existsSync(path.join(dist, 'cmd', 'main.js')) &&
    existsSync(recorded) &&
    readFileSync(recorded, 'utf8') === sources,
  async () => {
    const { build } = await import('esbuild');
    await buildInto(dist, async (staging) => {
      // dist/ mirrors src/ as tsc's build does (tsconfig.build.json), so paths relative to a module
      // (migrations, proto files, the console) resolve alike.
      await build({
        entryPoints: sourceFiles
          .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
          .map((file) => path.join(src, file)),
        outdir: staging,
        outbase: src,
        format: 'esm',
        platform: 'node',
        target: 'node20',
        sourcemap: 'linked',
        tsconfig,
        logLevel: 'warning',
      });
      chmodSync(path.join(staging, 'cmd', 'main.js'), 0o755);
      writeFileSync(path.join(staging, FINGERPRINT), sources);
    });
  },
);
