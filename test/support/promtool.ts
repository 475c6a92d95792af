import { spawnSync } from 'node:child_process';

/** Whether `promtool` (Debian's prometheus package; `.ci/run` installs it) is on the PATH. */
export const HAS_PROMTOOL = spawnSync('promtool', ['--version']).error === undefined;

/**
 * Added to the name of a test that runs promtool, so a run on a machine without it says why the
 * check was skipped instead of failing (or passing silently).
 */
export const PROMTOOL_NOTE = HAS_PROMTOOL
  ? ''
  : ' [skipped: promtool is not installed — apt-get install prometheus, or run .ci/run]';
