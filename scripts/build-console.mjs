// @ts-check
/**
 * Builds the web console (web/dist, Vite) when it is missing or older than its sources, as `npm run web:build`
 * does unconditionally. `amss dev --build-console` (what `npm start` runs) starts it in a process of its own beside
 * opening the database, so on a fresh clone the two overlap on two cores instead of adding up, and waits for it
 * before it serves. The build is written beside web/dist and swapped in whole, so two starts at once (or a server
 * serving the console meanwhile) never see a half-written one.
 *
 * Plain JavaScript, run by `node`: starting tsx for it would cost a third of a second.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { buildInto, ensure } from './build-support.mjs';

const root = path.resolve(import.meta.dirname, '..');
const web = path.join(root, 'web');
const dist = path.join(web, 'dist');
const built = path.join(dist, 'index.html');

/** @param {string} file @returns {number} the newest modification time under `file` (0: none) */
function newest(file) {
  if (!existsSync(file)) return 0;
  const stats = statSync(file);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return Math.max(0, ...readdirSync(file).map((entry) => newest(path.join(file, entry))));
}

// The console's own files, what it imports from the server's domain, the installed packages, and this build.
const sources = [
  path.join(web, 'src'),
  path.join(web, 'index.html'),
  path.join(web, 'vite.config.ts'),
  path.join(web, 'tsconfig.json'),
  path.join(root, 'src', 'domain'),
  path.join(root, 'package-lock.json'),
  import.meta.filename,
  path.join(import.meta.dirname, 'build-support.mjs'),
];

// Started by `amss dev --build-console` with a channel to it: when that process ends, however it ends (a signal,
// a crash), the channel closes and the build stops instead of running on alone.
process.on('disconnect', () => process.exit(1));
// The channel alone must not keep this process alive once the build is done.
process.channel?.unref();

await ensure(
  'the web console',
  existsSync(built) && statSync(built).mtimeMs >= Math.max(...sources.map(newest)),
  async () => {
    const { build } = await import('vite');
    await buildInto(dist, async (staging) => {
      await build({
        configFile: path.join(web, 'vite.config.ts'),
        logLevel: 'warn',
        build: { outDir: staging },
      });
    });
  },
);
