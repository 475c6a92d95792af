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
 * the time and tasks/s. A second run (nothing due any more) shows the cost of an idle pass. The
 * scratch database is dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { systemActor } from '../src/app/actor.js';
import { ProgramGenerationService } from '../src/app/program-generation.js';
import { connectPostgres } from '../src/infra/postgres/database.js';
import { migrateToLatest } from '../src/infra/postgres/migrator.js';
import { PgUnitOfWork } from '../src/infra/postgres/unit-of-work.js';
import { adminQuery as admin, BENCH_ADMIN_URL } from './support.js';

const aircraftCount = Number(process.argv[2] ?? 10_000);
const programsPerAircraft = Number(process.argv[3] ?? 5);
/** Batches in flight (default: the service's own). */
const concurrency = process.argv[4] === undefined ? undefined : Number(process.argv[4]);

const name = `amss_bench_generator_${randomBytes(4).toString('hex')}`;
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
  const { rows } = await sql<{ id: string }>`
    INSERT INTO organizations (name) VALUES ('Bench Airline') RETURNING id`.execute(handle.db);
  const orgId = rows[0]!.id;
  await sql`INSERT INTO org_policies (org_id) VALUES (${orgId})`.execute(handle.db);
  await sql`
    INSERT INTO aircraft (org_id, tail_number, model)
    SELECT ${orgId}, 'N' || n, 'A320' FROM generate_series(1, ${aircraftCount}) n`.execute(handle.db);
  await sql`
    INSERT INTO maintenance_programs (org_id, aircraft_id, name, interval_type, interval_value, task_duration_minutes)
    SELECT a.org_id, a.id, 'Check ' || k, 'calendar', 30 * k, 120
      FROM aircraft a CROSS JOIN generate_series(1, ${programsPerAircraft}) k`.execute(handle.db);
  await sql`ANALYZE`.execute(handle.db);

  const service = new ProgramGenerationService({
    uow: new PgUnitOfWork(handle.db),
    ...(concurrency === undefined ? {} : { concurrency }),
  });
  const actor = systemActor('program-generator');
  const started = performance.now();
  const { generated } = await service.generateDue({ now: new Date(), actor });
  const seconds = (performance.now() - started) / 1000;
  const idleStarted = performance.now();
  await service.generateDue({ now: new Date(), actor });
  const idle = (performance.now() - idleStarted) / 1000;
  console.log(
    `${aircraftCount} aircraft × ${programsPerAircraft} programs: generated ${generated.length} tasks in ${seconds.toFixed(2)} s ` +
      `(${Math.round(generated.length / seconds)} tasks/s); idle run ${idle.toFixed(2)} s`,
  );
} finally {
  await handle.close();
  await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}
