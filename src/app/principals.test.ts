import { describe, expect, it } from 'vitest';
import { PrincipalCache } from './principals.js';

const owner = () => ({ orgId: 'o-1', userId: 'u-1' });

describe('PrincipalCache', () => {
  it('reads a principal once per TTL however many requests ask, and again after it', async () => {
    let now = 0;
    let reads = 0;
    const cache = new PrincipalCache<string>({ ttlMs: 5_000, now: () => now });
    const load = async () => `role-${++reads}`;
    const first = await Promise.all([1, 2, 3].map(() => cache.get('user:o-1:u-1', owner, load)));
    expect(first).toEqual(['role-1', 'role-1', 'role-1']);
    now = 4_999;
    expect(await cache.get('user:o-1:u-1', owner, load)).toBe('role-1');
    now = 5_000;
    expect(await cache.get('user:o-1:u-1', owner, load)).toBe('role-2');
  });

  it('drops the entries a revocation names, whole organizations too, and keeps the rest', async () => {
    const cache = new PrincipalCache<string>({ ttlMs: 60_000 });
    let reads = 0;
    const load = async () => `v${++reads}`;
    const other = () => ({ orgId: 'o-2', userId: 'u-9' });
    await cache.get('a', owner, load);
    await cache.get('b', other, load);
    cache.forget({ orgId: 'o-1', userId: 'u-1' });
    expect(await cache.get('a', owner, load)).toBe('v3');
    expect(await cache.get('b', other, load)).toBe('v2');
    cache.forget({ orgId: 'o-2' });
    expect(await cache.get('b', other, load)).toBe('v4');
  });

  it('does not keep a lookup that was running when a revocation arrived', async () => {
    const cache = new PrincipalCache<string>({ ttlMs: 60_000 });
    let release!: (value: string) => void;
    const stale = cache.get('a', owner, () => new Promise<string>((resolve) => (release = resolve)));
    cache.forget({ orgId: 'o-1', userId: 'u-1' });
    release('before the change');
    expect(await stale).toBe('before the change');
    expect(await cache.get('a', owner, async () => 'after the change')).toBe('after the change');
  });
});
