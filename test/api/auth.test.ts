import { KeyObject } from 'node:crypto';
import { decodeJwt, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenIssuer } from '../../src/auth/jwt.js';
import { createTestApp, TEST_PASSWORD, testKeys, type TestApp } from '../support/app.js';

interface Pair {
  access_token: string;
  refresh_token: string;
}

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

function login(
  app: TestApp,
  body: Record<string, unknown>,
  client: { ip?: string; forwardedFor?: string } = {},
) {
  return app.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: body,
    ...(client.ip ? { remoteAddress: client.ip } : {}),
    headers: client.forwardedFor ? { 'x-forwarded-for': client.forwardedFor } : {},
  });
}

const refresh = (refreshToken: string) =>
  t.request(undefined, 'POST', '/api/v1/auth/refresh', { refresh_token: refreshToken });

/** A fresh org with one user, signed in. */
async function signedIn(role: 'scheduler' | 'mechanic' = 'scheduler') {
  const org = await t.createOrg();
  const user = await t.createUser(org.id, role);
  const response = await login(t, { org_id: org.id, email: user.email, password: TEST_PASSWORD });
  expect(response.statusCode).toBe(200);
  return { user, pair: response.json<Pair>() };
}

describe('POST /auth/login', () => {
  it('signs in with org_id or with the email alone and hands out a Bearer token pair', async () => {
    const org = await t.createOrg();
    const user = await t.createUser(org.id, 'mechanic');
    for (const body of [{ org_id: org.id }, {}]) {
      const response = await login(t, { ...body, email: user.email, password: TEST_PASSWORD });
      expect(response.statusCode).toBe(200);
      const pair = response.json<Pair & Record<string, unknown>>();
      expect(pair).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
      expect(decodeJwt(pair.access_token)).toMatchObject({
        sub: user.id,
        org_id: org.id,
        role: 'mechanic',
        scopes: [],
        typ: 'access',
        iss: 'amss',
        aud: 'amss-api',
      });
      expect(decodeJwt(pair.refresh_token)).toMatchObject({ sub: user.id, typ: 'refresh' });
    }
  });

  it('accepts the email in any case and with surrounding spaces', async () => {
    const org = await t.createOrg();
    const user = await t.createUser(org.id, 'auditor');
    const response = await login(t, { email: ` ${user.email.toUpperCase()} `, password: TEST_PASSWORD });
    expect(response.statusCode).toBe(200);
  });

  it('asks for org_id when the same email and password exist in two organizations', async () => {
    const [first, second] = [await t.createOrg(), await t.createOrg()];
    await t.createUser(first.id, 'mechanic', 'shared.mechanic@test.local');
    const other = await t.createUser(second.id, 'scheduler', 'shared.mechanic@test.local');

    const ambiguous = await login(t, { email: 'shared.mechanic@test.local', password: TEST_PASSWORD });
    expect(ambiguous.statusCode).toBe(400);
    expect(ambiguous.json()).toMatchObject({ code: 'validation', reason: 'ORG_ID_REQUIRED' });
    // The organizations the password opened, by name, for a person to choose from.
    const choices = ambiguous.json<{ details: { org_id: string; name: string }[] }>().details;
    expect(choices.map((c) => c.org_id).sort()).toEqual([first.id, second.id].sort());
    expect(choices.map((c) => c.name).sort()).toEqual([first.name, second.name].sort());

    const chosen = await login(t, {
      org_id: second.id,
      email: 'shared.mechanic@test.local',
      password: TEST_PASSWORD,
    });
    expect(chosen.statusCode).toBe(200);
    expect(decodeJwt(chosen.json<Pair>().access_token)).toMatchObject({ sub: other.id, org_id: second.id });
  });

  it('answers a wrong password and an unknown email with identical 401 bodies', async () => {
    const org = await t.createOrg();
    const user = await t.createUser(org.id, 'mechanic');
    const wrongPassword = await login(t, { email: user.email, password: 'Wrong-Horse-42' });
    const unknownEmail = await login(t, { email: 'nobody-here@test.local', password: TEST_PASSWORD });
    const wrongOrg = await login(t, {
      org_id: (await t.createOrg()).id,
      email: user.email,
      password: TEST_PASSWORD,
    });

    const withoutRequestId = (r: typeof wrongPassword) =>
      r.body.replace(r.headers['x-request-id'] as string, '');
    for (const response of [wrongPassword, unknownEmail, wrongOrg]) {
      expect(response.statusCode).toBe(401);
      expect(withoutRequestId(response)).toBe(withoutRequestId(wrongPassword));
    }
    expect(wrongPassword.json()).toMatchObject({ code: 'auth', reason: 'INVALID_CREDENTIALS' });
  });

  it('refuses a deleted user', async () => {
    const org = await t.createOrg();
    const user = await t.createUser(org.id, 'mechanic');
    await t.container.uow.repos.users.softDelete(org.id, user.id);
    const response = await login(t, { email: user.email, password: TEST_PASSWORD });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ reason: 'INVALID_CREDENTIALS' });
  });

  it('records the time of the last login', async () => {
    const org = await t.createOrg();
    const user = await t.createUser(org.id, 'scheduler');
    expect((await t.container.uow.repos.users.findById(org.id, user.id))?.lastLogin).toBeNull();
    const before = Date.now();
    const token = await t.tokenFor(user);
    const me = await t.request(token, 'GET', '/api/v1/auth/me');
    const lastLogin = Date.parse(me.json<{ last_login: string }>().last_login);
    expect(lastLogin).toBeGreaterThanOrEqual(before - 1000);
    expect(lastLogin).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('rejects unknown fields and a malformed org_id with 400', async () => {
    const extra = await login(t, { email: 'a@test.local', password: 'x', remember_me: true });
    expect(extra.statusCode).toBe(400);
    expect(extra.json<{ details: unknown[] }>().details).toContainEqual({
      field: 'body.remember_me',
      message: 'is not a known field',
    });
    const badOrg = await login(t, { org_id: 'not-a-uuid', email: 'a@test.local', password: 'x' });
    expect(badOrg.statusCode).toBe(400);
  });
});

describe('POST /auth/refresh', () => {
  it('rotates the pair: the new tokens work and the old refresh token does not', async () => {
    const { pair } = await signedIn();
    const rotated = await refresh(pair.refresh_token);
    expect(rotated.statusCode).toBe(200);
    const next = rotated.json<Pair>();
    expect(next.refresh_token).not.toBe(pair.refresh_token);
    expect((await t.request(next.access_token, 'GET', '/api/v1/auth/me')).statusCode).toBe(200);
    expect((await refresh(pair.refresh_token)).statusCode).toBe(401);
  });

  it('revokes the whole sign-in when a spent refresh token is presented again', async () => {
    const { pair } = await signedIn();
    const second = (await refresh(pair.refresh_token)).json<Pair>();
    const third = (await refresh(second.refresh_token)).json<Pair>();

    const replay = await refresh(pair.refresh_token);
    expect(replay.statusCode).toBe(401);
    expect(replay.json()).toMatchObject({ code: 'auth', reason: 'REFRESH_TOKEN_REUSED' });
    const newest = await refresh(third.refresh_token);
    expect(newest.statusCode).toBe(401);
    expect(newest.json()).toMatchObject({ reason: 'INVALID_REFRESH_TOKEN' });
  });

  it('lets exactly one of two simultaneous refreshes with the same token succeed', async () => {
    const { pair } = await signedIn();
    const responses = await Promise.all([refresh(pair.refresh_token), refresh(pair.refresh_token)]);
    expect(responses.map((r) => r.statusCode).sort()).toEqual([200, 401]);
  });

  it('refuses a deleted user', async () => {
    const { user, pair } = await signedIn();
    await t.container.uow.repos.users.softDelete(user.orgId, user.id);
    const response = await refresh(pair.refresh_token);
    expect(response.statusCode).toBe(401);
  });

  it('gives a demoted user a token with the new role', async () => {
    const { user, pair } = await signedIn('scheduler');
    await t.container.uow.repos.users.update(user.orgId, user.id, { role: 'auditor' });
    const response = await refresh(pair.refresh_token);
    expect(response.statusCode).toBe(200);
    expect(decodeJwt(response.json<Pair>().access_token)).toMatchObject({ sub: user.id, role: 'auditor' });
  });

  it('refuses an access token, a garbage token and an empty body', async () => {
    const { pair } = await signedIn();
    for (const token of [pair.access_token, 'garbage']) {
      const response = await refresh(token);
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ reason: 'INVALID_REFRESH_TOKEN' });
    }
    expect((await t.request(undefined, 'POST', '/api/v1/auth/refresh', {})).statusCode).toBe(400);
  });
});

describe('POST /auth/logout', () => {
  it('ends the sign-in, so its refresh token no longer works, and answers 204 every time', async () => {
    const { pair } = await signedIn();
    const logout = () =>
      t.request(undefined, 'POST', '/api/v1/auth/logout', { refresh_token: pair.refresh_token });
    const first = await logout();
    expect(first.statusCode).toBe(204);
    expect(first.body).toBe('');
    expect((await refresh(pair.refresh_token)).statusCode).toBe(401);
    expect((await logout()).statusCode).toBe(204);
    const unknown = await t.request(undefined, 'POST', '/api/v1/auth/logout', { refresh_token: 'unknown' });
    expect(unknown.statusCode).toBe(204);
  });
});

describe('GET /auth/me', () => {
  it('returns the signed-in user without secrets', async () => {
    const { user, pair } = await signedIn('mechanic');
    const response = await t.request(pair.access_token, 'GET', '/api/v1/auth/me');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      id: user.id,
      org_id: user.orgId,
      email: user.email,
      role: 'mechanic',
      last_login: expect.stringMatching(/Z$/) as unknown,
      created_at: expect.stringMatching(/Z$/) as unknown,
      updated_at: expect.stringMatching(/Z$/) as unknown,
    });
  });

  it('refuses a still-unexpired access token once its user is deleted (401)', async () => {
    const { user, pair } = await signedIn();
    await t.container.uow.repos.users.softDelete(user.orgId, user.id);
    const response = await t.request(pair.access_token, 'GET', '/api/v1/auth/me');
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ reason: 'INVALID_TOKEN' });
  });

  it('answers 401 to every token that is not a valid access token of ours, and to none', async () => {
    const { user, pair } = await signedIn();
    const keys = await testKeys();
    const claims = { sub: user.id, org_id: user.orgId, role: 'admin' };
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const payload = decodeJwt(pair.access_token);
    const publicPem = KeyObject.from(keys.publicKey).export({ type: 'spki', format: 'pem' });
    const hs256 = await new SignJWT({ ...payload, role: 'admin' })
      .setProtectedHeader({ alg: 'HS256', kid: keys.kid })
      .sign(new TextEncoder().encode(publicPem.toString()));
    const anHourAgo = () => new Date(Date.now() - 3600_000);
    const expired = await new TokenIssuer({ keys, now: anHourAgo }).signAccessToken(claims);

    const tokens = {
      refresh: pair.refresh_token,
      algNone: `${b64({ alg: 'none', kid: keys.kid })}.${b64({ ...payload, role: 'admin' })}.`,
      hs256,
      expired,
      garbage: 'garbage.token.here',
      none: undefined,
    };
    for (const [kind, token] of Object.entries(tokens)) {
      const response = await t.request(token, 'GET', '/api/v1/auth/me');
      expect({ kind, status: response.statusCode }).toEqual({ kind, status: 401 });
      expect(response.json()).toMatchObject({ code: 'auth' });
    }
  });
});

describe('the sign-in audit trail', () => {
  interface TrailRow {
    actor: string;
    user_id: string | null;
    ip_address: string | null;
    details: { event: string; session_id?: string; scope?: string };
  }

  /** The account's sign-in history as its organization's auditor reads it, oldest first. */
  async function trail(app: TestApp, user: { id: string; orgId: string }) {
    const auditor = await app.createUser(user.orgId, 'auditor');
    const query = `entity_type=user&entity_id=${user.id}&sort=timestamp`;
    const response = await app.request(await app.tokenFor(auditor), 'GET', `/api/v1/audit-logs?${query}`);
    expect(response.statusCode).toBe(200);
    return response.json<TrailRow[]>().map((row) => ({
      event: row.details.event,
      actor: row.actor,
      by_user: row.user_id === user.id,
      ip: row.ip_address,
    }));
  }

  it('records a sign-in, a failed attempt, a refresh-token reuse and a sign-out of the account', async () => {
    const org = await t.createOrg();
    const user = await t.createUser(org.id, 'mechanic');
    const ip = '198.51.100.40';
    await login(t, { email: user.email, password: 'Wrong-Horse-42' }, { ip });
    const pair = (await login(t, { email: user.email, password: TEST_PASSWORD }, { ip })).json<Pair>();
    const second = (await refresh(pair.refresh_token)).json<Pair>();
    expect((await refresh(pair.refresh_token)).statusCode).toBe(401);
    const again = (await login(t, { email: user.email, password: TEST_PASSWORD }, { ip })).json<Pair>();
    await t.request(undefined, 'POST', '/api/v1/auth/logout', { refresh_token: again.refresh_token });
    await t.request(undefined, 'POST', '/api/v1/auth/logout', { refresh_token: second.refresh_token });

    expect(await trail(t, user)).toEqual([
      { event: 'sign_in_failed', actor: 'anonymous', by_user: false, ip },
      { event: 'signed_in', actor: 'user:mechanic', by_user: true, ip },
      { event: 'refresh_token_reused', actor: 'anonymous', by_user: false, ip: '127.0.0.1' },
      { event: 'signed_in', actor: 'user:mechanic', by_user: true, ip },
      { event: 'signed_out', actor: 'user:mechanic', by_user: true, ip: '127.0.0.1' },
    ]);
  });

  it('records the lockout of an account when its failures fill a limit', async () => {
    const org = await t.createOrg();
    const user = await t.createUser(org.id, 'mechanic');
    for (let i = 0; i < 5; i += 1)
      await login(t, { email: user.email, password: 'Wrong-Horse-42' }, { ip: '203.0.113.80' });

    const rows = await trail(t, user);
    expect(rows.filter((row) => row.event === 'sign_in_failed')).toHaveLength(5);
    expect(rows.filter((row) => row.event === 'sign_in_locked')).toEqual([
      { event: 'sign_in_locked', actor: 'anonymous', by_user: false, ip: '203.0.113.80' },
    ]);
  });
});

describe('failed-login limits', () => {
  let limited: TestApp;
  let proxied: TestApp;
  beforeAll(async () => {
    [limited, proxied] = await Promise.all([
      createTestApp({
        LOGIN_MAX_FAILURES_PER_EMAIL_AND_IP: '3',
        LOGIN_MAX_FAILURES_PER_EMAIL: '7',
        LOGIN_MAX_FAILURES_PER_IP: '5',
      }),
      createTestApp({ TRUSTED_PROXIES: '127.0.0.1', LOGIN_MAX_FAILURES_PER_IP: '2' }),
    ]);
    // Counted in Redis from the first attempt on (before it connects, the limiter counts in memory).
    for (const { redis } of [limited, proxied]) {
      if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
    }
  });
  afterAll(async () => {
    await Promise.all([limited.close(), proxied.close()]);
  });

  async function failTimes(app: TestApp, times: number, email: (i: number) => string, client = {}) {
    for (let i = 0; i < times; i += 1) {
      const response = await login(app, { email: email(i), password: 'Wrong-Horse-42' }, client);
      expect(response.statusCode).toBe(401);
    }
  }

  it('never lets five wrong passwords from a stranger lock the owner out of their own address', async () => {
    // The default limits, as deployed.
    const org = await t.createOrg();
    const owner = await t.createUser(org.id, 'scheduler');
    const rightPassword = { email: owner.email, password: TEST_PASSWORD };
    await failTimes(t, 5, () => owner.email, { ip: '203.0.113.66' });

    expect((await login(t, rightPassword, { ip: '198.51.100.30' })).statusCode).toBe(200);
    expect((await login(t, rightPassword, { ip: '203.0.113.66' })).statusCode).toBe(429);
  });

  it('locks an email everywhere once failures spread over many addresses reach its ceiling', async () => {
    const org = await limited.createOrg();
    const owner = await limited.createUser(org.id, 'scheduler');
    for (const ip of ['203.0.113.71', '203.0.113.72']) await failTimes(limited, 3, () => owner.email, { ip });
    await failTimes(limited, 1, () => owner.email, { ip: '203.0.113.73' });

    const locked = await login(
      limited,
      { email: owner.email, password: TEST_PASSWORD },
      { ip: '198.51.100.31' },
    );
    expect(locked.statusCode).toBe(429);
  });

  it('locks one email after repeated failures, even for the right password, but not its neighbours', async () => {
    const org = await limited.createOrg();
    const [victim, colleague] = [
      await limited.createUser(org.id, 'mechanic'),
      await limited.createUser(org.id, 'mechanic'),
    ];
    const ip = '198.51.100.1';
    await failTimes(limited, 3, () => victim.email, { ip });

    const locked = await login(limited, { email: victim.email, password: TEST_PASSWORD }, { ip });
    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toMatchObject({ code: 'rate_limited' });
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(locked.headers['retry-after'])).toBeLessThanOrEqual(15 * 60);

    const other = await login(limited, { email: colleague.email, password: TEST_PASSWORD }, { ip });
    expect(other.statusCode).toBe(200);
  });

  it('locks one address after failures with many emails, while other addresses still sign in', async () => {
    const org = await limited.createOrg();
    const user = await limited.createUser(org.id, 'scheduler');
    await failTimes(limited, 5, (i) => `guess-${i}@test.local`, { ip: '198.51.100.2' });
    const blocked = await login(
      limited,
      { email: user.email, password: TEST_PASSWORD },
      { ip: '198.51.100.2' },
    );
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers['retry-after']).toBeDefined();
    const elsewhere = await login(
      limited,
      { email: user.email, password: TEST_PASSWORD },
      { ip: '198.51.100.3' },
    );
    expect(elsewhere.statusCode).toBe(200);
  });

  it('ignores X-Forwarded-For when no trusted proxy is configured', async () => {
    await failTimes(limited, 5, (i) => `spoof-${i}@test.local`, { forwardedFor: '203.0.113.50' });
    const spoofed = await login(
      limited,
      { email: 'fresh@test.local', password: 'Wrong-Horse-42' },
      { forwardedFor: '203.0.113.99' },
    );
    expect(spoofed.statusCode).toBe(429);
  });

  it('counts by the forwarded client address behind a trusted proxy', async () => {
    const org = await proxied.createOrg();
    const user = await proxied.createUser(org.id, 'mechanic');
    await failTimes(proxied, 2, (i) => `proxied-${i}@test.local`, { forwardedFor: '203.0.113.1' });
    const sameClient = await login(
      proxied,
      { email: user.email, password: TEST_PASSWORD },
      { forwardedFor: '203.0.113.1' },
    );
    expect(sameClient.statusCode).toBe(429);
    const otherClient = await login(
      proxied,
      { email: user.email, password: TEST_PASSWORD },
      { forwardedFor: '203.0.113.2' },
    );
    expect(otherClient.statusCode).toBe(200);
  });

  it('never throttles a shift of 20 mechanics signing in together from one address', async () => {
    const org = await limited.createOrg();
    const shift = await Promise.all(Array.from({ length: 20 }, () => limited.createUser(org.id, 'mechanic')));
    const ip = '198.51.100.20';
    await failTimes(limited, 2, () => shift[0]!.email, { ip });
    const responses = await Promise.all(
      shift.map((user) => login(limited, { email: user.email, password: TEST_PASSWORD }, { ip })),
    );
    expect(responses.map((r) => r.statusCode)).toEqual(Array(20).fill(200));
  });
});
