import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import {
  calculateJwkThumbprint,
  CompactSign,
  compactVerify,
  exportJWK,
  importPKCS8,
  importSPKI,
  type CryptoKey,
  type JWK,
} from 'jose';

/** The only signing algorithm AMSS issues or accepts. */
export const JWT_ALG = 'RS256';

/** Smallest RSA modulus accepted for signing keys, in bits. */
export const MIN_RSA_MODULUS_BITS = 2048;

/** A validated RS256 key pair ready for signing and verifying JWTs. */
export interface JwtKeys {
  /** Signs tokens; never leaves the process. */
  privateKey: CryptoKey;
  /** Verifies tokens; safe to publish (see {@link publicJwk}). */
  publicKey: CryptoKey;
  /** RFC 7638 SHA-256 thumbprint of the public key, put in each token's `kid` header. */
  kid: string;
}

/** A freshly generated key pair together with its PEM text (so a CLI can print or store it). */
export interface GeneratedKeyPair extends JwtKeys {
  /** PKCS#8 PEM of the private key. */
  privatePem: string;
  /** SPKI PEM of the public key. */
  publicPem: string;
}

/** A key that cannot be used: unreadable, not RSA, too short, or not matching its pair. The message says which. */
export class InvalidKeyError extends Error {
  override name = 'InvalidKeyError';
}

/**
 * Loads and validates an RS256 key pair from PEM text.
 *
 * Accepts PKCS#8 (`BEGIN PRIVATE KEY`) and PKCS#1 (`BEGIN RSA PRIVATE KEY`) private keys, and SPKI or PKCS#1
 * public keys. Literal `\n` sequences are turned into newlines, since env vars often carry PEMs that way.
 * When `publicPem` is omitted the public key is derived from the private key.
 *
 * @throws InvalidKeyError when a key is unreadable, not RSA, shorter than 2048 bits, or the pair does not match.
 */
export async function loadKeyPair(privatePem: string, publicPem?: string): Promise<JwtKeys> {
  const privateObj = parsePrivateKey(normalizePem(privatePem));
  const publicObj =
    publicPem === undefined ? createPublicKey(privateObj) : parsePublicKey(normalizePem(publicPem));
  assertStrongRsa(privateObj, 'private key');
  assertStrongRsa(publicObj, 'public key');

  const privateKey = await importPKCS8(exportPem(privateObj, 'pkcs8'), JWT_ALG);
  // Extractable so the JWK thumbprint (kid) and a JWKS document can be computed from it.
  const publicKey = await importSPKI(exportPem(publicObj, 'spki'), JWT_ALG, { extractable: true });
  await assertPairMatches(privateKey, publicKey);

  const kid = await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256');
  return { privateKey, publicKey, kid };
}

/** The verifying half of a retired key pair: its tokens stay valid until they expire. */
export type PublicJwtKey = Pick<JwtKeys, 'publicKey' | 'kid'>;

/**
 * Loads an RS256 public key alone (a previous key kept for rotation), with the same `kid` a key
 * pair made from it has. Accepts SPKI and PKCS#1 PEMs, with literal `\n` sequences.
 *
 * @throws InvalidKeyError when the key is unreadable, private, not RSA or shorter than 2048 bits.
 */
export async function loadPublicKey(publicPem: string): Promise<PublicJwtKey> {
  const publicObj = parsePublicKey(normalizePem(publicPem));
  assertStrongRsa(publicObj, 'public key');
  const publicKey = await importSPKI(exportPem(publicObj, 'spki'), JWT_ALG, { extractable: true });
  return { publicKey, kid: await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256') };
}

/** Why a PEM public key cannot verify RS256 tokens, or undefined when it can (checked without importing it). */
export function publicKeyProblem(publicPem: string): string | undefined {
  try {
    assertStrongRsa(parsePublicKey(normalizePem(publicPem)), 'public key');
    return undefined;
  } catch (error) {
    if (error instanceof InvalidKeyError) return error.message;
    throw error;
  }
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/**
 * The PEM blocks of a text holding one or several (as JWT_PREVIOUS_PUBLIC_KEYS_PEM does), in
 * order; `stray` is true when anything but whitespace lies outside them.
 */
export function splitPemBlocks(text: string): { blocks: string[]; stray: boolean } {
  const normalized = text.replace(/\\n/g, '\n');
  const blocks = [...normalized.matchAll(PEM_BLOCK)].map((match) => match[0]);
  const stray = normalized.replace(PEM_BLOCK, '').trim() !== '';
  return { blocks, stray };
}

/**
 * Generates an ephemeral 2048-bit RS256 key pair for development (`amss dev`) and tests.
 * Tokens signed with it die with the process; production must load configured keys.
 */
export async function generateDevKeyPair(): Promise<GeneratedKeyPair> {
  const { privateKey: privatePem, publicKey: publicPem } = await promisify(generateKeyPair)('rsa', {
    modulusLength: MIN_RSA_MODULUS_BITS,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { ...(await loadKeyPair(privatePem, publicPem)), privatePem, publicPem };
}

/** The public key as a JWK with `kid`, `alg` and `use`, for a JWKS document. */
export async function publicJwk(keys: JwtKeys): Promise<JWK> {
  return { ...(await exportJWK(keys.publicKey)), kid: keys.kid, alg: JWT_ALG, use: 'sig' };
}

function normalizePem(pem: string): string {
  return pem.replace(/\\n/g, '\n').trim();
}

function parsePrivateKey(pem: string): KeyObject {
  if (!pem.includes('PRIVATE KEY-----')) {
    throw new InvalidKeyError(
      'private key: expected a PEM private key (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY)',
    );
  }
  try {
    return createPrivateKey(pem);
  } catch {
    throw new InvalidKeyError(
      'private key: the PEM could not be read (corrupt, or encrypted with a passphrase)',
    );
  }
}

function parsePublicKey(pem: string): KeyObject {
  // createPublicKey would quietly derive a public key from a private one; a private key pasted where the
  // public key belongs is a leak waiting to happen, so refuse it.
  if (pem.includes('PRIVATE KEY-----')) {
    throw new InvalidKeyError('public key: a private key was given where the public key belongs');
  }
  if (!pem.includes('PUBLIC KEY-----')) {
    throw new InvalidKeyError(
      'public key: expected a PEM public key (BEGIN PUBLIC KEY or BEGIN RSA PUBLIC KEY)',
    );
  }
  try {
    return createPublicKey(pem);
  } catch {
    throw new InvalidKeyError('public key: the PEM could not be read');
  }
}

function assertStrongRsa(key: KeyObject, label: string): void {
  if (key.asymmetricKeyType !== 'rsa') {
    throw new InvalidKeyError(
      `${label}: RS256 needs an RSA key, got ${key.asymmetricKeyType ?? 'an unknown type'}`,
    );
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_MODULUS_BITS) {
    throw new InvalidKeyError(
      `${label}: RSA modulus is ${bits} bits, at least ${MIN_RSA_MODULUS_BITS} required`,
    );
  }
}

function exportPem(key: KeyObject, type: 'pkcs8' | 'spki'): string {
  return type === 'pkcs8'
    ? key.export({ type: 'pkcs8', format: 'pem' }).toString()
    : key.export({ type: 'spki', format: 'pem' }).toString();
}

async function assertPairMatches(privateKey: CryptoKey, publicKey: CryptoKey): Promise<void> {
  const probe = await new CompactSign(new TextEncoder().encode('amss key probe'))
    .setProtectedHeader({ alg: JWT_ALG })
    .sign(privateKey);
  try {
    await compactVerify(probe, publicKey, { algorithms: [JWT_ALG] });
  } catch {
    throw new InvalidKeyError('public key does not match the private key');
  }
}
