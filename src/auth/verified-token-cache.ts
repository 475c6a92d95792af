import { LRUCache } from 'lru-cache';
import type { AccessClaims, AccessTokenVerifier } from '../app/tokens.js';

/**
 * Remembers access tokens it has already verified, until they expire. An RS256 signature check
 * costs more than the rest of a simple read; a token stays valid until `exp` whatever happens
 * (access tokens are not revocable), so answering from the cache changes no outcome. Refresh
 * tokens never pass through here.
 */
export class CachingAccessTokenVerifier implements AccessTokenVerifier {
  private readonly cache: LRUCache<string, AccessClaims & { exp: number }>;

  constructor(
    private readonly inner: { verifyAccessToken(token: string): Promise<AccessClaims & { exp: number }> },
    options: { max?: number; now?: () => number } = {},
  ) {
    this.now = options.now ?? Date.now;
    this.cache = new LRUCache({ max: options.max ?? 10_000 });
  }

  private readonly now: () => number;

  async verifyAccessToken(token: string): Promise<AccessClaims> {
    const cached = this.cache.get(token);
    if (cached && cached.exp * 1000 > this.now()) return cached;
    const claims = await this.inner.verifyAccessToken(token);
    this.cache.set(token, claims);
    return claims;
  }
}
