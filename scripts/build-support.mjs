// @ts-check
/** What the start's two builds (scripts/ensure-built.mjs, scripts/build-console.mjs) share. */
import { renameSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import process from 'node:process';

/**
 * Runs `build` unless `fresh`, saying so and how long it took (bench/start.ts reads the `… built in N s` line).
 * @param {string} what @param {boolean} fresh @param {() => Promise<void>} build
 */
export async function ensure(what, fresh, build) {
  if (fresh) return;
  const started = performance.now();
  process.stdout.write(`building ${what}…\n`);
  await build();
  process.stdout.write(`${what} built in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}

/**
 * Puts a finished build written to `staging` in the place of `target`, whole: whoever loads or serves `target`
 * never sees it half-written or mixed, whatever else (an interrupted build, `npm run build`) last touched it.
 * @param {string} staging @param {string} target
 */
function swapIn(staging, target) {
  const retired = `${target}.retired-${process.pid}`;
  try {
    renameSync(target, retired);
  } catch (error) {
    // None yet, or another start moved it away a moment ago: either way the place is free.
    if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'ENOENT') throw error;
  }
  try {
    renameSync(staging, target);
  } catch (error) {
    // Another start swapped in its build of the same sources between our two renames: it stands.
    if (!['ENOTEMPTY', 'EEXIST'].includes(/** @type {NodeJS.ErrnoException} */ (error).code ?? ''))
      throw error;
    rmSync(staging, { recursive: true, force: true });
  }
  rmSync(retired, { recursive: true, force: true });
}

/**
 * Builds `target` with `build` in a directory of this process's own beside it, then swaps it in; a build that
 * fails or is stopped leaves nothing behind.
 * @param {string} target @param {(staging: string) => Promise<void>} build
 */
export async function buildInto(target, build) {
  const staging = `${target}.building-${process.pid}`;
  const clear = () => rmSync(staging, { recursive: true, force: true });
  clear();
  // Also when the process is made to exit mid-build (process.exit skips the finally below).
  process.on('exit', clear);
  try {
    await build(staging);
    swapIn(staging, target);
  } finally {
    process.off('exit', clear);
    clear();
  }
}
