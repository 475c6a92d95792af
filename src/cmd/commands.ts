/**
 * The commands' work: each opens what it needs (the database, Redis, the servers), does it and
 * closes it on a signal. Loaded by cli.ts only for a command that runs here, not by the primary
 * of several server processes (see supervisor.ts).
 */
import type { AddressInfo } from 'node:net';
import { seedDemoData, DEMO_PASSWORD, DEMO_USERS } from '../app/demo-data.js';
import { hashPassword } from '../auth/passwords.js';
import type { Config } from '../config/config.js';
import { PgUnitOfWork } from '../infra/postgres/unit-of-work.js';
import { systemActor } from '../app/actor.js';
import { isAppError } from '../app/errors.js';
import { OrganizationService } from '../app/organizations.js';
import { UserService } from '../app/users.js';
import { buildGrpc, buildServer, createContainer } from './container.js';
import { TokenIssuer } from '../auth/jwt.js';
import { NOTHING_TO_MIGRATE, runMigrate, type MigrateDirection } from './migrate.js';
import { AppRoleError, grantAppRole } from '../infra/postgres/app-role.js';
import { createWorker } from './worker.js';
import { seedDemoForStart } from '../app/demo-seed.js';
import { InProcessEventStream } from '../infra/streams/event-stream.js';
import { startMetricsServer } from './metrics-server.js';
import { buildConsoleBeside } from './console-build.js';
import { configOrExit, exitWith, loggerFor } from './command-config.js';
import {
  checkPortFree,
  connectRedis,
  jwtKeys,
  listenOn,
  openDatabase,
  requireMigratedDatabase,
  previousJwtKeys,
} from './runtime.js';
import { onShutdown } from './shutdown.js';

/** `amss server`, one process of it (cli.ts has read `config`). */
export async function serve(config: Config): Promise<void> {
  const logger = loggerFor(config, 'server');
  const database = await openDatabase(config, logger, { allowEmbedded: false, role: 'server' });
  await requireMigratedDatabase(database);
  const redis = connectRedis(config, logger);
  const container = createContainer({
    config,
    logger,
    database,
    redis,
    keys: await jwtKeys(config, logger),
    previousKeys: await previousJwtKeys(config),
  });
  const app = await buildServer(container);
  const grpc = buildGrpc(container);
  // Handle SIGTERM before announcing the listening address, so a stop right after it is graceful.
  onShutdown(logger, async () => {
    await Promise.all([app.close(), grpc.close()]);
    await container.close();
    await database.close();
    redis.disconnect();
  });
  await listenOn('GRPC_ADDR', config.grpc, () => grpc.listen(config.grpc));
  await listenOn('HTTP_ADDR', config.http, () => app.listen(config.http));
}

export async function work(): Promise<void> {
  const config = configOrExit({ usesJwtKeys: false, needsDbUrl: true });
  const logger = loggerFor(config, 'worker').child({ worker_id: config.workerId });
  const database = await openDatabase(config, logger, { allowEmbedded: false, role: 'worker' });
  await requireMigratedDatabase(database);
  const redis = connectRedis(config, logger);
  // Calls to the server's ProgramService are signed with the server's own key pair.
  const serviceTokens =
    config.programServiceAddr === undefined
      ? undefined
      : new TokenIssuer({ keys: await jwtKeys(config, logger) });
  const worker = createWorker({ config, logger, database, redis, serviceTokens });
  const metrics = config.prometheusEnabled ? await startMetricsServer(config.workerMetrics) : undefined;
  onShutdown(logger, async () => {
    metrics?.close();
    await worker.stop();
    await database.close();
    redis.disconnect();
  });
  worker.start();
  // The bound address (WORKER_METRICS_ADDR may ask for port 0), for whoever scrapes it.
  const bound = metrics?.address() as AddressInfo | undefined;
  logger.info(bound ? { metrics: `http://${bound.address}:${bound.port}/metrics` } : {}, 'worker started');
}

/**
 * Where a start's seconds go, phase by phase from the process's own start (module loading included),
 * for the log line `startup phases` and bench:start.
 */
function phaseClock() {
  const phases: Record<string, number> = {};
  let last = 0;
  return {
    phases,
    mark(name: string): void {
      const now = performance.now();
      phases[name] = Math.round(now - last);
      last = now;
    },
  };
}

export async function dev({
  inMemory,
  buildConsole,
}: {
  inMemory: boolean;
  buildConsole: boolean;
}): Promise<void> {
  const clock = phaseClock();
  clock.mark('modules');
  const config = configOrExit();
  if (config.appEnv === 'production')
    exitWith('`amss dev` is for development; run `amss server` and `amss worker`');
  const http = devAddress('HTTP_ADDR', config.http);
  const grpcAddress = devAddress('GRPC_ADDR', config.grpc);
  await checkPortFree('HTTP_ADDR', http);
  await checkPortFree('GRPC_ADDR', grpcAddress);
  // On the other core while this one opens the database; awaited before the console is served.
  const consoleBuild = buildConsole ? buildConsoleBeside() : undefined;
  const logger = loggerFor(config, 'dev');
  // Opening the database and generating dev keys both take a while; do them side by side.
  const [database, keys] = await Promise.all([
    openDatabase(config, logger, { allowEmbedded: true, inMemory, role: 'dev' }),
    jwtKeys(config, logger),
  ]);
  clock.mark('database_and_keys');
  const migrated = (await runMigrate(database, 'up')) !== NOTHING_TO_MIGRATE;
  clock.mark('migrations');
  const redis = config.redisConfigured ? connectRedis(config, logger) : undefined;
  // Without Redis, the worker publishes to a stream kept in this process, which the server reads too.
  const eventStream = redis ? undefined : new InProcessEventStream();
  const container = createContainer({
    config,
    logger,
    database,
    redis,
    keys,
    previousKeys: await previousJwtKeys(config),
    ...(eventStream ? { eventStream } : {}),
  });
  // The demo brought up to date (alerts of every level, one acknowledged and one resolved, included)
  // before the console's first look — unless a start already did today.
  const demo = await seedDemoForStart(container.uow, (plain) => hashPassword(plain, config.bcryptCost), {
    migrated,
  });
  clock.mark('demo_data');
  if (consoleBuild) {
    const built = await consoleBuild;
    if (!built.ok) {
      // The embedded database is closed first: PGlite's data directory must not be left mid-write.
      await container.close();
      await database.close();
      redis?.disconnect();
      exitWith(`building the web console failed (${built.reason}); see above`);
    }
    clock.mark('console_wait');
  }
  const app = await buildServer(container);
  const grpc = buildGrpc(container);
  const grpcPort = await listenOn('GRPC_ADDR', grpcAddress, () => grpc.listen(grpcAddress));
  await listenOn('HTTP_ADDR', http, () => app.listen(http));
  const httpPort = (app.server.address() as AddressInfo).port;
  const worker = createWorker({
    config,
    logger,
    database,
    redis,
    serviceTokens: container.tokens,
    eventStream,
  });
  worker.start();
  clock.mark('servers');
  onShutdown(logger, async () => {
    await Promise.all([app.close(), grpc.close()]);
    await worker.stop();
    await container.close();
    await database.close();
    redis?.disconnect();
  });
  stopWithParent();
  logger.info({ phases_ms: clock.phases, demo_seeded: demo.seeded }, 'startup phases');
  // Only once SIGTERM is handled: whoever waits for the banner may stop the process right away.
  printBanner(config, {
    orgId: demo.orgId,
    // From the process's start: module loading is part of what a newcomer waits for.
    readyMs: performance.now(),
    realRedis: redis !== undefined,
    http: { host: http.host, port: httpPort },
    grpc: { host: grpcAddress.host, port: grpcPort },
  });
}

/**
 * `amss dev` prints and serves the published demo password, so it listens on this machine only
 * unless HTTP_ADDR / GRPC_ADDR are set (`:8080` listens on every interface).
 */
function devAddress(
  variable: 'HTTP_ADDR' | 'GRPC_ADDR',
  configured: { host: string; port: number },
): { host: string; port: number } {
  return process.env[variable]?.trim() ? configured : { ...configured, host: '127.0.0.1' };
}

/**
 * Run by an npm script (`npm start`, or an IDE through it), the process lives as long as npm: if
 * npm is killed without passing a signal on (SIGKILL, a crash), this process is re-parented and
 * stops as on SIGTERM, instead of staying behind, listening, with the demo logins.
 */
function stopWithParent(): void {
  if (process.env.npm_lifecycle_event === undefined) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    process.kill(process.pid, 'SIGTERM');
  }, 1_000);
  timer.unref();
}

interface BannerFacts {
  orgId: string;
  readyMs: number;
  realRedis: boolean;
  /** The addresses bound (ports resolved when 0 was asked for). */
  http: { host: string; port: number };
  grpc: { host: string; port: number };
}

const EVERY_INTERFACE = new Set(['0.0.0.0', '::']);

function printBanner(config: Config, { orgId, readyMs, realRedis, http, grpc }: BannerFacts): void {
  const shown = (host: string) => (EVERY_INTERFACE.has(host) ? 'localhost' : host);
  const url = `http://${shown(http.host)}:${http.port}`;
  const grpcAt = `${shown(grpc.host)}:${grpc.port}`;
  const exposed = [http.host, grpc.host].some((host) => EVERY_INTERFACE.has(host));
  const lines = [
    '',
    `AMSS is ready in ${(readyMs / 1000).toFixed(1)} s`,
    `  console   ${url}/   (sign in with a demo login below)`,
    `  API       ${url}/api/v1   (OpenAPI ${url}/openapi.yaml, docs ${url}/docs)`,
    `  gRPC      ${grpcAt}   (amss.v1, reflection on: npx buf curl --protocol grpc --http2-prior-knowledge --list-services http://${grpcAt})`,
    exposed
      ? '  network   every interface (HTTP_ADDR/GRPC_ADDR): other machines can sign in with the demo logins below'
      : '  network   this machine only (set HTTP_ADDR=:8080 GRPC_ADDR=:9090 to listen on every interface)',
    `  database  ${config.dbUrl !== undefined ? 'PostgreSQL (DB_URL)' : `embedded PGlite`}`,
    `  redis     ${realRedis ? config.redisAddr : 'in-process stand-in (REDIS_ADDR unset)'}`,
    `  demo org  ${orgId}`,
    `  logins    password ${DEMO_PASSWORD}`,
    ...DEMO_USERS.map(
      (u) => `            ${u.email.padEnd(26)} ${u.note ? `${u.role.padEnd(13)} ${u.note}` : u.role}`,
    ),
    '',
    `  curl -s ${url}/api/v1/auth/login -H 'content-type: application/json' \\`,
    `    -d '{"email":"scheduler@demo.local","password":"${DEMO_PASSWORD}"}'`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

export async function migrate(
  sub: string | undefined,
  all: boolean,
  appRole: string | undefined,
): Promise<void> {
  const usage =
    'usage: amss migrate up [--app-role NAME] | down [--all] | status | grant-app-role --app-role NAME';
  const directions: Record<string, MigrateDirection> = {
    up: 'up',
    down: all ? 'down-all' : 'down',
    status: 'status',
  };
  const direction = sub === undefined ? undefined : directions[sub];
  const grantOnly = sub === 'grant-app-role';
  if (!direction && !grantOnly) exitWith(usage);
  if (grantOnly && appRole === undefined) exitWith(usage);
  if (appRole !== undefined && direction !== 'up' && !grantOnly) exitWith(usage);
  // Also what --app-role needs: the embedded database has a single user.
  const config = configOrExit({ usesJwtKeys: false, needsDbUrl: true });
  const logger = loggerFor(config, 'migrate');
  const database = await openDatabase(config, logger, { allowEmbedded: false, role: 'migrate' });
  try {
    if (direction) process.stdout.write(`${await runMigrate(database, direction)}\n`);
    if (appRole !== undefined) {
      const password = process.env.AMSS_APP_DB_PASSWORD;
      const done = await grantAppRole(database.db, { role: appRole, ...(password ? { password } : {}) });
      process.stdout.write(`${done.join('\n')}\n`);
    }
  } catch (error) {
    if (error instanceof AppRoleError) exitWith(error.message);
    throw error;
  } finally {
    await database.close();
  }
}

/**
 * How an operator gets the first admin of a fresh installation (seed is refused in production):
 * the organization (found by name, or created) and an admin user in it, audited as `system:cli`.
 * The password comes from the environment, never from the command line, which `ps` shows.
 */
export async function createAdmin(email: string | undefined, orgName: string | undefined): Promise<void> {
  const password = process.env.AMSS_ADMIN_PASSWORD;
  if (!email || !orgName || !password) {
    exitWith('usage: AMSS_ADMIN_PASSWORD=… amss create-admin --email admin@example.com --org "Operator"');
  }
  const config = configOrExit({ usesJwtKeys: false, needsDbUrl: true });
  const logger = loggerFor(config, 'create-admin');
  const database = await openDatabase(config, logger, { allowEmbedded: false, role: 'create-admin' });
  await requireMigratedDatabase(database);
  try {
    const uow = new PgUnitOfWork(database.db);
    const ctx = { actor: systemActor('cli') };
    // Creating makes no token stale: there is nothing to announce.
    const revocations = { announce: async () => undefined };
    const org =
      (await uow.repos.organizations.findByName(orgName)) ??
      (await new OrganizationService({ uow, revocations }).create(ctx, { name: orgName }));
    const user = await new UserService({ uow, bcryptCost: config.bcryptCost, revocations }).create(ctx, {
      orgId: org.id,
      email,
      role: 'admin',
      password,
    });
    process.stdout.write(
      `admin ${user.email} (${user.id}) created in organization ${org.name} (${org.id})\n`,
    );
  } catch (error) {
    if (isAppError(error)) exitWith(error.message);
    throw error;
  } finally {
    await database.close();
  }
}

export async function seed(): Promise<void> {
  const config = configOrExit({ usesJwtKeys: false, needsDbUrl: true });
  if (config.appEnv === 'production') exitWith('refusing to create demo data with APP_ENV=production');
  const logger = loggerFor(config, 'seed');
  const database = await openDatabase(config, logger, { allowEmbedded: false, role: 'seed' });
  await requireMigratedDatabase(database);
  try {
    const result = await seedDemoData(new PgUnitOfWork(database.db), (plain) =>
      hashPassword(plain, config.bcryptCost),
    );
    process.stdout.write(
      `demo organization ${result.orgId}: ${result.created === 0 ? 'already seeded' : `${result.created} records created`}\n`,
    );
  } finally {
    await database.close();
  }
}
