import { describe, it, expect } from 'vitest';
import {
  checkPasswordPolicy,
  DUMMY_HASH,
  hashPassword,
  verifyAgainstNothing,
  verifyPassword,
} from './passwords.js';

describe('hashPassword / verifyPassword', () => {
  it('accepts the right password and rejects a wrong one', async () => {
    const hash = await hashPassword('correct horse 42', 4);
    expect(hash).toMatch(/^\$2b\$04\$/);
    expect(await verifyPassword('correct horse 42', hash)).toBe(true);
    expect(await verifyPassword('correct horse 43', hash)).toBe(false);
  });

  it('answers false rather than failing when the stored hash is malformed', async () => {
    expect(await verifyPassword('anything 123', 'not-a-bcrypt-hash')).toBe(false);
  });
});

describe('verifyAgainstNothing', () => {
  it('always answers false, at the default cost and at a test cost', async () => {
    expect(DUMMY_HASH).toMatch(/^\$2b\$12\$/);
    expect(await verifyAgainstNothing('whatever 123', 4)).toBe(false);
    expect(await verifyAgainstNothing('whatever 123')).toBe(false);
  });
});

describe('checkPasswordPolicy', () => {
  const email = 'jane.doe@example.com';

  it('accepts a long password with letters and digits', () => {
    expect(checkPasswordPolicy('hangar-7-tailwind', { email })).toEqual([]);
  });

  it('lists every problem of a bad password at once', () => {
    expect(checkPasswordPolicy('short')).toEqual([
      'password must be at least 12 characters long',
      'password must contain at least one digit',
    ]);
    expect(checkPasswordPolicy('123456789012')).toEqual(['password must contain at least one letter']);
  });

  it('rejects a password longer than 72 bytes even when it has fewer characters', () => {
    const problems = checkPasswordPolicy('ä1'.repeat(25)); // 50 characters, 75 bytes
    expect(problems).toEqual(['password must be at most 72 bytes long (UTF-8)']);
    expect(checkPasswordPolicy('a1'.repeat(36))).toEqual([]);
  });

  it('rejects a password containing the email name, in any case', () => {
    const expected = ['password must not contain the name part of your email address'];
    expect(checkPasswordPolicy('Jane.Doe2024!', { email })).toEqual(expected);
    expect(checkPasswordPolicy('xxjohn1234567', { email: 'john+amss@example.com' })).toEqual(expected);
  });

  it('does not reject common letters because the email name is very short', () => {
    expect(checkPasswordPolicy('a-long-pass-99', { email: 'a@example.com' })).toEqual([]);
  });
});
