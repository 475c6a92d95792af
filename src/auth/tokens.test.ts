import { describe, it, expect } from 'vitest';
import { constantTimeEqual, hashToken, randomSecretHex } from './tokens.js';

describe('hashToken', () => {
  it('gives the same 64-character hex digest for the same token and a different one otherwise', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashToken('abc')).toBe(hashToken('abc'));
    expect(hashToken('abd')).not.toBe(hashToken('abc'));
  });
});

describe('randomSecretHex', () => {
  it('returns twice as many hex characters as bytes, different every call', () => {
    expect(randomSecretHex()).toMatch(/^[0-9a-f]{64}$/);
    expect(randomSecretHex(16)).toMatch(/^[0-9a-f]{32}$/);
    expect(randomSecretHex()).not.toBe(randomSecretHex());
  });

  it('refuses to make a secret shorter than 16 bytes', () => {
    expect(() => randomSecretHex(8)).toThrow(RangeError);
  });
});

describe('constantTimeEqual', () => {
  it('is true only for identical strings', () => {
    expect(constantTimeEqual('s3cret', 's3cret')).toBe(true);
    expect(constantTimeEqual('s3cret', 's3creT')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
  });

  it('returns false instead of throwing when lengths differ', () => {
    expect(constantTimeEqual('short', 'a much longer string')).toBe(false);
    expect(constantTimeEqual('', 'x')).toBe(false);
    expect(constantTimeEqual('é', 'e')).toBe(false);
  });
});
