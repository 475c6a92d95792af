/**
 * What every command does first — read the configuration or exit saying why, and make its logger —
 * and the errors cli.ts turns into a one-line message, kept apart from the modules that open
 * databases and servers (runtime.ts), so a process that only supervises others (SERVER_PROCESSES
 * > 1) loads none of them.
 */
import { ConfigError, loadConfig, type Config } from '../config/config.js';
import { createLogger, type Logger } from '../observability/logger.js';

/** Why every command but `amss dev` refuses to run without DB_URL. */
export const DB_URL_REQUIRED =
  'DB_URL is required: set it to your PostgreSQL connection string (only `amss dev` runs on the embedded database)';

/**
 * Reads the configuration or exits with status 2 listing every problem. `needsDbUrl`: the command
 * works on a real PostgreSQL only, so a missing DB_URL is one of the problems — an operator who
 * forgot it must not migrate, seed or create an admin in a throw-away embedded database instead.
 */
export function configOrExit(
  options: { usesJwtKeys?: boolean; needsDbUrl?: boolean } = {},
  env: NodeJS.ProcessEnv = process.env,
): Config {
  const missingDbUrl = options.needsDbUrl === true && !env.DB_URL;
  try {
    const config = loadConfig(env, { usesJwtKeys: options.usesJwtKeys });
    if (missingDbUrl) exitWith(new ConfigError([DB_URL_REQUIRED]).message);
    return config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Production already lists DB_URL as missing; say it once.
    const listed = error.problems.some((problem) => problem.includes('DB_URL'));
    exitWith(
      new ConfigError([...error.problems, ...(missingDbUrl && !listed ? [DB_URL_REQUIRED] : [])]).message,
    );
  }
}

/** Ends a command that cannot run as configured: the message, no stack trace, status 2. */
export function exitWith(message: string): never {
  process.stderr.write(`amss: ${message}\n`);
  process.exit(2);
}

/** A listen address whose port another process holds, named by the variable that moves it. */
export class PortInUseError extends Error {
  constructor(variable: string, address: { host: string; port: number }) {
    super(
      `port ${address.port} is in use (${address.host}:${address.port}) — is AMSS already running? ` +
        `Stop it, or set ${variable} to another address, e.g. ${variable}=${address.host}:${address.port + 1}`,
    );
    this.name = 'PortInUseError';
  }
}

/** The command's logger, naming its process (server, worker, dev …) and environment. */
export function loggerFor(config: Config, process: string): Logger {
  return createLogger(config.logLevel, { process, env: config.appEnv });
}
