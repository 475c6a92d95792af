// @ts-check
/** What the start's two builds (scripts/ensure-built.mjs, scripts/build-console.mjs) share. */
import { existsSync, renameSync, rmSync } from 'node:fs';
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
export function swapIn(staging, target) {
  const retired = `${target}.retired-${process.pid}`;
  if (existsSync(target)) renameSync(target, retired);
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

/** Where a build of `target` by this process is written before it is swapped in. @param {string} target */
export function stagingFor(target) {
  const staging = `${target}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  return staging;
}
