import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config/config.js';

export type { Logger };

/**
 * JSON logs on stdout. Secrets never reach them: authorization headers, cookies, passwords
 * and tokens are redacted wherever they appear.
 */
export function createLogger(level: LogLevel, bindings: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { service: 'amss', ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        '*.password',
        '*.password_hash',
        '*.passwordHash',
        '*.refresh_token',
        '*.access_token',
        '*.secret',
      ],
      censor: '[redacted]',
    },
  });
}
