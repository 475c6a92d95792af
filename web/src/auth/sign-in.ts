import { api } from '../api/client';
import { unwrap } from '../api/errors';
import { queryClient } from '../app/query-client';
import { sessionOf, sessionStore } from './store';

/** Signs in; `orgId` only when the email and password match accounts in several organizations. */
export async function signIn(input: { email: string; password: string; orgId?: string }): Promise<void> {
  const tokens = await unwrap(
    api.POST('/api/v1/auth/login', {
      body: { email: input.email, password: input.password, ...(input.orgId ? { org_id: input.orgId } : {}) },
    }),
  );
  queryClient.clear();
  sessionStore.set(sessionOf(tokens, input.email.trim().toLowerCase()));
}

/** Ends the session on the server (its refresh token family) and here, whatever the server says. */
export async function signOut(): Promise<void> {
  const session = sessionStore.get();
  if (session) {
    await api
      .POST('/api/v1/auth/logout', { body: { refresh_token: session.refreshToken } })
      .catch(() => undefined);
  }
  sessionStore.set(null);
  queryClient.clear();
}
