import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** scripts/build-console.mjs of the checkout this module runs from (src/cmd or dist/cmd). */
const BUILD_SCRIPT = path.resolve(import.meta.dirname, '../../scripts/build-console.mjs');

/** How building the console ended: it never rejects, so a failure waits for whoever awaits it. */
export type ConsoleBuild = { ok: true } | { ok: false; reason: string };

/**
 * `amss dev --build-console` (what `npm start` runs): builds the web console when it is missing or
 * older than its sources, in a process of its own (scripts/build-console.mjs, Vite) started before the
 * database is opened. On a fresh clone both take seconds; side by side on two cores they overlap
 * instead of adding up. Its output goes to this process's; it stops when this process ends.
 */
export function buildConsoleBeside(): Promise<ConsoleBuild> {
  if (!existsSync(BUILD_SCRIPT))
    return Promise.resolve({ ok: false, reason: `${BUILD_SCRIPT} is missing: not a checkout of AMSS` });
  // The channel is only there to close: the build stops when this process ends, whatever ends it.
  const child = spawn(process.execPath, [BUILD_SCRIPT], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.channel?.unref();
  return new Promise((resolve) => {
    child.once('error', (error) => resolve({ ok: false, reason: error.message }));
    child.once('exit', (code, signal) =>
      resolve(code === 0 ? { ok: true } : { ok: false, reason: signal ?? `exit code ${code}` }),
    );
  });
}
