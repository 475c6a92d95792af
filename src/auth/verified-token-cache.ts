import { LRUCache } from 'lru-cache';
import type { AccessTokenVerifier, VerifiedAccessClaims } from '../app/tokens.js';

/**
 * Remembers access tokens it has already verified, until they expire. An RS256 signature check
 * costs more than the rest of a simple read; a signature stays valid until `exp` whatever happens,
 * so answering from the cache changes no outcome. Whether the token's user may still use it
 * (deleted, role changed, signed out everywhere) is checked after this, against the user's current
 * state (src/app/authentication.ts). Refresh tokens never pass through here.
 */
export class CachingAccessTokenVerifier implements AccessTokenVerifier {
  private readonly cache: LRUCache<string, VerifiedAccessClaims & { exp: number }>;

  constructor(
    private readonly inner: {
      verifyAccessToken(token: string): Promise<VerifiedAccessClaims & { exp: number }>;
    },
    options: { max?: number; now?: () => number } = {},
  ) {
    this.now = options.now ?? Date.now;
    this.cache = new LRUCache({ max: options.max ?? 10_000 });
  }

  private readonly now: () => number;

  async verifyAccessToken(token: string): Promise<VerifiedAccessClaims> {
    const cached = this.cache.get(token);
    if (cached && cached.exp * 1000 > this.now()) return cached;
    const claims = await this.inner.verifyAccessToken(token);
    this.cache.set(token, claims);
    return claims;
  }
}
