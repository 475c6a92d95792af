import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenIssuer } from '../../src/auth/jwt.js';
import { generateDevKeyPair, type GeneratedKeyPair } from '../../src/auth/keys.js';
import { createTestApp, testKeys, type TestApp } from '../support/app.js';

let t: TestApp;
let retired: GeneratedKeyPair;

beforeAll(async () => {
  // The server signs with the test key pair and still accepts the retired one's tokens.
  const [current, old] = await Promise.all([testKeys(), generateDevKeyPair()]);
  retired = old;
  t = await createTestApp({
    JWT_PRIVATE_KEY_PEM: current.privatePem,
    JWT_PUBLIC_KEY_PEM: current.publicPem,
    JWT_PREVIOUS_PUBLIC_KEYS_PEM: retired.publicPem,
  });
});
afterAll(async () => {
  await t.close();
});

describe('JWT key rotation', () => {
  it('accepts an access token signed before the rotation with a key listed in JWT_PREVIOUS_PUBLIC_KEYS_PEM', async () => {
    const org = await t.createOrg();
    const user = await t.createUser(org.id, 'scheduler');
    const before = await new TokenIssuer({ keys: retired }).signAccessToken({
      sub: user.id,
      org_id: org.id,
      role: 'scheduler',
    });
    const response = await t.request(before, 'GET', '/api/v1/auth/me');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: user.id });
  });

  it('signs new tokens with the current key only', async () => {
    const org = await t.createOrg();
    const token = await t.tokenFor(await t.createUser(org.id, 'auditor'));
    expect(decodeProtectedHeader(token).kid).toBe((await testKeys()).kid);
    expect(decodeProtectedHeader(token).kid).not.toBe(retired.kid);
  });

  it('still refuses a token signed with a key that is neither current nor listed', async () => {
    const org = await t.createOrg();
    const user = await t.createUser(org.id, 'scheduler');
    const stranger = await new TokenIssuer({ keys: await generateDevKeyPair() }).signAccessToken({
      sub: user.id,
      org_id: org.id,
      role: 'scheduler',
    });
    expect((await t.request(stranger, 'GET', '/api/v1/auth/me')).statusCode).toBe(401);
  });
});
