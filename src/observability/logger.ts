import { isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config/config.js';

export type { Logger };

/** The ids of the active trace span, so a log line leads to its trace (nothing when tracing is off). */
function traceFields(): Record<string, string> {
  const context = trace.getActiveSpan()?.spanContext();
  return context && isSpanContextValid(context) ? { trace_id: context.traceId, span_id: context.spanId } : {};
}

/**
 * JSON logs on stdout, with `trace_id`/`span_id` while a span is active. Secrets never reach
 * them: authorization headers, cookies, passwords and tokens are redacted wherever they appear.
 */
export function createLogger(
  level: LogLevel,
  bindings: Record<string, unknown> = {},
  /** Where the lines go instead of stdout (a test reading them). */
  destination?: pino.DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'amss', ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: traceFields,
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
  };
  return destination ? pino(options, destination) : pino(options);
}
