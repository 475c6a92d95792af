import { randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT, type CryptoKey, type JWTHeaderParameters, type JWTPayload } from 'jose';
import { JWT_ALG, type JwtKeys } from './keys.js';

/** `iss` of every token AMSS issues. */
export const DEFAULT_ISSUER = 'amss';
/** `aud` of every token AMSS issues. */
export const DEFAULT_AUDIENCE = 'amss-api';
/** Access token lifetime when none is configured: 15 minutes. */
export const DEFAULT_ACCESS_TTL_SECONDS = 15 * 60;
/** Refresh token lifetime when none is configured: 7 days. */
export const DEFAULT_REFRESH_TTL_SECONDS = 7 * 24 * 60 * 60;

// Far above any token we issue; refuses to parse megabytes of attacker input.
const MAX_TOKEN_LENGTH = 8192;

/** What the caller decides when issuing an access token. */
export interface AccessTokenInput {
  /** User id. */
  sub: string;
  /** Tenant (organization) id. */
  org_id: string;
  /** The user's role (`admin`, `tenant_admin`, `scheduler`, `mechanic`, `auditor`). */
  role: string;
  /** Optional extra permissions. */
  scopes?: string[];
}

/** The claims of a verified access token. */
export interface AccessTokenClaims extends AccessTokenInput {
  typ: 'access';
  iss: string;
  aud: string;
  /** Issued at, unix seconds. */
  iat: number;
  /**
   * Issued at, unix milliseconds (private claim `iat_ms`): `iat` is whole seconds, too coarse to tell
   * a token signed just before a sign-out-everywhere from one signed just after it. Absent on tokens
   * signed before it was added.
   */
  iat_ms?: number;
  /** Expires at, unix seconds. */
  exp: number;
  /** Unique token id. */
  jti: string;
}

/** What the caller decides when issuing a refresh token. */
export interface RefreshTokenInput {
  /** User id. */
  sub: string;
  /** Tenant (organization) id. */
  org_id: string;
  /** Rotation family: every token minted by refreshing descends from one login; reuse revokes the family. */
  family_id: string;
  /** Unique token id, as recorded in the refresh token table. */
  jti: string;
}

/** The claims of a verified refresh token. */
export interface RefreshTokenClaims extends RefreshTokenInput {
  typ: 'refresh';
  iss: string;
  aud: string;
  iat: number;
  exp: number;
}

/** Service token lifetime: long enough for one call between AMSS processes, no longer. */
export const SERVICE_TOKEN_TTL_SECONDS = 5 * 60;

/** The claims of a verified service token: a background job of AMSS calling another AMSS process. */
export interface ServiceTokenClaims {
  typ: 'service';
  /** The job, e.g. `program-generator` (`sub` is `system:<job>`). */
  job: string;
}

/**
 * Any token that fails verification, for whatever reason. The message is deliberately the same for all of
 * them so that a client learns nothing about which check failed.
 */
export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError';
  constructor() {
    super('invalid or expired token');
  }
}

/** How a {@link TokenIssuer} signs and checks tokens. */
export interface TokenIssuerOptions {
  /** The current signing key pair. */
  keys: JwtKeys;
  /** Public keys of retired key pairs whose tokens are still accepted until they expire (key rotation). */
  previousKeys?: ReadonlyArray<Pick<JwtKeys, 'publicKey' | 'kid'>>;
  /** Access token lifetime in seconds (default 900). */
  accessTtlSeconds?: number;
  /** Refresh token lifetime in seconds (default 604800). */
  refreshTtlSeconds?: number;
  /** `iss` to issue and require (default `amss`). */
  issuer?: string;
  /** `aud` to issue and require (default `amss-api`). */
  audience?: string;
  /** Allowed clock skew between servers when checking `exp`/`iat`, in seconds (default 5). */
  clockToleranceSeconds?: number;
  /** Clock; tests pass a fixed one. */
  now?: () => Date;
}

/** Signs and verifies RS256 access and refresh JWTs. */
export class TokenIssuer {
  /** Access token lifetime in seconds (the login response's `expires_in`). */
  readonly accessTtlSeconds: number;
  /** Refresh token lifetime in seconds. */
  readonly refreshTtlSeconds: number;
  private readonly keys: JwtKeys;
  private readonly verificationKeys: ReadonlyMap<string, CryptoKey>;
  private readonly issuer: string;
  private readonly audience: string;
  private readonly clockTolerance: number;
  private readonly now: () => Date;

  constructor(options: TokenIssuerOptions) {
    this.keys = options.keys;
    this.accessTtlSeconds = positiveSeconds(
      options.accessTtlSeconds ?? DEFAULT_ACCESS_TTL_SECONDS,
      'accessTtlSeconds',
    );
    this.refreshTtlSeconds = positiveSeconds(
      options.refreshTtlSeconds ?? DEFAULT_REFRESH_TTL_SECONDS,
      'refreshTtlSeconds',
    );
    this.issuer = options.issuer ?? DEFAULT_ISSUER;
    this.audience = options.audience ?? DEFAULT_AUDIENCE;
    this.clockTolerance = options.clockToleranceSeconds ?? 5;
    this.now = options.now ?? (() => new Date());
    this.verificationKeys = new Map(
      [...(options.previousKeys ?? []), options.keys].map((k) => [k.kid, k.publicKey] as const),
    );
  }

  /** Issues an access token (`typ: access`) with a fresh `jti`. */
  async signAccessToken(input: AccessTokenInput): Promise<string> {
    const payload: JWTPayload = { typ: 'access', org_id: input.org_id, role: input.role };
    if (input.scopes !== undefined) payload.scopes = [...input.scopes];
    return this.sign(payload, input.sub, randomUUID(), this.accessTtlSeconds);
  }

  /** Issues a refresh token (`typ: refresh`) carrying the caller's `jti` and rotation `family_id`. */
  async signRefreshToken(input: RefreshTokenInput): Promise<string> {
    const payload: JWTPayload = { typ: 'refresh', org_id: input.org_id, family_id: input.family_id };
    return this.sign(payload, input.sub, input.jti, this.refreshTtlSeconds);
  }

  /**
   * Issues a service token (`typ: service`, `sub: system:<job>`, five minutes): how a worker job
   * calls the server's gRPC API with the system actor. Only holders of the private key can make one.
   */
  async signServiceToken(job: string): Promise<string> {
    return this.sign({ typ: 'service' }, `system:${job}`, randomUUID(), SERVICE_TOKEN_TTL_SECONDS);
  }

  /**
   * Verifies a service token the same way as the others, requiring `typ: service`.
   * @throws InvalidTokenError on any failure.
   */
  async verifyServiceToken(token: string): Promise<ServiceTokenClaims> {
    const p = await this.verify(token, 'service');
    const job = typeof p.sub === 'string' && /^system:([a-z][a-z0-9-]{0,62})$/.exec(p.sub)?.[1];
    if (!job) throw new InvalidTokenError();
    return { typ: 'service', job };
  }

  /**
   * Verifies an access token: RS256 only, a known `kid`, the configured issuer and audience, not expired,
   * and `typ: access`.
   * @throws InvalidTokenError on any failure.
   */
  async verifyAccessToken(token: string): Promise<AccessTokenClaims> {
    const p = await this.verify(token, 'access');
    const scopes = p.scopes;
    if (!isNonEmptyString(p.role)) throw new InvalidTokenError();
    if (scopes !== undefined && !isStringArray(scopes)) throw new InvalidTokenError();
    const claims = this.registered(p);
    // Only an iat_ms within the signed iat's second is believed (it is ours, so it always is).
    const iatMs =
      typeof p.iat_ms === 'number' && Math.floor(p.iat_ms / 1000) === claims.iat ? p.iat_ms : undefined;
    return {
      ...claims,
      typ: 'access',
      role: p.role,
      ...(iatMs !== undefined ? { iat_ms: iatMs } : {}),
      ...(scopes !== undefined ? { scopes } : {}),
    };
  }

  /**
   * Verifies a refresh token the same way, requiring `typ: refresh`. The caller must still check the
   * token's hash against the database, which is what makes revocation and rotation work.
   * @throws InvalidTokenError on any failure.
   */
  async verifyRefreshToken(token: string): Promise<RefreshTokenClaims> {
    const p = await this.verify(token, 'refresh');
    if (!isNonEmptyString(p.family_id)) throw new InvalidTokenError();
    return { ...this.registered(p), typ: 'refresh', family_id: p.family_id };
  }

  private async sign(payload: JWTPayload, sub: string, jti: string, ttlSeconds: number): Promise<string> {
    const issuedAt = this.now().getTime();
    const iat = Math.floor(issuedAt / 1000);
    return new SignJWT({ ...payload, iat_ms: issuedAt })
      .setProtectedHeader({ alg: JWT_ALG, typ: 'JWT', kid: this.keys.kid })
      .setSubject(sub)
      .setJti(jti)
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttlSeconds)
      .sign(this.keys.privateKey);
  }

  private async verify(token: string, typ: 'access' | 'refresh' | 'service'): Promise<JWTPayload> {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw new InvalidTokenError();
    const now = this.now();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, (header: JWTHeaderParameters) => this.keyFor(header), {
        algorithms: [JWT_ALG],
        issuer: this.issuer,
        audience: this.audience,
        clockTolerance: this.clockTolerance,
        currentDate: now,
        requiredClaims: ['sub', 'iat', 'exp', 'jti'],
      }));
    } catch {
      throw new InvalidTokenError();
    }
    // jose checks iat only together with maxTokenAge; a token "issued" in the future is not one we made.
    const iatOk =
      typeof payload.iat === 'number' && payload.iat <= now.getTime() / 1000 + this.clockTolerance;
    if (payload.typ !== typ || !iatOk) throw new InvalidTokenError();
    return payload;
  }

  private keyFor(header: JWTHeaderParameters): CryptoKey {
    const key = header.kid === undefined ? undefined : this.verificationKeys.get(header.kid);
    if (key === undefined) throw new InvalidTokenError();
    return key;
  }

  /** Registered and tenant claims shared by both token types, checked for shape. */
  private registered(p: JWTPayload): Omit<RefreshTokenClaims, 'typ' | 'family_id'> {
    const { sub, jti, iat, exp, org_id } = p;
    if (!isNonEmptyString(sub) || !isNonEmptyString(jti) || !isNonEmptyString(org_id)) {
      throw new InvalidTokenError();
    }
    if (typeof iat !== 'number' || typeof exp !== 'number') throw new InvalidTokenError();
    return { sub, jti, iat, exp, org_id, iss: this.issuer, aud: this.audience };
  }
}

function isNonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

function positiveSeconds(value: number, name: string): number {
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive whole number`);
  return value;
}
