/** The signed-in session as the console keeps it: the API's tokens and what the access token says. */
export interface Session {
  accessToken: string;
  refreshToken: string;
  /** When the access token expires (ms since the epoch). */
  expiresAt: number;
  userId: string;
  orgId: string;
  role: Role;
  email: string;
}

export type Role = 'admin' | 'tenant_admin' | 'scheduler' | 'mechanic' | 'auditor';

const KEY = 'amss.session';

/** The claims of an access token, read without verifying (the server verifies every request). */
export function claimsOf(token: string): { sub: string; org_id: string; role: Role; exp: number } {
  const payload = token.split('.')[1] ?? '';
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(json) as { sub: string; org_id: string; role: Role; exp: number };
}

/**
 * The session lives in sessionStorage: it survives a reload and a token refresh, and ends with the
 * tab, so a shared hangar tablet does not stay signed in after the browser closes.
 */
export function loadSession(): Session | null {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as Session;
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null): void {
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
}
