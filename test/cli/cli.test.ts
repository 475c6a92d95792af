import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { runToExit } from '../support/run.js';

const CLI = ['--import', 'tsx', 'src/cmd/cli.ts'];

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

/** Runs `amss …` to completion and returns its exit code and output; `undefined` unsets a variable. */
function amss(args: string[], env: Record<string, string | undefined> = {}) {
  return runToExit(process.execPath, [...CLI, ...args], { LOG_LEVEL: 'warn', BCRYPT_COST: '4', ...env });
}

describe('amss CLI', () => {
  it('seeds the demo organization once and changes nothing the second time', async () => {
    const first = await amss(['seed'], { DB_URL: db.url });
    expect(first.code, first.output).toBe(0);
    expect(first.output).toMatch(/\d+ records created/);
    const second = await amss(['seed'], { DB_URL: db.url });
    expect(second.output).toMatch(/already seeded/);
    const counts = await db.db
      .selectFrom('aircraft')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(counts.n).toBe(4);
    const users = await db.db.selectFrom('users').select('email').execute();
    expect(users.map((u) => u.email).sort()).toEqual([
      'admin@demo.local',
      'auditor@demo.local',
      'inspector@demo.local',
      'mechanic2@demo.local',
      'mechanic@demo.local',
      'scheduler@demo.local',
      'tenant-admin@demo.local',
    ]);
  });

  it('refuses to seed demo data in production', async () => {
    const result = await amss(['seed'], { DB_URL: db.url, APP_ENV: 'production', JWT_PRIVATE_KEY_PEM: '' });
    expect(result.code).not.toBe(0);
  });

  it('creates the first admin of a production installation, once, with the password from the environment', async () => {
    // No JWT keys: commands that never sign a token do not need them, even in production.
    const env = {
      DB_URL: db.url,
      APP_ENV: 'production',
      BCRYPT_COST: '10',
      AMSS_ADMIN_PASSWORD: 'First-Admin-Pass-2026',
    };
    const first = await amss(['create-admin', '--email', 'Ops@Example.com', '--org', 'Operator'], env);
    expect(first.code, first.output).toBe(0);
    expect(first.output).toMatch(/admin ops@example.com \(.+\) created in organization Operator/i);

    const again = await amss(['create-admin', '--email', 'ops@example.com', '--org', 'Operator'], env);
    expect(again.code).not.toBe(0);
    expect(again.output).toMatch(/email/i);

    const admins = await db.db
      .selectFrom('users')
      .innerJoin('organizations', 'organizations.id', 'users.org_id')
      .select(['users.role', 'organizations.name'])
      .where('users.email', '=', 'ops@example.com')
      .execute();
    expect(admins).toEqual([{ role: 'admin', name: 'Operator' }]);
    const audit = await db.db
      .selectFrom('audit_logs')
      .select('actor')
      .where('entity_type', '=', 'user')
      .execute();
    expect(audit.map((row) => row.actor)).toContain('system:cli');
    expect(
      (await amss(['migrate', 'status'], { DB_URL: db.url, APP_ENV: 'production', BCRYPT_COST: '10' })).code,
    ).toBe(0);
  }, 60_000);

  it('refuses create-admin without a password in the environment', async () => {
    const result = await amss(['create-admin', '--email', 'x@example.com', '--org', 'X'], { DB_URL: db.url });
    expect(result.code).toBe(2);
    expect(result.output).toContain('AMSS_ADMIN_PASSWORD');
  });

  it('lists every configuration problem at once and exits', async () => {
    const result = await amss(['server'], { HTTP_ADDR: 'nowhere', ACCESS_TOKEN_TTL: 'soon', DB_URL: db.url });
    expect(result.code).toBe(2);
    expect(result.output).toContain('HTTP_ADDR');
    expect(result.output).toContain('ACCESS_TOKEN_TTL');
  });

  it('shows the migration status', async () => {
    const result = await amss(['migrate', 'status'], { DB_URL: db.url });
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/applied .* 00001_extensions_and_enums/);
  });

  it('migrates and creates the application role with a hashed password, idempotently', async () => {
    const role = `amss_app_cli_${Math.random().toString(36).slice(2, 8)}`;
    const env = { DB_URL: db.url, AMSS_APP_DB_PASSWORD: 'app-secret-1' };
    try {
      const first = await amss(['migrate', 'up', '--app-role', role], env);
      expect(first.code, first.output).toBe(0);
      expect(first.output).toContain(`created role ${role}`);
      const again = await amss(['migrate', 'grant-app-role', '--app-role', role], env);
      expect(again.code, again.output).toBe(0);
      expect(again.output).not.toContain('created role');
      const stored = await sql<{ rolpassword: string; rolsuper: boolean }>`
        SELECT rolpassword, rolsuper FROM pg_authid WHERE rolname = ${role}`.execute(db.db);
      expect(stored.rows[0]!.rolsuper).toBe(false);
      expect(stored.rows[0]!.rolpassword).toMatch(/^SCRAM-SHA-256\$4096:/);
      expect(again.output).not.toContain('app-secret-1');
    } finally {
      await sql`DROP OWNED BY ${sql.id(role)}`.execute(db.db);
      await sql`DROP ROLE ${sql.id(role)}`.execute(db.db);
    }
  });

  it('refuses to run server, worker, seed or create-admin on a database a migration behind, naming the command that fixes it', async () => {
    // The database as an older release left it: the newest migration not applied yet.
    const newest = await db.db
      .selectFrom('amss_migrations' as never)
      .select(['name' as never, 'timestamp' as never])
      .orderBy('name' as never, 'desc')
      .executeTakeFirstOrThrow();
    const { name, timestamp } = newest as { name: string; timestamp: string };
    await sql`DELETE FROM amss_migrations WHERE name = ${name}`.execute(db.db);
    try {
      const env = {
        DB_URL: db.url,
        AMSS_ADMIN_PASSWORD: 'Admin-Password-2026',
        HTTP_ADDR: '127.0.0.1:0',
        GRPC_ADDR: '127.0.0.1:0',
      };
      const commands = [
        ['server'],
        ['worker'],
        ['seed'],
        ['create-admin', '--email', 'a@example.com', '--org', 'X'],
      ];
      const results = await Promise.all(commands.map((args) => amss(args, env)));
      for (const [i, result] of results.entries()) {
        expect(result.code, `${commands[i]![0]}: ${result.output}`).toBe(2);
        expect(result.output).toContain(
          `lacks 1 of this build's migrations (the first: ${name}): run \`amss migrate up\``,
        );
        expect(result.output).not.toMatch(/\n\s+at /);
      }
      expect(
        await db.db.selectFrom('users').select('email').where('email', '=', 'a@example.com').execute(),
      ).toEqual([]);
    } finally {
      await sql`INSERT INTO amss_migrations (name, timestamp) VALUES (${name}, ${timestamp})`.execute(db.db);
    }
  }, 60_000);

  it('refuses to make the migrating owner the application role', async () => {
    const result = await amss(['migrate', 'grant-app-role', '--app-role', 'postgres'], { DB_URL: db.url });
    expect(result.code).toBe(2);
    expect(result.output).toContain('must not be the owner');
  });

  it('serves requests and shuts down cleanly on SIGTERM', async () => {
    const server: ChildProcess = spawn(process.execPath, [...CLI, 'server'], {
      env: { ...process.env, DB_URL: db.url, HTTP_ADDR: '127.0.0.1:0', LOG_LEVEL: 'info', APP_ENV: 'test' },
    });
    let logs = '';
    const url = await new Promise<string>((resolve, reject) => {
      server.stdout!.on('data', (chunk: Buffer) => {
        logs += chunk.toString();
        const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(logs);
        if (match) resolve(match[1]!);
      });
      server.once('exit', () => reject(new Error(`server exited early:\n${logs}`)));
    });
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    server.kill('SIGTERM');
    const [code] = (await once(server, 'exit')) as [number];
    expect(code).toBe(0);
    expect(logs).toContain('shutting down');
  });

  it('refuses every command but dev without DB_URL: the problem listed, status 2, no stack trace', async () => {
    const env = { DB_URL: undefined, AMSS_ADMIN_PASSWORD: 'First-Admin-Pass-2026' };
    const commands = [
      ['server'],
      ['worker'],
      ['migrate', 'up'],
      ['seed'],
      ['create-admin', '--email', 'a@example.com', '--org', 'X'],
    ];
    const results = await Promise.all(commands.map((args) => amss(args, env)));
    for (const [i, result] of results.entries()) {
      expect(result.code, `${commands[i]![0]}: ${result.output}`).toBe(2);
      expect(result.output).toContain('DB_URL is required');
      expect(result.output).not.toMatch(/\n\s+at /);
    }
  }, 60_000);

  it('names the variable to set when a port is taken, instead of a bind error stack trace', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const port = (taken.address() as AddressInfo).port;
    try {
      const runs = ['GRPC_ADDR', 'HTTP_ADDR'].flatMap((variable) =>
        ['server', 'dev'].map(async (command) => {
          const env = { DB_URL: db.url, HTTP_ADDR: '127.0.0.1:0', GRPC_ADDR: '127.0.0.1:0' };
          const result = await amss([command], { ...env, [variable]: `127.0.0.1:${port}` });
          return { variable, ...result };
        }),
      );
      for (const { variable, code, output } of await Promise.all(runs)) {
        expect(code, output).toBe(2);
        expect(output).toContain(`port ${port} is in use`);
        expect(output).toContain(`set ${variable}`);
        expect(output).not.toMatch(/\n\s+at /);
      }
    } finally {
      taken.close();
    }
  }, 60_000);
});
