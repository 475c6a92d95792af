import bcrypt from 'bcrypt';
import { randomSecretHex } from './tokens.js';

/** bcrypt cost used when none is configured. Tests pass 4 to stay fast. */
export const DEFAULT_BCRYPT_COST = 12;

/** Shortest password accepted, in characters. */
export const MIN_PASSWORD_CHARS = 12;

/** bcrypt reads at most 72 bytes; anything after them would be silently ignored. */
export const MAX_PASSWORD_BYTES = 72;

/**
 * A bcrypt hash (cost 12) of a random value nobody knows, compared against when no user matches a login,
 * so that answering "no such email" takes as long as "wrong password".
 */
export const DUMMY_HASH = '$2b$12$zXM4tt7M2vHppJWhTu3ddOxhEE3jvRP2i0BcUPICUflDtp.xpatwa';

const dummyHashes = new Map<number, Promise<string>>([[DEFAULT_BCRYPT_COST, Promise.resolve(DUMMY_HASH)]]);

/** Hashes a password with bcrypt at the given cost (default 12). */
export async function hashPassword(plain: string, cost: number = DEFAULT_BCRYPT_COST): Promise<string> {
  return bcrypt.hash(plain, cost);
}

/** True when `plain` matches the bcrypt `hash`; false for a wrong password or a malformed hash. */
export async function verifyPassword(plain: string, hash: string): Promise<boolean> {
  try {
    return await bcrypt.compare(plain, hash);
  } catch {
    return false;
  }
}

/**
 * Spends the time of one bcrypt comparison and returns false. Call it when the login's user does not exist,
 * with the same cost real hashes use, so response time does not reveal whether an email is registered.
 */
export async function verifyAgainstNothing(
  plain: string,
  cost: number = DEFAULT_BCRYPT_COST,
): Promise<false> {
  let dummy = dummyHashes.get(cost);
  if (dummy === undefined) {
    dummy = bcrypt.hash(randomSecretHex(), cost);
    dummyHashes.set(cost, dummy);
  }
  await verifyPassword(plain, await dummy);
  return false;
}

/**
 * Checks a new password against the policy and returns every problem found (empty when acceptable).
 * Each entry is a sentence suitable for an error response's `details[].message`.
 */
export function checkPasswordPolicy(plain: string, context: { email?: string } = {}): string[] {
  const problems: string[] = [];
  if ([...plain].length < MIN_PASSWORD_CHARS) {
    problems.push(`password must be at least ${MIN_PASSWORD_CHARS} characters long`);
  }
  if (Buffer.byteLength(plain, 'utf8') > MAX_PASSWORD_BYTES) {
    problems.push(`password must be at most ${MAX_PASSWORD_BYTES} bytes long (UTF-8)`);
  }
  if (!/\p{L}/u.test(plain)) problems.push('password must contain at least one letter');
  if (!/\p{Nd}/u.test(plain)) problems.push('password must contain at least one digit');
  if (containsEmailName(plain, context.email)) {
    problems.push('password must not contain the name part of your email address');
  }
  return problems;
}

function containsEmailName(plain: string, email: string | undefined): boolean {
  const local = email?.split('@')[0]?.toLowerCase() ?? '';
  const lowered = plain.toLowerCase();
  // "john+amss@…" should also stop "john…"; names under 3 characters would reject too many good passwords.
  const names = [local, local.split('+')[0] ?? ''].filter((n) => n.length >= 3);
  return names.some((n) => lowered.includes(n));
}
