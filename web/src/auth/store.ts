import { useSyncExternalStore } from 'react';
import { claimsOf, loadSession, saveSession, type Session } from './tokens';

type Listener = () => void;

let current: Session | null = loadSession();
const listeners = new Set<Listener>();

/** The one place the session changes: sign-in, refresh, sign-out. */
export const sessionStore = {
  get: (): Session | null => current,
  set: (next: Session | null): void => {
    current = next;
    saveSession(next);
    for (const listener of listeners) listener();
  },
  subscribe: (listener: Listener): (() => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

/** The session from a login or refresh answer. */
export function sessionOf(tokens: { access_token: string; refresh_token: string }, email: string): Session {
  const claims = claimsOf(tokens.access_token);
  return {
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    expiresAt: claims.exp * 1000,
    userId: claims.sub,
    orgId: claims.org_id,
    role: claims.role,
    email,
  };
}

/** The current session, re-rendering on every change. */
export function useSession(): Session | null {
  return useSyncExternalStore(sessionStore.subscribe, sessionStore.get);
}
