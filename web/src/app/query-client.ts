import { QueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/errors';

/** Whether a failed read may pass on another try: not a refusal the API gave in words (4xx), but a rate limit may. */
function retryable(failures: number, error: Error): boolean {
  if (!(error instanceof ApiError)) return failures < 2;
  if (error.status === 429) return failures < 4;
  return error.status >= 500 && failures < 2;
}

/**
 * Server state: fresh for 30 s (live events invalidate what changed sooner); a rate-limited read
 * waits as long as the API's Retry-After says, other retries back off.
 */
export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 30_000,
      refetchOnWindowFocus: true,
      retry: retryable,
      retryDelay: (attempt, error) =>
        error instanceof ApiError && error.retryAfterMs
          ? error.retryAfterMs
          : Math.min(1000 * 2 ** attempt, 8000),
    },
    mutations: { retry: false },
  },
});
