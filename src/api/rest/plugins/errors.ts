import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import FindMyWay from 'find-my-way';
import type { ConsoleFallback } from '../console.js';
import { AppError, type ErrorKind, type FieldProblem } from '../../../app/errors.js';
import { requestIdFrom } from './request-id.js';

/** The one table from error kind to HTTP status. */
export const HTTP_STATUS: Record<ErrorKind, number> = {
  auth: 401,
  forbidden: 403,
  validation: 400,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

/** One detail per offending field, named like `body.email` or `params.id`. */
function fieldProblems(context: string | undefined, issues: ValidationIssue[]): FieldProblem[] {
  const field = (path: string[]) => [context ?? 'body', ...path].join('.');
  return issues.flatMap((issue): FieldProblem[] => {
    const params = issue.params ?? {};
    const path = (issue.instancePath ?? '').split('/').filter(Boolean);
    switch (issue.keyword) {
      // TypeBox reports an unknown field twice; the additionalProperties entry names it.
      case 'boolean':
        return [];
      case 'additionalProperties':
        return [(params.additionalProperties as string[] | string | undefined) ?? []]
          .flat()
          .map((name) => ({ field: field([...path, name]), message: 'is not a known field' }));
      case 'required':
        return [(params.requiredProperties ?? params.missingProperty ?? []) as string[] | string]
          .flat()
          .map((name) => ({ field: field([...path, name]), message: 'is required' }));
      case 'format':
        return [
          {
            field: field(path),
            message: params.format === 'uuid' ? 'must be a UUID' : (issue.message ?? 'is invalid'),
          },
        ];
      default:
        return [{ field: field(path), message: issue.message ?? 'is invalid' }];
    }
  });
}

/** Fastify's own errors that are the client's fault, by code. */
const CLIENT_ERRORS: Record<string, { status: number; kind: ErrorKind; reason: string; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: {
    status: 400,
    kind: 'validation',
    reason: 'MALFORMED_JSON',
    message: 'the request body is not valid JSON',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    kind: 'validation',
    reason: 'MALFORMED_JSON',
    message: 'the request body is empty but the content type is JSON',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    kind: 'validation',
    reason: 'BODY_TOO_LARGE',
    message: 'the request body is larger than the server accepts',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    kind: 'validation',
    reason: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'the request body must be application/json',
  },
  // @fastify/multipart's (the CSV upload); busboy's own parse errors are mapped by that route.
  FST_PROTO_VIOLATION: {
    status: 400,
    kind: 'validation',
    reason: 'MALFORMED_MULTIPART',
    message: 'a multipart field name is not allowed',
  },
  FST_MP_PREMATURE_CLOSE: {
    status: 400,
    kind: 'validation',
    reason: 'MALFORMED_MULTIPART',
    message: 'the request ended before the multipart body was complete',
  },
  FST_INVALID_MULTIPART_CONTENT_TYPE: {
    status: 415,
    kind: 'validation',
    reason: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'the request body must be multipart/form-data',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    kind: 'validation',
    reason: 'INVALID_CONTENT_LENGTH',
    message: 'the Content-Length header does not match the body',
  },
};

/** What an error answer says, before it becomes the envelope. */
interface ErrorBody {
  kind: ErrorKind;
  reason: string;
  message: string;
  details?: FieldProblem[] | undefined;
}

/** The DESIGN.md envelope: `{error, code, reason, request_id, details?}`. */
const envelope = (requestId: string, body: ErrorBody) => ({
  error: body.message,
  code: body.kind,
  reason: body.reason,
  request_id: requestId,
  ...(body.details && body.details.length > 0 ? { details: body.details } : {}),
});

export function sendError(
  reply: FastifyReply,
  request: FastifyRequest,
  status: number,
  body: ErrorBody,
): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(envelope(request.id, body));
}

/** Node's HTTP parser errors, by code; anything else the parser refuses is a 400. */
const PARSER_ERRORS: Record<string, { status: number; reason: string; message: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    reason: 'HEADERS_TOO_LARGE',
    message: 'the request line and headers are larger than the server accepts (16 KiB)',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    reason: 'REQUEST_TIMEOUT',
    message: 'the request was not received in time',
  },
};

/** The caller's X-Request-Id when the raw bytes the parser refused still hold a sane one. */
function requestIdOfRawPacket(raw: unknown): string {
  const match = Buffer.isBuffer(raw)
    ? /\r\nx-request-id:[ \t]*([^\r\n]*)/i.exec(raw.toString('latin1'))
    : null;
  return requestIdFrom(match?.[1]?.trim());
}

/**
 * Fastify's `clientErrorHandler`: errors of Node's HTTP parser (431 headers too large, 408, a
 * malformed request line or header) happen before there is a request, so Fastify's own handler
 * would write its default body. This writes the envelope with an `X-Request-Id` instead, and
 * closes the connection, whose stream can no longer be trusted.
 */
export function answerClientError(
  this: FastifyInstance,
  error: Error & { code?: string; reason?: string; rawPacket?: unknown },
  socket: Duplex,
): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const known = error.code ? PARSER_ERRORS[error.code] : undefined;
  const status = known?.status ?? 400;
  const requestId = requestIdOfRawPacket(error.rawPacket);
  const body = JSON.stringify(
    envelope(requestId, {
      kind: 'validation',
      reason: known?.reason ?? 'MALFORMED_REQUEST',
      message:
        known?.message ?? `the request is not valid HTTP (${error.reason ?? error.code ?? error.message})`,
    }),
  );
  this.log.debug(
    { err: error, request_id: requestId, status },
    'refused a request the HTTP parser could not read',
  );
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${requestId}\r\n` +
      `Connection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}

/**
 * Every failure answers with the envelope of DESIGN.md: AppErrors with their kind, schema
 * violations as 400 with one detail per field, Fastify's parsing errors as 4xx, unknown
 * paths 404, known paths with the wrong method 405 (with `Allow`), requests arriving while the
 * server shuts down 503. Only real bugs are 500, and their text never reaches the client.
 * (Errors of Node's HTTP parser come before any request: see `answerClientError`.)
 */
export function registerErrorHandling(
  app: FastifyInstance,
  translateError: (error: unknown) => unknown = (error) => error,
  consoleFallback?: ConsoleFallback,
): void {
  // Bodies are JSON only. Fastify's built-in text/plain parser would hand a string to the schema
  // (a confusing 400 "body must be object"); without it text/plain is a 415 like any other type.
  app.removeContentTypeParser('text/plain');
  const knownRoutes = FindMyWay({ ignoreTrailingSlash: true });
  const allowedMethods = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      if (!allowedMethods.has(route.url)) {
        allowedMethods.set(route.url, new Set());
        knownRoutes.on('GET', route.url, () => undefined, { url: route.url });
      }
      allowedMethods.get(route.url)!.add(method);
    }
  });

  // A request that arrives on a kept-alive connection while the server shuts down is refused
  // with a 503 in the envelope (Fastify's own return503OnClosing writes its default body).
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', (_request, _reply, done) => {
    if (!closing) {
      done();
      return;
    }
    done(
      new AppError(
        'unavailable',
        'SERVER_CLOSING',
        'the server is shutting down; retry the request',
        undefined,
        { 'Retry-After': '1', Connection: 'close' },
      ),
    );
  });

  app.setNotFoundHandler(async (request, reply) => {
    // What no route matched may be a page of the web console (a GET of a console path).
    if (consoleFallback && (await consoleFallback(request, reply))) return reply;
    const path = request.url.split('?')[0] ?? request.url;
    const match = knownRoutes.find('GET', path);
    const url = (match?.store as { url?: string } | undefined)?.url;
    if (url !== undefined) {
      const methods = [...(allowedMethods.get(url) ?? [])].sort();
      void reply.header('Allow', methods.join(', '));
      return sendError(reply, request, 405, {
        kind: 'validation',
        reason: 'METHOD_NOT_ALLOWED',
        message: `${request.method} is not allowed on ${path}; allowed: ${methods.join(', ')}`,
      });
    }
    return sendError(reply, request, 404, {
      kind: 'not_found',
      reason: 'ROUTE_NOT_FOUND',
      message: `no route ${request.method} ${path}`,
    });
  });

  app.setErrorHandler((raw: FastifyError | AppError, request, reply) => {
    const error = translateError(raw) as FastifyError | AppError;
    if (error instanceof AppError) {
      for (const [name, value] of Object.entries(error.headers ?? {})) void reply.header(name, value);
      return sendError(reply, request, HTTP_STATUS[error.kind], {
        kind: error.kind,
        reason: error.reason,
        message: error.message,
        details: error.details,
      });
    }
    if (error.validation) {
      const details = fieldProblems(error.validationContext, error.validation);
      return sendError(reply, request, 400, {
        kind: 'validation',
        reason: 'VALIDATION_FAILED',
        message: `invalid request: ${details.map((d) => `${d.field} ${d.message}`).join('; ')}`,
        details,
      });
    }
    const known = error.code ? CLIENT_ERRORS[error.code] : undefined;
    if (known) return sendError(reply, request, known.status, known);
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return sendError(reply, request, error.statusCode, {
        kind: 'validation',
        reason: error.code ?? 'BAD_REQUEST',
        message: error.message,
      });
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, request, 500, {
      kind: 'internal',
      reason: 'INTERNAL',
      message: 'internal error; the request id identifies it in the server logs',
    });
  });
}
