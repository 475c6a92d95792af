import createClient, { type Middleware } from 'openapi-fetch';
import { sessionOf, sessionStore } from '../auth/store';
import type { paths } from './schema';

/** Refresh this long before the access token expires, so no request meets an expired one. */
const REFRESH_AHEAD_MS = 60_000;

let refreshing: Promise<boolean> | null = null;

/**
 * Exchanges the refresh token for a new pair, once for all the requests waiting on it (the API
 * rotates refresh tokens: two refreshes with the same token would revoke the family). False when
 * the session is over: the console then asks to sign in again.
 */
export function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    const session = sessionStore.get();
    if (!session) return false;
    try {
      const response = await fetch('/api/v1/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: session.refreshToken }),
      });
      if (!response.ok) {
        if (response.status === 401) sessionStore.set(null);
        return false;
      }
      const tokens = (await response.json()) as { access_token: string; refresh_token: string };
      sessionStore.set(sessionOf(tokens, session.email));
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** A valid access token, refreshed first when it is about to expire. */
export async function accessToken(): Promise<string | undefined> {
  const session = sessionStore.get();
  if (!session) return undefined;
  if (session.expiresAt - Date.now() < REFRESH_AHEAD_MS) await refreshSession();
  return sessionStore.get()?.accessToken;
}

const retries = new WeakMap<Request, Request>();

const auth: Middleware = {
  async onRequest({ request }) {
    if (request.url.includes('/api/v1/auth/login') || request.url.includes('/api/v1/auth/refresh'))
      return request;
    const token = await accessToken();
    if (token) request.headers.set('Authorization', `Bearer ${token}`);
    // A copy to send again once, should the token turn out expired or revoked meanwhile.
    retries.set(request, request.clone());
    return request;
  },
  async onResponse({ request, response }) {
    const retry = retries.get(request);
    if (response.status !== 401 || !retry || !sessionStore.get()) return response;
    // Only a refused token is renewed: a signature's wrong password (also a 401) must not be sent
    // twice, each try counting as a failed login.
    const { reason } = (await response
      .clone()
      .json()
      .catch(() => ({}))) as { reason?: string };
    if (reason !== 'INVALID_TOKEN' && reason !== 'UNAUTHENTICATED') return response;
    if (!(await refreshSession())) return response;
    retry.headers.set('Authorization', `Bearer ${sessionStore.get()!.accessToken}`);
    return fetch(retry);
  },
};

/** The typed AMSS client, generated from AMSS's own OpenAPI document (`npm run web:api`). */
export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(auth);
