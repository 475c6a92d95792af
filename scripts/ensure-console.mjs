// @ts-check
/**
 * Builds the web console when web/dist is missing or older than its sources, so `npm start` on a
 * fresh clone serves it with no further step (and a `git pull` that changed it is rebuilt).
 * `npm run web:build` builds it unconditionally. Plain JavaScript, run by `node`: it runs before
 * every start, and starting tsx for it cost a third of a second.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';

const root = path.resolve(import.meta.dirname, '..');
const web = path.join(root, 'web');
const built = path.join(web, 'dist', 'index.html');
// The console's own files, what it imports from the server's domain, and the installed packages.
const sources = [
  path.join(web, 'src'),
  path.join(web, 'index.html'),
  path.join(web, 'vite.config.ts'),
  path.join(root, 'src', 'domain'),
  path.join(root, 'package-lock.json'),
];

/** @param {string} file @returns {number} the newest modification time under `file` (0: none) */
function newest(file) {
  if (!existsSync(file)) return 0;
  const stats = statSync(file);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return Math.max(0, ...readdirSync(file).map((entry) => newest(path.join(file, entry))));
}

const builtAt = existsSync(built) ? statSync(built).mtimeMs : 0;
if (builtAt < Math.max(...sources.map(newest))) {
  const started = performance.now();
  process.stdout.write(builtAt === 0 ? 'building the web console…\n' : 'rebuilding the web console…\n');
  const { build } = await import('vite');
  await build({ configFile: path.join(web, 'vite.config.ts'), logLevel: 'warn' });
  process.stdout.write(`web console built in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}
