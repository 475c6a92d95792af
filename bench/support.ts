/** What the benchmarks share: scratch databases on the bench server and process memory readings. */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import pg from 'pg';

/** The PostgreSQL server the benchmarks use (trust auth; the user may create databases). */
export const BENCH_ADMIN_URL = process.env.AMSS_BENCH_DB_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** The Redis the benchmarks use. */
export const BENCH_REDIS_ADDR = process.env.AMSS_BENCH_REDIS_ADDR ?? '127.0.0.1:6379';

/** The connection string of another database on the bench server. */
export function benchDatabaseUrl(name: string): string {
  const url = new URL(BENCH_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs one statement as the server's admin user (creating and dropping databases). */
export async function adminQuery(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: BENCH_ADMIN_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** A fresh, empty scratch database (dropped first if a previous run left it). */
export async function createScratchDatabase(name: string): Promise<string> {
  await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${name}`);
  return benchDatabaseUrl(name);
}

export const dropScratchDatabase = (name: string) =>
  adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);

/** Peak resident memory (VmHWM) of a running child process (or of this one), in MB. */
export function peakRssMb(child: ChildProcess | 'self'): number {
  const status = readFileSync(`/proc/${child === 'self' ? 'self' : child.pid}/status`, 'utf8');
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

/** Writes a benchmark's figures to bench/results/<name>.json, stamped with the time they were measured. */
export function writeResults(name: string, figures: Record<string, unknown>): void {
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    `bench/results/${name}.json`,
    `${JSON.stringify({ measured_at: new Date().toISOString(), ...figures }, null, 2)}\n`,
  );
}
