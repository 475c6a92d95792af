import type { UserActor } from './actor.js';
import { AppError } from './errors.js';
import {
  PrincipalCache,
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
  /** Announcements that drop cached principal state at once (user deleted, role or password changed). */
  revocations: Pick<Revocations, 'subscribe'>;
  /** How long a principal's state is cached (default 5 s): the most a missed announcement delays a revocation. */
  cacheTtlMs?: number | undefined;
  now?: (() => number) | undefined;
}

/**
 * Authenticates a request by its Bearer access token: a valid signature says who signed in, and
 * the principal's current state says whether that still counts. A deleted user (or one of a
 * deleted organization) is refused, a password change refuses the tokens issued before it, and
 * the role is the one the user has now, not the one in the token. That state is cached per
 * process for a few seconds and dropped at once when a change is announced.
 */
export class Authenticator implements RequestAuthenticator {
  private readonly users: PrincipalCache<UserPrincipal>;

  constructor(private readonly deps: AuthenticatorDeps) {
    this.users = new PrincipalCache({ ttlMs: deps.cacheTtlMs, now: deps.now });
    deps.revocations.subscribe((subject) => this.users.forget(subject));
  }

  /**
   * 401 without a token, and the same 401 for any token that is not a valid, unexpired access
   * token of a live user, so nothing tells a forged token from an expired or revoked one.
   */
  async authenticate(authorization: string | undefined): Promise<UserActor> {
    const token = bearerToken(authorization);
    if (token === undefined) throw AppError.unauthenticated('a Bearer access token is required');
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
    if (!user || issuedBefore(claims.iat, user.sessionsRevokedAt)) throw invalidToken();
    return { kind: 'user', userId, orgId, role: user.role, scopes: claims.scopes ?? [] };
  }
}

/** Whether a token issued at `iat` (unix seconds) predates the sign-out at `revokedAt`. */
const issuedBefore = (iat: number, revokedAt: Date | null): boolean =>
  revokedAt !== null && iat < Math.floor(revokedAt.getTime() / 1000);

const invalidToken = () =>
  AppError.unauthenticated('the access token is invalid, expired or revoked', 'INVALID_TOKEN');
