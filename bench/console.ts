/**
 * The web console's weight and speed in a real browser:
 *   1. the initial JavaScript (gzip) of the sign-in and dashboard routes: the entry chunk, the route's chunk and
 *      what they import statically (not what loads later), from Vite's manifest of a fresh build;
 *   2. the dashboard's fleet status board with BENCH_AIRCRAFT aircraft (default 1,000) and the schedule's
 *      timeline with BENCH_TASKS tasks (default 2,000) in headless Chromium (Debian's, through playwright-core):
 *      time from navigation until every tile (every bar) is on screen, median and worst of BENCH_RUNS runs
 *      (default 5), each in a fresh browser context.
 *
 *   npm run bench:console
 *   BENCH_AIRCRAFT=200 BENCH_TASKS=400 BENCH_RUNS=2 npm run bench:console     (while developing)
 *   BENCH_TRACE=1 BENCH_RUNS=1 npm run bench:console                          (each view's requests, timed)
 *   BENCH_PROFILE=1 BENCH_RUNS=1 npm run bench:console                        (where each view's CPU goes)
 *
 * Seeds a scratch database `amss_bench_console` on AMSS_BENCH_DB_URL in SQL (an organization, its planner, the
 * aircraft, the tasks in the coming week, two per aircraft, never overlapping), builds the project and starts
 * `node dist/cmd/cli.js server`, which serves the built console. Writes bench/results/console.json.
 * Measured, never asserted (the goals: ≤ 300 KB initial JavaScript per route; under 1 s per view).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { sql } from 'kysely';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { connectPostgres } from '../src/infra/postgres/database.js';
import { migrateToLatest } from '../src/infra/postgres/migrator.js';
import { launchBrowser } from '../web/e2e/browser.js';
import {
  benchDatabaseUrl,
  createBenchOrg,
  createScratchDatabase,
  dropScratchDatabase,
  percentile,
  startServer,
  stopServer,
  writeResults,
} from './support.js';

const AIRCRAFT = Number(process.env.BENCH_AIRCRAFT ?? 1_000);
const TASKS = Number(process.env.BENCH_TASKS ?? 2_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TRACE = process.env.BENCH_TRACE === '1';
const PROFILE = process.env.BENCH_PROFILE === '1';
const DB_NAME = 'amss_bench_console';
const PORT = 18097;
const PLANNER = 'planner@console.bench.local';
const PASSWORD = 'Bench-Planner-2026';
const DIST = path.resolve(import.meta.dirname, '../web/dist');

interface ManifestChunk {
  file: string;
  imports?: string[];
  isEntry?: boolean;
}

/** The gzip size in KB of a route's first JavaScript: its chunk and everything imported statically, with the entry. */
function initialJavaScriptKb(manifest: Record<string, ManifestChunk>, route: string): number {
  const files = new Set<string>();
  const visit = (key: string) => {
    const chunk = manifest[key];
    if (!chunk || files.has(chunk.file)) return;
    files.add(chunk.file);
    for (const imported of chunk.imports ?? []) visit(imported);
  };
  visit('index.html');
  visit(route);
  const bytes = [...files]
    .filter((file) => file.endsWith('.js'))
    .reduce((sum, file) => sum + gzipSync(readFileSync(path.join(DIST, file))).length, 0);
  return Math.round(bytes / 102.4) / 10;
}

async function seed(url: string): Promise<void> {
  const handle = connectPostgres(url, { max: 2 });
  try {
    await migrateToLatest(handle.db);
    const { orgId } = await createBenchOrg(handle.db, 'Console Air', { email: PLANNER, password: PASSWORD });
    await sql`
      INSERT INTO aircraft (org_id, tail_number, model, status)
      SELECT ${orgId}, 'C' || lpad(n::text, 5, '0'), 'A320neo',
             (CASE WHEN n % 20 = 0 THEN 'maintenance' WHEN n % 50 = 0 THEN 'grounded' ELSE 'operational' END)::aircraft_status
        FROM generate_series(1, ${AIRCRAFT}) n`.execute(handle.db);
    // Tasks over the coming week from tomorrow 06:00 UTC, one after another per aircraft.
    await sql`
      INSERT INTO maintenance_tasks (org_id, aircraft_id, type, state, priority, start_time, end_time, notes)
      SELECT a.org_id, a.id, 'inspection', 'scheduled',
             (CASE WHEN k % 10 = 0 THEN 'urgent' ELSE 'routine' END)::task_priority,
             date_trunc('day', now()) + interval '1 day 6 hours' + (k * interval '20 hours') + (a.rn % 5) * interval '1 hour',
             date_trunc('day', now()) + interval '1 day 10 hours' + (k * interval '20 hours') + (a.rn % 5) * interval '1 hour',
             'Bench task ' || k
        FROM (SELECT id, org_id, row_number() OVER (ORDER BY tail_number) AS rn FROM aircraft WHERE org_id = ${orgId}) a
        CROSS JOIN generate_series(0, ${Math.ceil(TASKS / AIRCRAFT) - 1}) k
       WHERE a.rn + k * ${AIRCRAFT} <= ${TASKS}`.execute(handle.db);
  } finally {
    await handle.close();
  }
}

async function signedInPage(browser: Browser, baseURL: string): Promise<Page> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(PLANNER);
  await page.getByLabel(/^Password/).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in-as').waitFor();
  return page;
}

/** With BENCH_TRACE=1: each request of the measured view, when it started and ended after navigation. */
function traceRequests(page: Page, started: number): void {
  const begun = new Map<object, number>();
  page.on('request', (request) => begun.set(request, Date.now() - started));
  page.on('requestfinished', (request) => {
    const url = new URL(request.url());
    console.log(
      `  ${begun.get(request)}–${Date.now() - started} ms ${request.method()} ${url.pathname}${url.search.slice(0, 80)}`,
    );
  });
}

/** With BENCH_PROFILE=1: the page's JavaScript CPU profile over the measured view (Chrome DevTools Protocol). */
async function startProfile(page: Page): Promise<CDPSession> {
  const session = await page.context().newCDPSession(page);
  await session.send('Profiler.enable');
  await session.send('Profiler.setSamplingInterval', { interval: 500 });
  await session.send('Profiler.start');
  return session;
}

/** The functions that took the most of the profile's time themselves, with their script. */
async function printProfile(session: CDPSession): Promise<void> {
  const { profile } = await session.send('Profiler.stop');
  const selfMs = new Map<string, number>();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const deltas = profile.timeDeltas ?? [];
  (profile.samples ?? []).forEach((id, i) => {
    const frame = byId.get(id)!.callFrame;
    const key = `${frame.functionName || '(anonymous)'} ${frame.url.split('/').pop()}:${frame.lineNumber}`;
    selfMs.set(key, (selfMs.get(key) ?? 0) + (deltas[i] ?? 0) / 1000);
  });
  const total = [...selfMs.values()].reduce((a, b) => a + b, 0);
  console.log(`  profile: ${Math.round(total)} ms sampled; most self time:`);
  for (const [key, ms] of [...selfMs].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
    console.log(`    ${ms.toFixed(1).padStart(7)} ms  ${key}`);
  }
}

/**
 * Records in the page, once, the time from navigation start until `count` elements match `selector`
 * and the frame that shows them is painted. A MutationObserver watches for them, so the measuring
 * adds next to nothing to the page (polling from outside, as a locator does, costs the page
 * hundreds of milliseconds of CPU at these sizes).
 */
const watchForView = (selector: string, count: number) => `
  const observer = new MutationObserver(() => {
    if (document.querySelectorAll(${JSON.stringify(selector)}).length < ${count}) return;
    observer.disconnect();
    requestAnimationFrame(() => setTimeout(() => { window.viewReadyMs = performance.now(); }));
  });
  observer.observe(document, { childList: true, subtree: true });`;

/** Milliseconds from navigation until `count` elements match `selector` and are painted, over RUNS fresh contexts. */
async function timeView(browser: Browser, baseURL: string, url: string, selector: string, count: number) {
  const times: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const page = await signedInPage(browser, baseURL);
    await page.goto('/sign-in'); // off the measured page, signed in
    await page.addInitScript({ content: watchForView(selector, count) });
    if (TRACE) traceRequests(page, Date.now());
    const profiler = PROFILE ? await startProfile(page) : undefined;
    await page.goto(url);
    // Polled from inside the page (the console's CSP forbids the eval a waitForFunction needs).
    const readyMs = await page.evaluate(async () => {
      const view = globalThis as { viewReadyMs?: number };
      while (!view.viewReadyMs) await new Promise((resolve) => setTimeout(resolve, 100));
      return view.viewReadyMs;
    });
    times.push(Math.round(readyMs));
    if (profiler) await printProfile(profiler);
    await page.context().close();
  }
  times.sort((a, b) => a - b);
  return { median_ms: percentile(times, 0.5), worst_ms: times.at(-1), runs: times };
}

console.log('building the project (server and console)');
execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
const manifest = JSON.parse(readFileSync(path.join(DIST, '.vite/manifest.json'), 'utf8')) as Record<
  string,
  ManifestChunk
>;
const bundle = {
  sign_in_kb_gzip: initialJavaScriptKb(manifest, 'src/pages/SignInPage.tsx'),
  dashboard_kb_gzip: initialJavaScriptKb(manifest, 'src/pages/DashboardPage.tsx'),
};
console.log('initial JavaScript (gzip):', bundle);

console.log(`seeding ${AIRCRAFT} aircraft and ${TASKS} tasks`);
await createScratchDatabase(DB_NAME);
await seed(benchDatabaseUrl(DB_NAME));
const server = await startServer(DB_NAME, PORT);
const browser = await launchBrowser();
try {
  const fleetBoard = await timeView(browser, server.baseUrl, '/', '[data-testid="fleet-board"] a', AIRCRAFT);
  console.log(`fleet board, ${AIRCRAFT} aircraft:`, fleetBoard);
  const timeline = await timeView(browser, server.baseUrl, '/schedule', '[data-testid="task-bar"]', TASKS);
  console.log(`timeline, ${TASKS} tasks:`, timeline);
  writeResults('console', {
    aircraft: AIRCRAFT,
    tasks: TASKS,
    runs: RUNS,
    initial_javascript: bundle,
    fleet_board: fleetBoard,
    timeline,
  });
} finally {
  await browser.close();
  await stopServer(server);
  await dropScratchDatabase(DB_NAME);
}
