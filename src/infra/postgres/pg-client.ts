import pg from 'pg';

/** How many distinct statement texts get a prepared-statement name; later ones run unnamed. */
export const MAX_PREPARED_STATEMENTS = 1_000;

/**
 * Names for statement texts, the same name for the same text on every connection. Bounded, so
 * statements whose text varies (bulk inserts of n rows, `IN` lists) cannot grow the set of
 * prepared statements each connection keeps without end: past the bound they run unnamed.
 */
export class StatementNames {
  private readonly names = new Map<string, string>();
  private issued = 0;

  constructor(private readonly max: number = MAX_PREPARED_STATEMENTS) {}

  nameFor(text: string): string | undefined {
    const known = this.names.get(text);
    if (known !== undefined || this.names.size >= this.max) return known;
    this.issued += 1;
    const name = `amss_${this.issued}`;
    this.names.set(text, name);
    return name;
  }

  /** Gives the text a new name the next time, so every connection prepares it afresh. */
  retire(text: string): void {
    this.names.delete(text);
  }
}

/**
 * What PostgreSQL answers when a prepared statement no longer fits: a migration changed the
 * columns a `SELECT *` returns (0A000), or the statement was dropped from the session (26000).
 */
const isStalePreparedStatement = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === '26000' ||
    (code === '0A000' && String((error as Error).message).includes('cached plan must not change result type'))
  );
};

/** What Kysely sends to open a transaction (`begin`, or `start transaction isolation level …`). */
const TRANSACTION_START = /^\s*(begin|start\s+transaction)\b[^;]*;?\s*$/i;
/** What ends one; an end with nothing sent since the deferred start sends neither. */
const TRANSACTION_END = /^\s*(commit|rollback|end|abort)\s*;?\s*$/i;

/** The parts of node-postgres's Query that a statement sent behind a BEGIN overrides (not in its types). */
interface QueryInternals {
  prepare(connection: unknown): void;
  handleCommandComplete(message: unknown, connection: unknown): void;
}
const QueryBase = pg.Query as unknown as new (config: pg.QueryConfig) => pg.Query & QueryInternals;

/** The connection's serializer, as node-postgres's Query drives it. */
interface ProtocolWriter {
  parse(message: { text: string }): void;
  bind(config: object): void;
  execute(config: object): void;
}

/**
 * A statement that opens its transaction: the BEGIN goes out as Parse/Bind/Execute in the same
 * write as the statement's own messages, before their one Sync. PostgreSQL runs them in order as one
 * pipeline (an error in either skips the rest, as for any statement), so the transaction costs no
 * round trip of its own. The BEGIN's CommandComplete is not the caller's result.
 */
class StatementAfterBegin extends QueryBase {
  /** The BEGIN's ParseComplete came (the client must not take it for the statement's). */
  beginParsed = false;
  private beginCompleted = false;

  constructor(
    private readonly begin: string,
    config: pg.QueryConfig,
  ) {
    super(config);
  }

  override prepare(connection: unknown): void {
    const writer = connection as ProtocolWriter;
    writer.parse({ text: this.begin });
    writer.bind({});
    writer.execute({});
    super.prepare(connection);
  }

  override handleCommandComplete(message: unknown, connection: unknown): void {
    if (!this.beginCompleted) {
      this.beginCompleted = true;
      return;
    }
    super.handleCommandComplete(message, connection);
  }
}

type QueryCallback = (error: Error | undefined, result: pg.QueryResult) => void;

/**
 * The node-postgres client AMSS's pools use.
 *
 * - With `names`, parameterized statements run as named prepared statements, so PostgreSQL parses
 *   and plans each distinct text once per connection instead of on every request. Statements
 *   without parameters (COMMIT, migrations' multi-statement scripts) keep the simple protocol. A
 *   statement a schema change made stale fails once and is then prepared again under a new name
 *   (the request that hit it gets the error, like any failed query).
 * - A transaction's BEGIN is held back and sent with its first parameterized statement, in one
 *   write: every transaction saves a round trip (a create's five become four). A transaction that
 *   ends before sending anything sends neither its BEGIN nor its end; before any other statement
 *   (no parameters, or a cursor or COPY) the BEGIN goes first, on its own, as before.
 */
export function amssClient(names: StatementNames | undefined): typeof pg.Client {
  return class AmssClient extends pg.Client {
    /** The BEGIN held back until the transaction's first statement. */
    private pendingBegin: string | undefined;

    // node-postgres overloads query() many ways; (text) and (text, values) are handled here, the rest
    // passes through.
    override query(...args: unknown[]): never {
      const [text, values, callback] = args;
      const plain =
        typeof text === 'string' && callback === undefined && (values === undefined || Array.isArray(values));
      const parameters =
        plain && Array.isArray(values) && values.length > 0 ? (values as unknown[]) : undefined;
      const begin = this.pendingBegin;
      if (plain && parameters === undefined) {
        if (begin === undefined && TRANSACTION_START.test(text)) {
          this.pendingBegin = text;
          return Promise.resolve(emptyResult('BEGIN')) as never;
        }
        const end = begin === undefined ? null : TRANSACTION_END.exec(text);
        if (end) {
          this.pendingBegin = undefined;
          return Promise.resolve(
            emptyResult(/^(commit|end)$/i.test(end[1]!) ? 'COMMIT' : 'ROLLBACK'),
          ) as never;
        }
      }
      this.pendingBegin = undefined;
      if (parameters !== undefined) return this.sendParameterized(text as string, parameters, begin) as never;
      if (begin === undefined) return this.passThrough(args);
      // The BEGIN goes first, on its own, and what follows waits for it (node-postgres would hold it
      // until then anyway): a failed BEGIN fails it rather than letting it run outside a transaction.
      const begun = super.query(begin) as Promise<unknown>;
      if (plain) return begun.then(() => this.passThrough(args)) as never;
      const submittable = text as {
        submit?: unknown;
        handleError?(error: unknown, connection: unknown): void;
      };
      const isSubmittable = typeof submittable.submit === 'function';
      const failed = args.find((arg): arg is (error: unknown) => void => typeof arg === 'function');
      begun.then(
        () => this.passThrough(args),
        (error: unknown) =>
          isSubmittable ? submittable.handleError?.(error, this.connection) : failed?.(error),
      );
      return (isSubmittable ? submittable : undefined) as never;
    }

    private passThrough(args: unknown[]): never {
      return (super.query as (...a: unknown[]) => never)(...args);
    }

    /** A statement with parameters: prepared under its name (if any), behind the held-back BEGIN (if any). */
    private sendParameterized(
      text: string,
      values: unknown[],
      begin: string | undefined,
    ): Promise<pg.QueryResult> {
      const name = names?.nameFor(text);
      const config: pg.QueryConfig = { text, values, ...(name && { name }) };
      const sent =
        begin === undefined
          ? (super.query(config) as Promise<pg.QueryResult>)
          : this.afterBegin(begin, config);
      if (name === undefined) return sent;
      return sent.catch((error: unknown) => {
        if (isStalePreparedStatement(error)) names!.retire(text);
        throw error;
      });
    }

    /**
     * A statement sent behind a BEGIN gets two ParseCompletes: the BEGIN's comes first and must not mark
     * the statement as parsed (node-postgres would skip its Parse next time even if it failed).
     */
    _handleParseComplete(): void {
      const active = (this as unknown as { _getActiveQuery(): unknown })._getActiveQuery();
      if (active instanceof StatementAfterBegin && !active.beginParsed) {
        active.beginParsed = true;
        return;
      }
      (pg.Client.prototype as unknown as { _handleParseComplete(): void })._handleParseComplete.call(this);
    }

    private afterBegin(begin: string, config: pg.QueryConfig): Promise<pg.QueryResult> {
      return new Promise((resolve, reject) => {
        const statement = new StatementAfterBegin(begin, config);
        (statement as unknown as { callback: QueryCallback }).callback = (error, result) =>
          error ? reject(error) : resolve(result);
        super.query(statement);
      });
    }
  };
}

const emptyResult = (command: string): pg.QueryResult => ({
  command,
  rowCount: null,
  oid: 0,
  rows: [],
  fields: [],
});
