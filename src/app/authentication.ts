import { hashToken } from '../auth/tokens.js';
import { apiKeyScopeRefusal, isApiKeySecret, scopeRole } from '../domain/api-key.js';
import type { UserActor } from './actor.js';
import { AppError } from './errors.js';
import {
  PrincipalCache,
  type ApiKeyPrincipal,
  type PrincipalDirectory,
  type Revocations,
  type UserPrincipal,
} from './principals.js';
import type { AccessTokenVerifier } from './tokens.js';

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/;

/** The token of an `Authorization: Bearer <token>` value, or undefined when it is not one. */
export const bearerToken = (authorization: string | undefined): string | undefined =>
  BEARER.exec(authorization ?? '')?.[1];

/** Who authenticates a request: REST and gRPC share one, so both see a revocation at the same moment. */
export interface RequestAuthenticator {
  /** The actor of an `Authorization` value (an HTTP header or gRPC metadata); 401 for anything else. */
  authenticate(authorization: string | undefined): Promise<UserActor>;
}

export interface AuthenticatorDeps {
  verifier: AccessTokenVerifier;
  principals: PrincipalDirectory;
  /** Announcements that drop cached principal state at once (user deleted, role or password changed, key revoked). */
  revocations: Pick<Revocations, 'subscribe'>;
  /** How long a principal's state is cached (default 5 s): the most a missed announcement delays a revocation. */
  cacheTtlMs?: number | undefined;
  now?: (() => number) | undefined;
}

/**
 * Authenticates a request by its Bearer credential, an access token or an API key (`amss_…`), and
 * the principal's current state says whether it still counts. For a token, a valid signature says
 * who signed in; a deleted user (or one of a deleted organization) is refused, a password change
 * refuses the tokens issued before it, and the role is the one the user has now, not the one in
 * the token. A key counts while it is not revoked and its owner may still hold it. That state is
 * cached per process for a few seconds and dropped at once when a change is announced.
 */
export class Authenticator implements RequestAuthenticator {
  private readonly users: PrincipalCache<UserPrincipal>;
  private readonly apiKeys: PrincipalCache<ApiKeyPrincipal>;

  constructor(private readonly deps: AuthenticatorDeps) {
    this.users = new PrincipalCache({ ttlMs: deps.cacheTtlMs, now: deps.now });
    this.apiKeys = new PrincipalCache({ ttlMs: deps.cacheTtlMs, now: deps.now });
    deps.revocations.subscribe((subject) => {
      this.users.forget(subject);
      this.apiKeys.forget(subject);
    });
  }

  /**
   * 401 without a credential, and the same 401 for any that is not a valid, unexpired access
   * token of a live user or a live API key, so nothing tells a forged one from an expired or
   * revoked one.
   */
  async authenticate(authorization: string | undefined): Promise<UserActor> {
    const token = bearerToken(authorization);
    if (token === undefined) throw AppError.unauthenticated('a Bearer access token or API key is required');
    return isApiKeySecret(token) ? this.apiKeyActor(token) : this.tokenActor(token);
  }

  private async tokenActor(token: string): Promise<UserActor> {
    let claims;
    try {
      claims = await this.deps.verifier.verifyAccessToken(token);
    } catch {
      throw invalidToken();
    }
    const { org_id: orgId, sub: userId } = claims;
    const user = await this.users.get(
      `user:${orgId}:${userId}`,
      () => ({ orgId, userId }),
      () => this.deps.principals.findUser(orgId, userId),
    );
    if (!user || issuedBefore(claims, user.sessionsRevokedAt)) throw invalidToken();
    return { kind: 'user', userId, orgId, role: user.role, scopes: claims.scopes ?? [] };
  }

  private async apiKeyActor(secret: string): Promise<UserActor> {
    const secretHash = hashToken(secret);
    const key = await this.apiKeys.get(
      `api_key:${secretHash}`,
      (found) => found && { orgId: found.orgId, userId: found.ownerId, apiKeyId: found.id },
      () => this.deps.principals.useApiKey(secretHash),
    );
    // A key never has more rights than its owner may grant today (demoted or deleted owner: none).
    if (!key || apiKeyScopeRefusal(key.ownerRole, key.scope) !== undefined) throw invalidToken();
    return {
      kind: 'user',
      userId: key.ownerId,
      orgId: key.orgId,
      role: scopeRole(key.scope),
      scopes: [],
      apiKey: { id: key.id, name: key.name },
    };
  }
}

/**
 * Whether a token predates the sign-out at `revokedAt`: to the millisecond (`iat_ms`), so a token
 * stolen in the same second as a password change dies with the others; a token signed before
 * `iat_ms` existed is judged by its whole second.
 */
const issuedBefore = (claims: { iat: number; iat_ms?: number }, revokedAt: Date | null): boolean =>
  revokedAt !== null &&
  (claims.iat_ms !== undefined
    ? claims.iat_ms < revokedAt.getTime()
    : claims.iat < Math.floor(revokedAt.getTime() / 1000));

const invalidToken = () =>
  AppError.unauthenticated('the access token or API key is invalid, expired or revoked', 'INVALID_TOKEN');
