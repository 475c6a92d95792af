import { beforeAll, describe, it, expect } from 'vitest';
import { SignJWT } from 'jose';
import { generateDevKeyPair, type GeneratedKeyPair } from './keys.js';
import { InvalidTokenError, TokenIssuer } from './jwt.js';

const user = { sub: 'u-1', org_id: 'o-1', role: 'scheduler' };
const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

let keys: GeneratedKeyPair;
let issuer: TokenIssuer;

beforeAll(async () => {
  keys = await generateDevKeyPair();
  issuer = new TokenIssuer({ keys });
});

async function expectInvalid(promise: Promise<unknown>): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidTokenError);
  expect((error as Error).message).toBe('invalid or expired token');
}

describe('access tokens', () => {
  it('round-trips every claim of a valid token', async () => {
    const now = new Date('2030-01-01T00:00:00.250Z');
    const fixed = new TokenIssuer({ keys, now: () => now });
    const token = await fixed.signAccessToken({ ...user, scopes: ['reports:advanced'] });
    const claims = await fixed.verifyAccessToken(token);
    const iat = Math.floor(now.getTime() / 1000);
    expect(claims).toEqual({
      ...user,
      scopes: ['reports:advanced'],
      typ: 'access',
      iss: 'amss',
      aud: 'amss-api',
      iat,
      iat_ms: now.getTime(),
      exp: iat + 15 * 60,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
    });
  });

  it('puts the key id in the header and gives each token its own jti', async () => {
    const [a, b] = [await issuer.signAccessToken(user), await issuer.signAccessToken(user)];
    expect(JSON.parse(Buffer.from(a.split('.')[0]!, 'base64url').toString())).toMatchObject({
      alg: 'RS256',
      kid: keys.kid,
    });
    expect((await issuer.verifyAccessToken(a)).jti).not.toBe((await issuer.verifyAccessToken(b)).jti);
  });

  it('rejects a token whose header says alg none', async () => {
    const iat = Math.floor(Date.now() / 1000);
    const payload = { ...user, typ: 'access', iss: 'amss', aud: 'amss-api', iat, exp: iat + 900, jti: 'x' };
    await expectInvalid(
      issuer.verifyAccessToken(`${b64url({ alg: 'none', kid: keys.kid })}.${b64url(payload)}.`),
    );
  });

  it('rejects a token HMAC-signed with the public key (key confusion)', async () => {
    const forged = await new SignJWT({ ...user, typ: 'access' })
      .setProtectedHeader({ alg: 'HS256', kid: keys.kid })
      .setSubject(user.sub)
      .setIssuer('amss')
      .setAudience('amss-api')
      .setIssuedAt()
      .setExpirationTime('10m')
      .setJti('forged')
      .sign(new TextEncoder().encode(keys.publicPem));
    await expectInvalid(issuer.verifyAccessToken(forged));
  });

  it('rejects an expired token but tolerates a few seconds of clock skew', async () => {
    const at = (secondsAgo: number) => () => new Date(Date.now() - secondsAgo * 1000);
    const expired = await new TokenIssuer({ keys, now: at(15 * 60 + 60) }).signAccessToken(user);
    const justExpired = await new TokenIssuer({ keys, now: at(15 * 60 + 2) }).signAccessToken(user);
    await expectInvalid(issuer.verifyAccessToken(expired));
    await expect(issuer.verifyAccessToken(justExpired)).resolves.toMatchObject(user);
  });

  it('rejects a token issued in the future', async () => {
    const ahead = await new TokenIssuer({ keys, now: () => new Date(Date.now() + 60_000) }).signAccessToken(
      user,
    );
    await expectInvalid(issuer.verifyAccessToken(ahead));
  });

  it('rejects a refresh token presented as an access token', async () => {
    const refresh = await issuer.signRefreshToken({ ...user, family_id: 'f-1', jti: 'r-1' });
    await expectInvalid(issuer.verifyAccessToken(refresh));
  });

  it('rejects a correctly signed token that has no typ claim', async () => {
    const untyped = await new SignJWT({ org_id: user.org_id, role: user.role })
      .setProtectedHeader({ alg: 'RS256', kid: keys.kid })
      .setSubject(user.sub)
      .setIssuer('amss')
      .setAudience('amss-api')
      .setIssuedAt()
      .setExpirationTime('10m')
      .setJti('j-1')
      .sign(keys.privateKey);
    await expectInvalid(issuer.verifyAccessToken(untyped));
  });

  it('rejects a token signed by another key pair, even when it copies our kid', async () => {
    const other = await generateDevKeyPair();
    await expectInvalid(
      issuer.verifyAccessToken(await new TokenIssuer({ keys: other }).signAccessToken(user)),
    );
    const impostor = new TokenIssuer({ keys: { ...other, kid: keys.kid } });
    await expectInvalid(issuer.verifyAccessToken(await impostor.signAccessToken(user)));
  });

  it('rejects a token whose payload was edited to claim admin', async () => {
    const [header, payload, signature] = (await issuer.signAccessToken(user)).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    await expectInvalid(
      issuer.verifyAccessToken(`${header}.${b64url({ ...claims, role: 'admin' })}.${signature}`),
    );
  });

  it('rejects a token for another audience or from another issuer', async () => {
    const otherAud = await new TokenIssuer({ keys, audience: 'other-api' }).signAccessToken(user);
    const otherIss = await new TokenIssuer({ keys, issuer: 'someone-else' }).signAccessToken(user);
    await expectInvalid(issuer.verifyAccessToken(otherAud));
    await expectInvalid(issuer.verifyAccessToken(otherIss));
  });

  it('rejects garbage and oversized input with the same error', async () => {
    await expectInvalid(issuer.verifyAccessToken(''));
    await expectInvalid(issuer.verifyAccessToken('a.b.c'));
    await expectInvalid(issuer.verifyAccessToken('x'.repeat(10_000)));
  });

  it('keeps accepting tokens of a retired key listed in previousKeys', async () => {
    const old = await generateDevKeyPair();
    const token = await new TokenIssuer({ keys: old }).signAccessToken(user);
    const rotated = new TokenIssuer({ keys, previousKeys: [old] });
    await expect(rotated.verifyAccessToken(token)).resolves.toMatchObject(user);
    await expectInvalid(issuer.verifyAccessToken(token));
  });
});

describe('refresh tokens', () => {
  it('round-trips sub, org, family and jti with a 7-day lifetime', async () => {
    const token = await issuer.signRefreshToken({ ...user, family_id: 'f-1', jti: 'r-1' });
    const claims = await issuer.verifyRefreshToken(token);
    expect(claims).toMatchObject({ sub: 'u-1', org_id: 'o-1', family_id: 'f-1', jti: 'r-1', typ: 'refresh' });
    expect(claims.exp - claims.iat).toBe(7 * 24 * 3600);
    expect(claims).not.toHaveProperty('role');
  });

  it('rejects an access token presented as a refresh token', async () => {
    await expectInvalid(issuer.verifyRefreshToken(await issuer.signAccessToken(user)));
  });
});
