/**
 * `npm run bench:transactions`: what sending a transaction's BEGIN with its first statement saves.
 *
 * Transactions shaped like a task create's (lock a row, insert a row, commit) run through Kysely on
 * two pools side by side, alternating, on a scratch database: node-postgres's own client, and AMSS's
 * client (src/infra/postgres/pg-client.ts) with prepared statements off, so the only difference is
 * the BEGIN. For 1 and 16 connections it prints transactions per second, the client process's CPU per
 * transaction and the PostgreSQL backends' CPU per transaction, each the median of BENCH_RUNS rounds
 * (default 3), and writes bench/results/transactions.json.
 */
import { sql } from 'kysely';
import pg from 'pg';
import { fromPool, type Database } from '../src/infra/postgres/database.js';
import { amssClient } from '../src/infra/postgres/pg-client.js';
import { backendsOf, cpuMeter, createScratchDatabase, dropScratchDatabase, writeResults } from './support.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TRANSACTIONS = Number(process.env.BENCH_TRANSACTIONS ?? 6_000);
const CONNECTIONS = [1, 16];
const NAME = 'amss_bench_transactions';

interface Figures {
  txPerSecond: number;
  clientCpuMs: number;
  postgresCpuMs: number;
}

async function measure(url: string, client: typeof pg.Client, connections: number): Promise<Figures> {
  const pool = new pg.Pool({ connectionString: url, max: connections, Client: client });
  const { db } = fromPool(pool);
  try {
    // Every connection opened and warm before the clock starts.
    await Promise.all(Array.from({ length: connections }, () => sql`SELECT ${1}::int`.execute(db)));
    const postgres = cpuMeter(backendsOf(NAME));
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: connections }, async (_, worker) => {
        for (let i = worker; i < TRANSACTIONS; i += connections) await createLike(db, i);
      }),
    );
    const elapsed = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const postgresSeconds = postgres.stop();
    return {
      txPerSecond: Math.round((TRANSACTIONS / elapsed) * 1000),
      clientCpuMs: (cpu.user + cpu.system) / 1000 / TRANSACTIONS,
      postgresCpuMs: (postgresSeconds * 1000) / TRANSACTIONS,
    };
  } finally {
    await pool.end();
  }
}

/** A create's shape: lock the parent row, insert the child, commit. */
async function createLike(db: Database, i: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`SELECT id FROM parents WHERE id = ${(i % 64) + 1} FOR NO KEY UPDATE`.execute(trx);
    await sql`INSERT INTO children (parent_id, note) VALUES (${(i % 64) + 1}, ${`row ${i}`})`.execute(trx);
  });
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const url = await createScratchDatabase(NAME);
  const setup = new pg.Client({ connectionString: url });
  await setup.connect();
  await setup.query(`CREATE TABLE parents (id int PRIMARY KEY);
    INSERT INTO parents SELECT generate_series(1, 64);
    CREATE TABLE children (id bigserial PRIMARY KEY, parent_id int NOT NULL REFERENCES parents, note text)`);
  await setup.end();
  const sides = {
    'node-postgres': pg.Client,
    'AMSS (BEGIN with the first statement)': amssClient(undefined),
  };
  const results: Record<string, Record<string, Figures>> = {};
  try {
    for (const connections of CONNECTIONS) {
      const rounds: Record<string, Figures[]> = {};
      for (let run = 0; run < RUNS; run++) {
        for (const [side, client] of Object.entries(sides)) {
          (rounds[side] ??= []).push(await measure(url, client, connections));
        }
      }
      for (const [side, figures] of Object.entries(rounds)) {
        (results[`c=${connections}`] ??= {})[side] = {
          txPerSecond: median(figures.map((f) => f.txPerSecond)),
          clientCpuMs: Number(median(figures.map((f) => f.clientCpuMs)).toFixed(3)),
          postgresCpuMs: Number(median(figures.map((f) => f.postgresCpuMs)).toFixed(3)),
        };
      }
    }
  } finally {
    await dropScratchDatabase(NAME);
  }
  for (const [connections, bySide] of Object.entries(results)) {
    console.log(`\n${connections}, ${TRANSACTIONS} transactions, medians of ${RUNS} rounds`);
    console.table(bySide);
  }
  writeResults('transactions', { runs: RUNS, transactions: TRANSACTIONS, results });
}

await main();
