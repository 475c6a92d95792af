import { generateKeyPairSync } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import { generateDevKeyPair, InvalidKeyError, loadKeyPair, loadPublicKey, publicJwk } from './keys.js';

function rsaPems(modulusLength = 2048) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength });
  return {
    pkcs8: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    pkcs1: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    spki: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    pkcs1Public: publicKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
  };
}

describe('loadKeyPair', () => {
  it('loads PKCS#8 and PKCS#1 forms of the same key with the same kid', async () => {
    const pems = rsaPems();
    const fromPkcs8 = await loadKeyPair(pems.pkcs8, pems.spki);
    const fromPkcs1 = await loadKeyPair(pems.pkcs1, pems.pkcs1Public);
    expect(fromPkcs1.kid).toBe(fromPkcs8.kid);
    expect(fromPkcs8.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('reads PEMs whose newlines arrive as literal \\n (as env vars carry them)', async () => {
    const pems = rsaPems();
    const escaped = (pem: string) => pem.trim().replace(/\n/g, '\\n');
    const keys = await loadKeyPair(escaped(pems.pkcs8), escaped(pems.spki));
    expect(keys.kid).toBe((await loadKeyPair(pems.pkcs8, pems.spki)).kid);
  });

  it('derives the public key when only the private key is given', async () => {
    const pems = rsaPems();
    expect((await loadKeyPair(pems.pkcs8)).kid).toBe((await loadKeyPair(pems.pkcs8, pems.spki)).kid);
  });

  it('refuses a public key that does not belong to the private key', async () => {
    const a = rsaPems();
    const b = rsaPems();
    await expect(loadKeyPair(a.pkcs8, b.spki)).rejects.toThrow('public key does not match the private key');
  });

  it('refuses RSA keys shorter than 2048 bits', async () => {
    const weak = rsaPems(1024);
    await expect(loadKeyPair(weak.pkcs8, weak.spki)).rejects.toThrow(/1024 bits, at least 2048/);
  });

  it('refuses non-RSA keys, garbage and a private key in the public slot', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ecPem = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const pems = rsaPems();
    await expect(loadKeyPair(ecPem)).rejects.toThrow(/needs an RSA key, got ec/);
    await expect(loadKeyPair('not a key', pems.spki)).rejects.toThrow(InvalidKeyError);
    await expect(loadKeyPair(pems.pkcs8, pems.pkcs8)).rejects.toThrow(/private key was given/);
  });
});

describe('generateDevKeyPair', () => {
  it('creates a usable pair whose PEMs load back to the same kid, and publishes it as a JWK', async () => {
    const dev = await generateDevKeyPair();
    expect((await loadKeyPair(dev.privatePem, dev.publicPem)).kid).toBe(dev.kid);
    const jwk = await publicJwk(dev);
    expect(jwk).toMatchObject({ kty: 'RSA', kid: dev.kid, alg: 'RS256', use: 'sig' });
    expect(jwk).not.toHaveProperty('d');
  });
});

describe('loadPublicKey', () => {
  it('loads a retired public key alone with the kid its pair had, and refuses a private key', async () => {
    const pems = rsaPems();
    const pair = await loadKeyPair(pems.pkcs8, pems.spki);
    expect((await loadPublicKey(pems.spki)).kid).toBe(pair.kid);
    expect((await loadPublicKey(pems.pkcs1Public)).kid).toBe(pair.kid);
    await expect(loadPublicKey(pems.pkcs8)).rejects.toBeInstanceOf(InvalidKeyError);
  });
});
