/** The claims AMSS relies on from a verified access token. */
export interface AccessClaims {
  sub: string;
  org_id: string;
  /** Checked against the known roles by the caller. */
  role: string;
  scopes?: string[] | undefined;
}

/** The claims of an access token whose signature and lifetime were checked. */
export interface VerifiedAccessClaims extends AccessClaims {
  /** Issued at, unix seconds: a sign-out everywhere refuses tokens issued before it. */
  iat: number;
  /** Issued at to the millisecond, when the token carries it: tells apart tokens of one second. */
  iat_ms?: number;
}

/** Verifies bearer tokens; throws on anything not a valid, unexpired RS256 access token. */
export interface AccessTokenVerifier {
  verifyAccessToken(token: string): Promise<VerifiedAccessClaims>;
}

/** Verifies the service tokens AMSS processes call each other with; throws on anything else. */
export interface ServiceTokenVerifier {
  /** The job a valid, unexpired service token speaks for. */
  verifyServiceToken(token: string): Promise<{ job: string }>;
}

/** The claims of a verified refresh token that the refresh flow relies on. */
export interface RefreshClaims {
  /** User id. */
  sub: string;
  org_id: string;
  /** Rotation family: every token refreshed from one login shares it. */
  family_id: string;
  /** The token's id, as recorded in the refresh token table. */
  jti: string;
}

/** Issues the token pair of a session and checks refresh tokens (RS256 JWTs, see src/auth/jwt.ts). */
export interface SessionTokens {
  /** Access token lifetime in seconds (the login response's `expires_in`). */
  readonly accessTtlSeconds: number;
  /** Refresh token lifetime in seconds (how long its database row stays valid). */
  readonly refreshTtlSeconds: number;
  signAccessToken(claims: AccessClaims): Promise<string>;
  signRefreshToken(claims: RefreshClaims): Promise<string>;
  /** Throws on anything not a valid, unexpired RS256 refresh token. */
  verifyRefreshToken(token: string): Promise<RefreshClaims>;
}
