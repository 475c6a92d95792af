/**
 * Program generator: one run over A aircraft × P programs, all due (goal: 10k × 5 in < 5 s).
 *
 *   npx tsx bench/program-generator.ts              # 10 000 aircraft × 5 programs
 *   npx tsx bench/program-generator.ts 2000 3       # any aircraft count and programs per aircraft
 *   npx tsx bench/program-generator.ts 10000 5 1    # … and batches in flight (default 2)
 *
 * Creates a scratch database on AMSS_BENCH_DB_URL (default: the test server), migrates it, seeds
 * one organization with the aircraft and never-performed calendar programs (all due at once, the
 * worst case: every program becomes a task, an audit row and two outbox events, and the programs
 * of one aircraft are placed one after another), runs the generator as the worker does and prints
 * the time and tasks/s. A second run (nothing due any more) shows the cost of an idle pass. Then
 * the SQL floor (see writeTasksInSql) on a second organization with the same fleet, and
 * bench/results/program-generator.json. The scratch database is dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { systemActor } from '../src/app/actor.js';
import { ProgramGenerationService } from '../src/app/program-generation.js';
import { connectPostgres } from '../src/infra/postgres/database.js';
import { migrateToLatest } from '../src/infra/postgres/migrator.js';
import { PgUnitOfWork } from '../src/infra/postgres/unit-of-work.js';
import { adminQuery as admin, BENCH_ADMIN_URL, peakRssMb, settleDatabase, writeResults } from './support.js';

const aircraftCount = Number(process.argv[2] ?? 10_000);
const programsPerAircraft = Number(process.argv[3] ?? 5);
/** Batches in flight (default: the service's own). */
const concurrency = process.argv[4] === undefined ? undefined : Number(process.argv[4]);

const name = `amss_bench_generator_${randomBytes(4).toString('hex')}`;
/**
 * The floor: what the generator writes for every task — the task, its audit row, its
 * `task_created` and `program_task_generated` events — by PostgreSQL alone, 1 000 aircraft per
 * statement and one program per aircraft at a time (as the generator's rounds go), on as many
 * connections as the generator runs batches. No generator can beat it on this machine and schema.
 */
async function writeTasksInSql(orgId: string, connections: number): Promise<number> {
  const chunk = 1_000;
  const started = performance.now();
  for (let k = 1; k <= programsPerAircraft; k += 1) {
    const chunks = Array.from({ length: Math.ceil(aircraftCount / chunk) }, (_, i) => i * chunk + 1);
    await Promise.all(
      Array.from({ length: connections }, async (_, lane) => {
        for (let i = lane; i < chunks.length; i += connections) {
          const first = chunks[i]!;
          await sql`
            WITH created AS (
              INSERT INTO maintenance_tasks (org_id, aircraft_id, program_id, type, start_time, end_time)
              SELECT p.org_id, p.aircraft_id, p.id, p.task_type,
                     now() + make_interval(hours => 3 * ${k}::int), now() + make_interval(hours => 3 * ${k}::int + 2)
                FROM bench_floor_aircraft f
                JOIN maintenance_programs p ON p.org_id = ${orgId} AND p.aircraft_id = f.id AND p.name = ${`Check ${k}`}
               WHERE f.n BETWEEN ${first} AND ${first + chunk - 1}
              RETURNING *
            ), audit AS (
              INSERT INTO audit_logs (org_id, actor, entity_type, entity_id, action, details)
              SELECT org_id, 'system:program-generator', 'maintenance_task', id, 'create',
                     jsonb_build_object('after', to_jsonb(created), 'generated', jsonb_build_object('program_id', program_id))
                FROM created
            )
            INSERT INTO outbox_events (org_id, aggregate_type, aggregate_id, event_type, payload, dedupe_key)
            SELECT c.org_id, e.aggregate_type, CASE e.aggregate_type WHEN 'maintenance_task' THEN c.id ELSE c.program_id END,
                   e.event_type, jsonb_build_object('data', to_jsonb(c)), e.event_type || ':' || c.id
              FROM created c
             CROSS JOIN (VALUES ('maintenance_task', 'task_created'),
                                ('maintenance_program', 'program_task_generated')) AS e(aggregate_type, event_type)`.execute(
            handle.db,
          );
        }
      }),
    );
  }
  return (performance.now() - started) / 1000;
}

/** An organization with the benchmark's fleet: every aircraft with its never-performed calendar programs. */
async function seedFleet(name: string): Promise<string> {
  const { rows } = await sql<{ id: string }>`
    INSERT INTO organizations (name) VALUES (${name}) RETURNING id`.execute(handle.db);
  const orgId = rows[0]!.id;
  await sql`INSERT INTO org_policies (org_id) VALUES (${orgId})`.execute(handle.db);
  await sql`
    INSERT INTO aircraft (org_id, tail_number, model)
    SELECT ${orgId}, 'N' || n, 'A320' FROM generate_series(1, ${aircraftCount}) n`.execute(handle.db);
  await sql`
    INSERT INTO maintenance_programs (org_id, aircraft_id, name, interval_type, interval_value, task_duration_minutes)
    SELECT a.org_id, a.id, 'Check ' || k, 'calendar', 30 * k, 120
      FROM aircraft a CROSS JOIN generate_series(1, ${programsPerAircraft}) k
     WHERE a.org_id = ${orgId}`.execute(handle.db);
  return orgId;
}

await admin(`CREATE DATABASE "${name}"`);
const url = new URL(BENCH_ADMIN_URL);
url.pathname = `/${name}`;
// As the worker connects: no prepared statements (see openDatabase in src/cmd/runtime.ts).
const handle = connectPostgres(url.toString(), {
  max: 4,
  applicationName: 'amss-bench',
  preparedStatements: false,
});
try {
  await migrateToLatest(handle.db);
  await seedFleet('Bench Airline');
  await settleDatabase(handle.db);

  const service = new ProgramGenerationService({
    uow: new PgUnitOfWork(handle.db),
    ...(concurrency === undefined ? {} : { concurrency }),
  });
  const actor = systemActor('program-generator');
  const started = performance.now();
  // As the worker's job runs it: counting the tasks, not listing them.
  const { counts } = await service.generateDue({ now: new Date(), actor, summaryOnly: true });
  const generated = counts.generated;
  const seconds = (performance.now() - started) / 1000;
  const idleStarted = performance.now();
  await service.generateDue({ now: new Date(), actor });
  const idle = (performance.now() - idleStarted) / 1000;
  // The generator runs in this process, as in the worker: its peak is the worker's for such a run.
  const peakMb = peakRssMb('self');
  console.log(
    `${aircraftCount} aircraft × ${programsPerAircraft} programs: generated ${generated} tasks in ${seconds.toFixed(2)} s ` +
      `(${Math.round(generated / seconds)} tasks/s); idle run ${idle.toFixed(2)} s; peak RSS ${peakMb} MB`,
  );
  // The floor's own organization, with the same fleet and programs (made after the generator's
  // runs, which would otherwise take it up too).
  const floorOrgId = await seedFleet('Bench floor');
  await sql`
    CREATE TABLE bench_floor_aircraft AS
    SELECT id, row_number() OVER (ORDER BY id) AS n FROM aircraft WHERE org_id = ${floorOrgId}`.execute(
    handle.db,
  );
  await settleDatabase(handle.db);
  const floorSeconds = await writeTasksInSql(floorOrgId, concurrency ?? 2);
  const floorTasks = aircraftCount * programsPerAircraft;
  console.log(
    `SQL floor (the same rows in set-based SQL alone): ${floorTasks} tasks in ${floorSeconds.toFixed(2)} s ` +
      `(${Math.round(floorTasks / floorSeconds)} tasks/s); the generator takes ${(seconds / floorSeconds).toFixed(1)}× as long`,
  );
  writeResults('program-generator', {
    aircraft: aircraftCount,
    programs_per_aircraft: programsPerAircraft,
    generator: {
      tasks: generated,
      seconds,
      tasks_per_second: Math.round(generated / seconds),
    },
    idle_run_seconds: idle,
    peak_rss_mb: peakMb,
    sql_floor: {
      tasks: floorTasks,
      seconds: floorSeconds,
      tasks_per_second: Math.round(floorTasks / floorSeconds),
    },
  });
} finally {
  await handle.close();
  await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}
