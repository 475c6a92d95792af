/**
 * The second floor of `bench:tasks`: the same SQL as AMSS's task create and detail read, behind a bare Fastify +
 * node-postgres route — no authentication, rate limit, validation, audit building or event building; what any Node
 * service pays for HTTP, JSON and a driver. Started by bench/tasks.ts as its own process (so its CPU is measured
 * apart), never by the product.
 *
 *   BARE_DB_URL=… BARE_PORT=18091 BARE_ORG_ID=… BARE_USER_ID=… node --import tsx bench/bare-route.ts
 */
import Fastify from 'fastify';
import pg from 'pg';
import { CREATE_STATEMENTS, DETAIL_STATEMENT, positional } from './task-statements.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const org = env('BARE_ORG_ID');
const user = env('BARE_USER_ID');
const pool = new pg.Pool({
  connectionString: env('BARE_DB_URL'),
  max: Number(process.env.BARE_POOL_MAX ?? 64),
});

/** A named prepared statement, as pgbench -M prepared and AMSS's driver reuse plans. */
function prepared(name: string, statement: string) {
  const { text, names } = positional(statement);
  return (vars: Record<string, string>): pg.QueryConfig => ({
    name,
    text,
    values: names.map((n) => vars[n]),
  });
}

const createSteps = CREATE_STATEMENTS.map((statement, i) => prepared(`create${i}`, statement));
const detail = prepared('detail', DETAIL_STATEMENT);

const app = Fastify({ logger: false });

app.post('/api/v1/maintenance-tasks', async (request, reply) => {
  const body = request.body as { aircraft_id: string; start_time: string; end_time: string };
  const vars: Record<string, string> = { org, user, ...body };
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    let task: Record<string, unknown> = {};
    for (const step of createSteps) {
      const { rows } = await client.query<Record<string, unknown>>(step(vars));
      if (rows[0]?.task_id) {
        task = rows[0];
        vars.task_id = String(task.task_id);
      }
    }
    await client.query('COMMIT');
    const { task_id: _id, ...row } = task;
    return await reply.code(201).send(row);
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
});

app.get('/api/v1/maintenance-tasks/:id', async (request, reply) => {
  const { id } = request.params as { id: string };
  const { rows } = await pool.query(detail({ org, task_id: id }));
  const row = rows[0] as Record<string, unknown> | undefined;
  if (!row) return reply.code(404).send({ error: 'not found' });
  const { reservations, compliance, ...task } = row;
  return { task, reservations, compliance };
});

await app.listen({ host: '127.0.0.1', port: Number(env('BARE_PORT')) });
console.log('bare route ready');

// Exit on the bench's SIGTERM instead of being killed by it, so `--cpu-prof` in BENCH_BARE_NODE_ARGS writes its profile.
process.once('SIGTERM', () => {
  void app
    .close()
    .then(() => pool.end())
    .then(() => process.exit(0));
});
