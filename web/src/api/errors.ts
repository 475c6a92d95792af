/** The API's error envelope (docs/API_GUIDE.md, "Errors"). */
export interface ErrorEnvelope {
  error: string;
  code: string;
  reason: string;
  request_id?: string;
  details?: { field?: string; message: string; org_id?: string; name?: string }[];
}

/** A refused request, carrying the API's own words: what the console shows the user. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly envelope: ErrorEnvelope,
    /** A rate limit's `Retry-After`, in ms, when the API sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(envelope.error);
    this.name = 'ApiError';
  }

  get reason(): string {
    return this.envelope.reason;
  }
}

function isEnvelope(value: unknown): value is ErrorEnvelope {
  return typeof value === 'object' && value !== null && 'error' in value && 'reason' in value;
}

/** The envelope of a failed response, or one in the same shape for a body that is not one (a proxy's page). */
export function toApiError(status: number, body: unknown, response?: Response): ApiError {
  const retryAfter = Number(response?.headers.get('Retry-After'));
  if (isEnvelope(body)) return new ApiError(status, body, retryAfter > 0 ? retryAfter * 1000 : undefined);
  return new ApiError(status, {
    error: status === 0 ? 'AMSS cannot be reached' : `the server answered ${status}`,
    code: 'internal',
    reason: status === 0 ? 'NETWORK_ERROR' : 'UNEXPECTED_RESPONSE',
  });
}

/**
 * The data of an openapi-fetch result, or its error thrown as an ApiError: what TanStack Query's
 * query and mutation functions return.
 */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch {
    throw toApiError(0, undefined);
  }
  if (result.error !== undefined || !result.response.ok)
    throw toApiError(result.response.status, result.error, result.response);
  return result.data as T;
}

/** What to tell a person about an error: the API's message, with the fields it names. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    // Details that only repeat the message (a refusal naming its field) are not said twice.
    const fields =
      error.envelope.details
        ?.filter((d) => !error.message.includes(d.message))
        .map((d) =>
          d.field ? `${d.field.replace(/^(body|query|params)\./, '')}: ${d.message}` : d.message,
        ) ?? [];
    return fields.length > 0 ? `${error.message} (${fields.join('; ')})` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
