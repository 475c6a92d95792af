/** One entry of the event stream as the live channel reads it: its stream id and its fields. */
export interface LiveEntry {
  /** The stream id (`<ms>-<seq>`), increasing: what a client resumes from. */
  id: string;
  /** `event_id`, `org_id`, `event_type`, `dedupe_key` and `payload` (the event's JSON). */
  fields: Record<string, string>;
}

/** What a resuming reader missed: the entries after its id, or `trimmed` when some are gone. */
export interface MissedEntries {
  entries: LiveEntry[];
  /** Entries after the id were dropped (trimmed) already, or the id is not of this stream. */
  trimmed: boolean;
}

/**
 * The events stream as one server process follows it for its WebSocket clients: every replica
 * reads `amss.events` itself (not through the workers' consumer group), from the newest entry at
 * start, so a client of any replica sees what any other caused. Adapters: Redis (XREAD … BLOCK) and
 * the in-process stream of `amss dev`.
 */
export interface LiveFeed {
  /** Starts following the stream (from its newest entry); resolves once reading has begun. */
  start(): Promise<void>;
  /** Calls `listener` with the entries added from now on, in stream order; returns the unsubscribe. */
  subscribe(listener: (entries: LiveEntry[]) => void): () => void;
  /** The entries after `id`, oldest first, up to `limit`; `trimmed` when the stream no longer holds all of them. */
  after(id: string, limit: number): Promise<MissedEntries>;
  /** Stops following; pending reads end. */
  close(): Promise<void>;
}
