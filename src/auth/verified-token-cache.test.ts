import { describe, expect, it } from 'vitest';
import { TokenIssuer } from './jwt.js';
import { generateDevKeyPair } from './keys.js';
import { CachingAccessTokenVerifier } from './verified-token-cache.js';

describe('CachingAccessTokenVerifier', () => {
  it('verifies a token once and answers repeats from the cache', async () => {
    const issuer = new TokenIssuer({ keys: await generateDevKeyPair() });
    let verified = 0;
    const verifier = new CachingAccessTokenVerifier({
      verifyAccessToken: (token) => {
        verified += 1;
        return issuer.verifyAccessToken(token);
      },
    });
    const token = await issuer.signAccessToken({ sub: 'u', org_id: 'o', role: 'mechanic' });
    expect((await verifier.verifyAccessToken(token)).role).toBe('mechanic');
    expect((await verifier.verifyAccessToken(token)).sub).toBe('u');
    expect(verified).toBe(1);
  });

  it('asks the real verifier again once the token has expired', async () => {
    const issuer = new TokenIssuer({ keys: await generateDevKeyPair(), accessTtlSeconds: 60 });
    let clock = Date.now();
    let verified = 0;
    const verifier = new CachingAccessTokenVerifier(
      {
        verifyAccessToken: (token) => {
          verified += 1;
          return issuer.verifyAccessToken(token);
        },
      },
      { now: () => clock },
    );
    const token = await issuer.signAccessToken({ sub: 'u', org_id: 'o', role: 'mechanic' });
    await verifier.verifyAccessToken(token);
    clock += 61_000;
    await verifier.verifyAccessToken(token).catch(() => undefined);
    expect(verified).toBe(2);
  });

  it('does not cache a token that failed verification', async () => {
    const issuer = new TokenIssuer({ keys: await generateDevKeyPair() });
    const verifier = new CachingAccessTokenVerifier(issuer);
    await expect(verifier.verifyAccessToken('not.a.token')).rejects.toThrow();
    await expect(verifier.verifyAccessToken('not.a.token')).rejects.toThrow();
  });
});
