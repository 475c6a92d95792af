import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { accessToken, refreshSession } from '../api/client';
import { sessionStore, useSession } from '../auth/store';
import { staleKeysOf } from './invalidation';

/** The connection's state, for the header's indicator. */
export type LiveState = 'connecting' | 'live' | 'offline';

/** Invalidations are batched: a burst of events (an import, a cascade) refetches once. */
const BATCH_MS = 300;

interface ServerMessage {
  id: string | null;
  type: string;
  data: unknown;
}

/**
 * Follows the organization's events over the authenticated WebSocket (docs/API_GUIDE.md, "Live
 * events"): the token travels as the `bearer` subprotocol, never in the URL; a reconnect resumes
 * from the last event id; a `resync` or a reconnect after a gap refetches everything shown.
 * Dashboard messages replace the cached dashboard directly.
 */
export function useLiveEvents(): LiveState {
  const session = useSession();
  const queryClient = useQueryClient();
  const [state, setState] = useState<LiveState>('connecting');
  const lastId = useRef<string | null>(null);
  const signedIn = session !== null;

  useEffect(() => {
    if (!signedIn) return;
    let socket: WebSocket | null = null;
    let stopped = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let attempts = 0;
    const pending = new Set<string>();
    let flush: ReturnType<typeof setTimeout> | undefined;

    const invalidate = (keys: string[]) => {
      for (const key of keys) pending.add(key);
      flush ??= setTimeout(() => {
        flush = undefined;
        for (const key of pending) void queryClient.invalidateQueries({ queryKey: [key] });
        pending.clear();
      }, BATCH_MS);
    };

    const open = async () => {
      const token = await accessToken();
      if (stopped || !token) return;
      const url = new URL('/api/v1/ws', window.location.href);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      if (lastId.current) url.searchParams.set('last_id', lastId.current);
      setState('connecting');
      socket = new WebSocket(url, ['bearer', token]);
      socket.onmessage = (message) => {
        const parsed = JSON.parse(String(message.data)) as ServerMessage;
        if (parsed.type === 'authenticated') {
          attempts = 0;
          setState('live');
          return;
        }
        if (parsed.type === 'heartbeat') return;
        if (parsed.type === 'resync') {
          void queryClient.invalidateQueries();
          return;
        }
        if (parsed.type === 'dashboard') {
          queryClient.setQueryData(['dashboard'], parsed.data);
          return;
        }
        if (parsed.id) lastId.current = parsed.id;
        invalidate(staleKeysOf(parsed.type));
      };
      socket.onclose = (event) => {
        socket = null;
        if (stopped) return;
        setState('offline');
        if (event.code === 4002 || event.code === 4401) {
          // Revoked or refused: the session is over.
          void refreshSession().then((ok) => {
            if (!ok) sessionStore.set(null);
            else schedule();
          });
          return;
        }
        schedule();
      };
    };

    const schedule = () => {
      attempts += 1;
      const delay = Math.min(30_000, 500 * 2 ** Math.min(attempts, 6));
      retry = setTimeout(() => void open(), delay);
    };

    // A refreshed token extends the open connection past the old one's expiry (same user).
    let sentToken: string | undefined;
    const unsubscribe = sessionStore.subscribe(() => {
      const token = sessionStore.get()?.accessToken;
      if (token && token !== sentToken && socket?.readyState === WebSocket.OPEN) {
        sentToken = token;
        socket.send(JSON.stringify({ type: 'auth', token }));
      }
    });

    void open();
    return () => {
      stopped = true;
      unsubscribe();
      clearTimeout(retry);
      clearTimeout(flush);
      socket?.close(1000, 'signed out');
    };
  }, [signedIn, queryClient]);

  return signedIn ? state : 'offline';
}
