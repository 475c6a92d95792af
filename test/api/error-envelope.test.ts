import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../support/app.js';

let t: TestApp;
let admin: string;
let mechanic: string;

beforeAll(async () => {
  t = await createTestApp();
  const org = await t.createOrg();
  admin = await t.tokenFor(await t.createUser(org.id, 'admin'));
  mechanic = await t.tokenFor(await t.createUser(org.id, 'mechanic'));
});
afterAll(async () => {
  await t.close();
});

/** Row counts of everything a request could change; each bad request must leave them alone. */
const TABLES = [
  'organizations',
  'users',
  'audit_logs',
  'outbox_events',
  'refresh_tokens',
  'idempotency_keys',
];
const rowCounts = async () => {
  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(t.db.db);
    counts[table] = Number(rows[0]!.n);
  }
  return counts;
};
let before: Record<string, number>;
beforeEach(async () => {
  before = await rowCounts();
});
afterEach(async () => {
  expect(await rowCounts()).toEqual(before);
});

type Detail = { field: string; message: string };
const anyText: unknown = expect.any(String);
const machineReason: unknown = expect.stringMatching(/^[A-Z][A-Z_]+$/);
const detailList: unknown = expect.arrayContaining([{ field: anyText, message: anyText }]);

/** Asserts the DESIGN.md envelope and nothing more: no stack, no framework fields. */
function envelope(response: LightMyRequestResponse, status: number, code: string, reason?: string) {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body = response.json<{ details?: Detail[] }>();
  expect(body).toEqual({
    error: anyText,
    code,
    reason: reason ?? machineReason,
    request_id: response.headers['x-request-id'],
    ...(body.details === undefined ? {} : { details: detailList }),
  });
  expect(response.body).not.toMatch(/\n\s+at |node_modules|\.[jt]s:\d+|stack/i);
  return body;
}

const send = (options: InjectOptions) => t.app.inject(options);
const fields = (body: { details?: Detail[] }) => (body.details ?? []).map((d) => d.field);

describe('bad request bodies', () => {
  it('answers malformed JSON with 400 MALFORMED_JSON, echoing the caller’s request id', async () => {
    const response = await send({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: '{"email":',
      headers: { 'content-type': 'application/json', 'x-request-id': 'envelope-check-1' },
    });
    envelope(response, 400, 'validation', 'MALFORMED_JSON');
    expect(response.json()).toMatchObject({ request_id: 'envelope-check-1' });
  });

  it('answers an empty JSON body with 400 MALFORMED_JSON', async () => {
    const response = await send({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: '',
      headers: { 'content-type': 'application/json' },
    });
    envelope(response, 400, 'validation', 'MALFORMED_JSON');
  });

  it('answers a text/plain body with 415', async () => {
    const response = await send({
      method: 'POST',
      url: '/api/v1/users',
      payload: 'email=someone@example.com',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${admin}` },
    });
    envelope(response, 415, 'validation', 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('names an unknown field in exactly one detail', async () => {
    const response = await t.request(admin, 'POST', '/api/v1/users', {
      email: 'new.person@envelope.test',
      role: 'mechanic',
      password: TEST_PASSWORD,
      nickname: 'Ace',
    });
    const body = envelope(response, 400, 'validation', 'VALIDATION_FAILED');
    expect(body.details).toEqual([{ field: 'body.nickname', message: 'is not a known field' }]);
  });

  it('lists every missing required field, one detail each', async () => {
    const response = await t.request(undefined, 'POST', '/api/v1/auth/login', {});
    const body = envelope(response, 400, 'validation', 'VALIDATION_FAILED');
    expect(fields(body).sort()).toEqual(['body.email', 'body.password']);
  });

  it('names a field of the wrong type', async () => {
    const response = await t.request(undefined, 'POST', '/api/v1/auth/login', {
      email: 42,
      password: TEST_PASSWORD,
    });
    expect(fields(envelope(response, 400, 'validation'))).toEqual(['body.email']);
  });

  it('answers a body over the size limit with 413 BODY_TOO_LARGE', async () => {
    const response = await t.request(undefined, 'POST', '/api/v1/auth/login', {
      email: 'big@envelope.test',
      password: 'x'.repeat(1_100_000),
    });
    envelope(response, 413, 'validation', 'BODY_TOO_LARGE');
  });
});

describe('bad paths and queries', () => {
  it('names a malformed UUID in the path', async () => {
    const response = await t.request(admin, 'GET', '/api/v1/users/not-a-uuid');
    const body = envelope(response, 400, 'validation');
    expect(body.details).toEqual([{ field: 'params.id', message: 'must be a UUID' }]);
  });

  it.each([
    ['a malformed UUID', '?org_id=nope', 'querystring.org_id'],
    ['an unknown parameter', '?colour=blue', 'querystring.colour'],
    ['a limit over 200', '?limit=500', 'querystring.limit'],
  ])('names %s in the query', async (_what, query, field) => {
    const response = await t.request(admin, 'GET', `/api/v1/users${query}`);
    expect(fields(envelope(response, 400, 'validation'))).toEqual([field]);
  });

  it('answers a malformed or oversized URL in the envelope, with a request id', async () => {
    const malformed = await t.request(admin, 'GET', '/api/v1/users/%E0%A4%A');
    envelope(malformed, 400, 'validation', 'MALFORMED_URL');
    const tooLong = await t.request(admin, 'GET', `/api/v1/users/${'a'.repeat(300)}`);
    envelope(tooLong, 414, 'validation', 'URL_TOO_LONG');
  });

  it('answers an unknown route with 404 ROUTE_NOT_FOUND', async () => {
    envelope(await t.request(admin, 'GET', '/api/v1/hangars'), 404, 'not_found', 'ROUTE_NOT_FOUND');
  });

  it('answers a wrong method on a known path with 405 and an Allow header', async () => {
    const response = await t.request(admin, 'PUT', '/api/v1/users', {});
    envelope(response, 405, 'validation', 'METHOD_NOT_ALLOWED');
    expect(response.headers.allow).toBe('GET, POST');
  });
});

describe('who may ask', () => {
  it('answers a missing or garbage token with 401 auth', async () => {
    envelope(await t.request(undefined, 'GET', '/api/v1/users'), 401, 'auth');
    envelope(await t.request('not.a.jwt', 'GET', '/api/v1/users'), 401, 'auth', 'INVALID_TOKEN');
  });

  it('answers a role without the permission with 403 forbidden', async () => {
    const response = await t.request(mechanic, 'POST', '/api/v1/users', {
      email: 'sneaky@envelope.test',
      role: 'admin',
      password: TEST_PASSWORD,
    });
    envelope(response, 403, 'forbidden');
  });
});

/** Reads a connection to its end. */
async function readAll(socket: Socket): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** One raw HTTP answer (status line, headers, body) as a response the envelope check reads. */
function parseAnswer(text: string): LightMyRequestResponse {
  const [head = '', ...rest] = text.split('\r\n\r\n');
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers = Object.fromEntries(
    headerLines.map((line) => [
      line.slice(0, line.indexOf(':')).toLowerCase(),
      line.slice(line.indexOf(':') + 1).trim(),
    ]),
  );
  const body = rest.join('\r\n\r\n');
  return {
    statusCode: Number(statusLine.split(' ')[1]),
    headers,
    body,
    json: () => JSON.parse(body) as unknown,
  } as LightMyRequestResponse;
}

/** Sends raw bytes to a listening server and reads its answer, as curl would show it. */
async function rawRequest(port: number, bytes: string): Promise<LightMyRequestResponse> {
  const socket = connect(port, '127.0.0.1');
  socket.end(bytes);
  return parseAnswer(await readAll(socket));
}

describe('errors of the HTTP parser, before any route', () => {
  let port: number;
  beforeAll(async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as AddressInfo).port;
  });

  it('answers headers over 16 KiB with 431 in the envelope, echoing the caller’s request id', async () => {
    const response = await rawRequest(
      port,
      `GET /api/v1/users HTTP/1.1\r\nHost: amss\r\nX-Request-Id: big-headers-1\r\nX-Filler: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    envelope(response, 431, 'validation', 'HEADERS_TOO_LARGE');
    expect(response.headers['x-request-id']).toBe('big-headers-1');
  });

  it('answers a request it cannot parse (a NUL in a header) with 400 in the envelope and a new request id', async () => {
    const response = await rawRequest(
      port,
      `GET /health HTTP/1.1\r\nHost: amss\r\nUser-Agent: a\u0000b\r\n\r\n`,
    );
    envelope(response, 400, 'validation', 'MALFORMED_REQUEST');
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('a server shutting down', () => {
  it('answers a request that arrives on a kept-alive connection with 503 in the envelope', async () => {
    const closing = await createTestApp();
    await closing.app.listen({ host: '127.0.0.1', port: 0 });
    const socket = connect((closing.app.server.address() as AddressInfo).port, '127.0.0.1');
    const answers = readAll(socket);
    // A request whose body is still coming keeps its connection open through close().
    const body = JSON.stringify({ email: 'late@envelope.test', password: TEST_PASSWORD });
    const routed = new Promise((resolve) => closing.app.server.once('request', resolve));
    socket.write(
      `POST /api/v1/auth/login HTTP/1.1\r\nHost: amss\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    await routed;
    const closed = closing.close();
    await vi.waitFor(() => expect(closing.app.server.listening).toBe(false));

    // Pipelined behind it, without a FIN (a half-closed connection is dropped while closing); the
    // server closes the connection after its answer.
    socket.write(
      `${body}GET /api/v1/users HTTP/1.1\r\nHost: amss\r\nX-Request-Id: during-shutdown-1\r\n\r\n`,
    );
    const second = parseAnswer(`HTTP/1.1 ${(await answers).split('HTTP/1.1 ')[2]}`);
    await closed;

    envelope(second, 503, 'unavailable', 'SERVER_CLOSING');
    expect(second.headers['x-request-id']).toBe('during-shutdown-1');
  });
});
