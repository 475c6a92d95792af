// @ts-check
/**
 * What `npm start` runs first: builds what is missing or stale, side by side, so a fresh clone starts with no
 * further step and a `git pull` or an edit is picked up.
 *
 * - the web console (web/dist, Vite) when it is older than its sources, as `npm run web:build` does unconditionally;
 * - the server (dist/, esbuild): the same modules `npm run build` compiles with tsc, transpiled only (tsc
 *   type-checks and takes most of a minute on two cores; esbuild about a second), with source maps. Node then loads
 *   plain JavaScript: 1.5–2 s of modules instead of 3–4 s through tsx's loader. dist/ is rebuilt whenever the
 *   sources' fingerprint differs from the one the last build recorded (a file added, changed or deleted, a changed
 *   tsconfig, lock file or this script); the build is written beside dist/ and swapped in whole, so a start never
 *   loads a half-written or mixed dist/, whatever else (an interrupted build, `npm run build`) last touched it.
 *
 * Plain JavaScript, run by `node`: it runs before every start, and starting tsx for it cost a third of a second.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';

const root = path.resolve(import.meta.dirname, '..');

/** @param {string} file @returns {number} the newest modification time under `file` (0: none) */
function newest(file) {
  if (!existsSync(file)) return 0;
  const stats = statSync(file);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return Math.max(0, ...readdirSync(file).map((entry) => newest(path.join(file, entry))));
}

/**
 * Runs `build` unless `fresh`, saying so and how long it took.
 * @param {string} what @param {boolean} fresh @param {() => Promise<void>} build
 */
async function ensure(what, fresh, build) {
  if (fresh) return;
  const started = performance.now();
  process.stdout.write(`building ${what}…\n`);
  await build();
  process.stdout.write(`${what} built in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}

const web = path.join(root, 'web');
const src = path.join(root, 'src');

const consoleBuilt = path.join(web, 'dist', 'index.html');
// The console's own files, what it imports from the server's domain, and the installed packages.
const consoleSources = [
  path.join(web, 'src'),
  path.join(web, 'index.html'),
  path.join(web, 'vite.config.ts'),
  path.join(src, 'domain'),
  path.join(root, 'package-lock.json'),
];
const theConsole = ensure(
  'the web console',
  existsSync(consoleBuilt) && statSync(consoleBuilt).mtimeMs >= Math.max(...consoleSources.map(newest)),
  async () => {
    const { build } = await import('vite');
    await build({ configFile: path.join(web, 'vite.config.ts'), logLevel: 'warn' });
  },
);

const dist = path.join(root, 'dist');
const tsconfig = path.join(root, 'tsconfig.json');
/** Where a build records the fingerprint of the sources it was made from. */
const FINGERPRINT = '.built-from';

/** Every source file's path, size and modification time, and the contents of what else shapes the build. */
function fingerprint() {
  const hash = createHash('sha256');
  for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' }).sort()) {
    const stats = statSync(path.join(src, file));
    if (stats.isFile()) hash.update(`${file}\0${stats.size}\0${stats.mtimeMs}\n`);
  }
  for (const file of [tsconfig, path.join(root, 'package-lock.json'), import.meta.filename])
    hash.update(readFileSync(file));
  return hash.digest('hex');
}

const sources = fingerprint();
const recorded = path.join(dist, FINGERPRINT);
const theServer = ensure(
  'the server',
  existsSync(path.join(dist, 'cmd', 'main.js')) &&
    existsSync(recorded) &&
    readFileSync(recorded, 'utf8') === sources,
  async () => {
    const { build } = await import('esbuild');
    const staging = `${dist}.building-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    // dist/ mirrors src/ as tsc's build does (tsconfig.build.json), so paths relative to a module
    // (migrations, proto files, the console) resolve alike.
    await build({
      entryPoints: readdirSync(src, { recursive: true, encoding: 'utf8' })
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
    const retired = `${dist}.retired-${process.pid}`;
    if (existsSync(dist)) renameSync(dist, retired);
    try {
      renameSync(staging, dist);
    } catch (error) {
      // Another start swapped in its build of the same sources between our two renames: it stands.
      if (!['ENOTEMPTY', 'EEXIST'].includes(/** @type {NodeJS.ErrnoException} */ (error).code ?? ''))
        throw error;
      rmSync(staging, { recursive: true, force: true });
    }
    rmSync(retired, { recursive: true, force: true });
  },
);

// Both run to the end (a failed console build does not leave the server's half done), then any failure stops the start.
for (const result of await Promise.allSettled([theConsole, theServer])) {
  if (result.status === 'rejected') throw result.reason;
}
