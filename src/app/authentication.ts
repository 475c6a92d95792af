import type { UserActor } from './actor.js';
import { AppError } from './errors.js';
import type { AccessTokenVerifier } from './tokens.js';
import { isRole } from '../domain/roles.js';

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/;

/** The token of an `Authorization: Bearer <token>` value, or undefined when it is not one. */
export const bearerToken = (authorization: string | undefined): string | undefined =>
  BEARER.exec(authorization ?? '')?.[1];

/**
 * The signed-in user of an `Authorization: Bearer <access token>` value (an HTTP header or gRPC
 * metadata): 401 without a token, and the same 401 for any token that is not a valid, unexpired
 * access token with a known role, so nothing tells a forged token from an expired one.
 */
export async function authenticateBearer(
  verifier: AccessTokenVerifier,
  authorization: string | undefined,
): Promise<UserActor> {
  const token = bearerToken(authorization);
  if (token === undefined) throw AppError.unauthenticated('a Bearer access token is required');
  let claims;
  try {
    claims = await verifier.verifyAccessToken(token);
  } catch {
    throw invalidToken();
  }
  if (!isRole(claims.role)) throw invalidToken();
  return {
    kind: 'user',
    userId: claims.sub,
    orgId: claims.org_id,
    role: claims.role,
    scopes: claims.scopes ?? [],
  };
}

const invalidToken = () =>
  AppError.unauthenticated('the access token is invalid or expired', 'INVALID_TOKEN');
