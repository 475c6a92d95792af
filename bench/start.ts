/**
 * The two-command start (`npm run bench:start`): `npm start` on a fresh clone of this checkout until its
 * ready banner, the first time (no console built, no data directory) and again, beside the floor — PGlite
 * alone starting on a data directory and applying the same migrations (bench/start-floor.ts), fresh and
 * again. The installed packages are linked from this checkout (`npm ci` is not part of a start).
 *
 * Prints each time, the start's own phases (its `startup phases` log line: module loading, database and
 * keys, migrations, demo data, the wait for the console's build, servers), the server build and the console's
 * build (beside opening the database) when there were, and the ratio to the floor; writes bench/results/start.json. Knob: BENCH_RUNS (default 1) repeats the whole and keeps the medians.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { percentile, writeResults } from './support.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 1);
const ROOT = path.resolve(import.meta.dirname, '..');

interface Timed {
  ms: number;
  lines: string[];
}

/** Runs `command` in `cwd` until a line matches `ready`, then stops it (SIGINT) and waits for it. */
function timeUntil(
  command: string[],
  cwd: string,
  ready: RegExp,
  env: Record<string, string> = {},
): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command[0]!, command.slice(1), {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const lines: string[] = [];
    let ms: number | undefined;
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        lines.push(line);
        if (ms === undefined && ready.test(line)) {
          ms = performance.now() - started;
          process.kill(-child.pid!, 'SIGINT');
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', () => {
      if (ms === undefined)
        reject(new Error(`${command.join(' ')} ended before it was ready:\n${lines.join('\n')}`));
      else resolve({ ms: Math.round(ms), lines });
    });
  });
}

/** The dev command's own phase durations, from its `startup phases` log line. */
function phasesOf(lines: string[]): Record<string, number> | undefined {
  for (const line of lines) {
    if (!line.includes('"startup phases"')) continue;
    return (JSON.parse(line) as { phases_ms: Record<string, number> }).phases_ms;
  }
  return undefined;
}

/** How long the start's build scripts (scripts/ensure-built.mjs, scripts/build-console.mjs) said building `what` (`web console`, `server`) took; 0 when it was fresh. */
const buildMs = (lines: string[], what: string) => {
  const built = new RegExp(`${what} built in ([\\d.]+) s`);
  const seconds = lines.map((line) => built.exec(line)?.[1]).find(Boolean);
  return seconds === undefined ? 0 : Math.round(Number(seconds) * 1000);
};

async function once() {
  const clone = mkdtempSync(path.join(tmpdir(), 'amss-start-'));
  try {
    execFileSync('git', ['clone', '--quiet', ROOT, clone]);
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'));
    // A port of its own, so a running AMSS on 8080 does not matter.
    const env = { HTTP_ADDR: '127.0.0.1:18280', GRPC_ADDR: '127.0.0.1:19280' };
    const npmStart = ['npm', 'start'];
    const first = await timeUntil(npmStart, clone, /AMSS is ready in/, env);
    const again = await timeUntil(npmStart, clone, /AMSS is ready in/, env);
    const floorDir = path.join(clone, 'floor-data');
    const floor = ['node', '--import', 'tsx', path.join(ROOT, 'bench/start-floor.ts'), floorDir];
    const floorFirst = await timeUntil(floor, ROOT, /floor ready/);
    const floorAgain = await timeUntil(floor, ROOT, /floor ready/);
    return {
      first: {
        ms: first.ms,
        console_build_ms: buildMs(first.lines, 'web console'),
        server_build_ms: buildMs(first.lines, 'server'),
        phases_ms: phasesOf(first.lines),
      },
      again: {
        ms: again.ms,
        console_build_ms: buildMs(again.lines, 'web console'),
        server_build_ms: buildMs(again.lines, 'server'),
        phases_ms: phasesOf(again.lines),
      },
      floor_first_ms: floorFirst.ms,
      floor_again_ms: floorAgain.ms,
    };
  } finally {
    rmSync(clone, { recursive: true, force: true });
  }
}

const runs: Awaited<ReturnType<typeof once>>[] = [];
for (let run = 0; run < RUNS; run += 1) {
  const result = await once();
  console.log(`run ${run + 1}:`, JSON.stringify(result));
  runs.push(result);
}
const median = (pick: (run: (typeof runs)[number]) => number) =>
  percentile(
    runs.map(pick).sort((a, b) => a - b),
    0.5,
  );
const figures = {
  first_start_ms: median((r) => r.first.ms),
  first_start_console_build_ms: median((r) => r.first.console_build_ms),
  first_start_server_build_ms: median((r) => r.first.server_build_ms),
  floor_first_ms: median((r) => r.floor_first_ms),
  start_again_ms: median((r) => r.again.ms),
  floor_again_ms: median((r) => r.floor_again_ms),
};
const ratio = (a: number, b: number) => Math.round((a / b) * 10) / 10;
console.table([
  {
    start: 'first (fresh clone)',
    'npm start ms': figures.first_start_ms,
    'console build ms': figures.first_start_console_build_ms,
    'server build ms': figures.first_start_server_build_ms,
    'PGlite floor ms': figures.floor_first_ms,
    '× floor': ratio(figures.first_start_ms, figures.floor_first_ms),
  },
  {
    start: 'again',
    'npm start ms': figures.start_again_ms,
    'console build ms': 0,
    'server build ms': 0,
    'PGlite floor ms': figures.floor_again_ms,
    '× floor': ratio(figures.start_again_ms, figures.floor_again_ms),
  },
]);
console.log('phases of the last run (ms):', runs.at(-1)!.first.phases_ms, runs.at(-1)!.again.phases_ms);
writeResults('start', { runs: RUNS, ...figures, last_run: runs.at(-1) });
