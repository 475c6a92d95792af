/** The claims AMSS relies on from a verified access token. */
export interface AccessClaims {
  sub: string;
  org_id: string;
  /** Checked against the known roles by the caller. */
  role: string;
  scopes?: string[] | undefined;
}

/** Verifies bearer tokens; throws on anything not a valid, unexpired RS256 access token. */
export interface AccessTokenVerifier {
  verifyAccessToken(token: string): Promise<AccessClaims>;
}
