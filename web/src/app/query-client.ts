import { QueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/errors';

/**
 * Server state: fresh for 30 s (live events invalidate what changed sooner), no retry of a refusal
 * the API gave in words (4xx), a few retries of what may pass on a second try.
 */
export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 30_000,
      refetchOnWindowFocus: true,
      retry: (failures, error) => !(error instanceof ApiError && error.status < 500) && failures < 2,
    },
    mutations: { retry: false },
  },
});
