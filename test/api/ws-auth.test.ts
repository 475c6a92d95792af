import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenIssuer } from '../../src/auth/jwt.js';
import { createTestApp, testKeys, type TestApp } from '../support/app.js';
import { createTenant, type Tenant } from '../support/tenants.js';
import { connect, connectAs, testStream } from '../support/ws.js';

let t: TestApp;
let tenant: Tenant;
beforeAll(async () => {
  t = await createTestApp({}, { liveEvents: { stream: testStream(), authTimeoutMs: 300 } });
  tenant = await createTenant(t);
});
afterAll(() => t.close());

/** An access token of the tenant's scheduler that expired an hour ago, or expires `inMs` from now. */
async function schedulerToken(expiresInMs: number): Promise<string> {
  const ttlSeconds = 60;
  const issuer = new TokenIssuer({
    keys: await testKeys(),
    accessTtlSeconds: ttlSeconds,
    now: () => new Date(Date.now() + expiresInMs - ttlSeconds * 1000),
  });
  return issuer.signAccessToken({ sub: tenant.userIds.scheduler, org_id: tenant.org.id, role: 'scheduler' });
}

describe('connecting to the live events', () => {
  it('accepts the token as the subprotocol pair `bearer, <token>` and answers `bearer`', async () => {
    const client = await connectAs(t, tenant.tokens.auditor);

    expect(client.protocol()).toBe('bearer');
    expect(client.messages[0]).toMatchObject({
      id: null,
      type: 'authenticated',
      data: { org_id: tenant.org.id, user_id: tenant.userIds.auditor, role: 'auditor' },
    });
    client.close();
  });

  it('accepts the token as a first `auth` message', async () => {
    const client = await connect(t);
    client.send({ type: 'auth', token: tenant.tokens.mechanic });

    expect(await client.next()).toMatchObject({ type: 'authenticated', data: { role: 'mechanic' } });
    client.close();
  });

  it('closes with 4408 when no token comes in time', async () => {
    const client = await connect(t);

    expect(await client.closed).toMatchObject({ code: 4408 });
  });

  it('closes with 4401 for a token that is not one of ours, and for an empty one', async () => {
    const forged = await connect(t, { token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl' });
    const empty = await connect(t, { protocols: ['bearer'] });

    expect(await forged.closed).toMatchObject({ code: 4401 });
    expect(await empty.closed).toMatchObject({ code: 4401 });
  });

  it('closes with 4001 for an expired token', async () => {
    const client = await connect(t, { token: await schedulerToken(-3_600_000) });

    expect(await client.closed).toMatchObject({ code: 4001, reason: 'access token expired' });
  });

  it('closes with 4002 for the token of a deleted user, at connect time and while connected', async () => {
    const gone = await t.createUser(tenant.org.id, 'scheduler');
    const goneToken = await t.tokenFor(gone);
    const leaving = await t.createUser(tenant.org.id, 'scheduler');
    const connected = await connectAs(t, await t.tokenFor(leaving));
    await t.request(tenant.tokens.admin, 'DELETE', `/api/v1/users/${gone.id}`);
    await t.request(tenant.tokens.admin, 'DELETE', `/api/v1/users/${leaving.id}`);

    const client = await connect(t, { token: goneToken });

    expect(await client.closed).toMatchObject({ code: 4002 });
    expect(await connected.closed).toMatchObject({ code: 4002 });
  });

  it('refuses a token in the query string outright, before any upgrade', async () => {
    for (const query of ['token=abc', 'access_token=abc']) {
      await expect(connect(t, { query })).rejects.toThrow('unexpected response 400');
      const plain = await t.request(undefined, 'GET', `/api/v1/ws?${query}`);
      expect(plain.json()).toMatchObject({ reason: 'TOKEN_IN_QUERY' });
    }
  });

  it('closes a connection when its token expires, unless a new `auth` extended it', async () => {
    const expiring = await connectAs(t, await schedulerToken(1_500));
    const extended = await connectAs(t, await schedulerToken(1_500));
    extended.send({ type: 'auth', token: tenant.tokens.scheduler });
    await extended.next((m) => m.type === 'authenticated');

    expect(await expiring.closed).toMatchObject({ code: 4001 });
    expect(extended.socket.readyState).toBe(extended.socket.OPEN);
    extended.close();
  });

  it('closes with 4400 for a message that is not of the protocol', async () => {
    const client = await connectAs(t, tenant.tokens.scheduler);
    client.socket.send('hello');

    expect(await client.closed).toMatchObject({ code: 4400 });
  });

  it('describes the protocol to a plain GET', async () => {
    const response = await t.request(undefined, 'GET', '/api/v1/ws');

    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      subprotocol: 'bearer',
      close_codes: { '4001': 'access token expired' },
    });
  });
});
