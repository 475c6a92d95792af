#!/usr/bin/env node
/**
 * The `amss` command line: reads the command and loads only what it runs (commands.ts, or the
 * supervisor of several server processes).
 */
import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/config.js';
import { configOrExit, exitWith, loggerFor, PortInUseError } from './command-config.js';

const USAGE = `Usage: amss <command>

Commands:
  server                 REST API (HTTP_ADDR) on PostgreSQL (DB_URL) and Redis (REDIS_ADDR)
  worker                 background jobs
  dev [--in-memory] [--build-console]
                         server and worker in one process; embedded PostgreSQL when DB_URL is
                         unset, in-process stand-ins when REDIS_ADDR is unset; migrates and seeds;
                         --build-console first builds the web console when it is stale (npm start)
  migrate up [--app-role NAME]
                         apply every pending migration (then grant-app-role NAME, if given)
  migrate down [--all]   revert the latest migration (or all of them)
  migrate status         list migrations and whether they are applied
  migrate grant-app-role --app-role NAME
                         create (or fix) the database role server and worker connect as: owns
                         nothing, row privileges only, no TRUNCATE, audit log append-only; its
                         password is read from AMSS_APP_DB_PASSWORD. Run as the schema owner
  seed                   create the demo organization and its users (refused in production)
  create-admin --email E --org NAME
                         create the first admin (and its organization, if no live one has
                         that name); the password is read from AMSS_ADMIN_PASSWORD

Configuration comes from the environment; see README.md.`;

/** The commands' modules: the database, servers and jobs, loaded only by a command that runs them. */
const loadCommands = () => import('./commands.js');

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'in-memory': { type: 'boolean', default: false },
      'build-console': { type: 'boolean', default: false },
      all: { type: 'boolean', default: false },
      'app-role': { type: 'string' },
      email: { type: 'string' },
      org: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, sub] = positionals;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  switch (command) {
    case 'server': {
      // The primary of several server processes only starts and watches them: it loads none of
      // the server's modules, which would hold about 140 MB in a process that serves nothing.
      const config = configOrExit({ needsDbUrl: true });
      if (cluster.isPrimary && config.serverProcesses > 1) {
        const { superviseServers } = await import('./supervisor.js');
        return superviseServers(config, loggerFor(config, 'server'));
      }
      return (await loadCommands()).serve(config);
    }
    case 'worker':
      return (await loadCommands()).work();
    case 'dev':
      return (await loadCommands()).dev({
        inMemory: values['in-memory'],
        buildConsole: values['build-console'],
      });
    case 'migrate':
      return (await loadCommands()).migrate(sub, values.all, values['app-role']);
    case 'seed':
      return (await loadCommands()).seed();
    case 'create-admin':
      return (await loadCommands()).createAdmin(values.email, values.org);
    default:
      exitWith(`unknown command "${command}"\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  // What the operator must change (a missing setting, a port in use) is said without a stack trace.
  if (error instanceof ConfigError || error instanceof PortInUseError) exitWith(error.message);
  process.stderr.write(`amss: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
