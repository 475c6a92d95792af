import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** A client's request id is kept when it is short and plain; anything else is replaced. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's request id when it is sane, else a new UUID (REST headers and gRPC metadata alike). */
export const requestIdFrom = (value: string | undefined): string =>
  value !== undefined && SANE_REQUEST_ID.test(value) ? value : randomUUID();

/** Fastify `genReqId`: reuse the caller's `X-Request-Id` when sane, else a new UUID. */
export function requestIdFor(request: IncomingMessage): string {
  const header = request.headers['x-request-id'];
  return requestIdFrom(Array.isArray(header) ? header[0] : header);
}
