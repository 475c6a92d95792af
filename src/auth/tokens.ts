import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * SHA-256 of a token string, as lowercase hex. This is what the database stores for refresh tokens
 * (and other bearer secrets), so a leaked table cannot be replayed.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A cryptographically random secret of `bytes` bytes, hex-encoded (so twice as many characters). */
export function randomSecretHex(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 16) throw new RangeError('a secret needs at least 16 random bytes');
  return randomBytes(bytes).toString('hex');
}

/**
 * Compares two secrets in time that does not depend on where they differ.
 * Both sides are hashed first so that inputs of different lengths neither throw nor return early,
 * which would reveal the expected length.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}
