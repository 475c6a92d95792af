import { AppError, type FieldProblem } from './errors.js';

/**
 * PostgreSQL cannot store the NUL character (U+0000) in text or jsonb, so a request carrying one
 * would fail in the database. Every edge (REST bodies, queries and path parameters, gRPC messages,
 * CSV cells) refuses it up front with this check instead, naming each field that holds one.
 */

/** The one message a NUL character gets, wherever it was sent. */
export const NUL_MESSAGE = 'must not contain a NUL character (\\u0000)';

/** Reports past this many are left out: one is enough to fix the request, a flood helps nobody. */
const MAX_PROBLEMS = 20;

const NUL = '\u0000';

/** A field name as a person reads it: a NUL in a key is shown as `\u0000`. */
const printable = (segment: string): string => segment.replaceAll(NUL, '\\u0000');

/** `root.segment`, or the segment alone at the root of a message that has no name of its own. */
const join = (path: string, segment: string): string => (path === '' ? segment : `${path}.${segment}`);

/** An object of fields (a parsed query string's has a prototype of its own); bytes and dates hold no text. */
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !ArrayBuffer.isView(value) && !(value instanceof Date);

/**
 * The fields of a decoded request value (JSON, a query string, a protobuf message as plain objects)
 * that hold a NUL character, in a string or in a key, named `<root>.<path>` like schema errors
 * (`body.notes`, `body.required_parts.0.part_definition_id`, `querystring.q`); an empty root names
 * fields from the top (`notes`), as gRPC's field problems do. `rename` maps a key
 * to the name the client knows it by (gRPC's generated code camel-cases proto field names).
 * Walks without recursion, so no nesting depth can overflow the stack.
 */
export function nulCharacterProblems(
  value: unknown,
  root: string,
  rename: (key: string) => string = (key) => key,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const pending: Array<{ value: unknown; path: string }> = [{ value, path: root }];
  while (pending.length > 0 && problems.length < MAX_PROBLEMS) {
    const { value: current, path } = pending.pop()!;
    if (typeof current === 'string') {
      if (current.includes(NUL)) problems.push({ field: path, message: NUL_MESSAGE });
    } else if (Array.isArray(current)) {
      current.forEach((item, index) => pending.push({ value: item, path: join(path, String(index)) }));
    } else if (isRecord(current)) {
      for (const [key, item] of Object.entries(current)) {
        const field = join(path, printable(rename(key)));
        if (key.includes(NUL))
          problems.push({ field, message: 'must not contain a NUL character in its name' });
        pending.push({ value: item, path: field });
      }
    }
  }
  return problems.sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0)).slice(0, MAX_PROBLEMS);
}

/** The 400 (NUL_CHARACTER) for the problems found, or undefined when there are none. */
export function nulCharacterError(problems: FieldProblem[]): AppError | undefined {
  if (problems.length === 0) return undefined;
  return AppError.validation(
    `invalid request: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
    problems,
    'NUL_CHARACTER',
  );
}

/**
 * Finds the first NUL byte of a file read in chunks and the line it is on, so an upload and the
 * worker that reads the stored file refuse it alike (a NUL byte is always U+0000 in UTF-8; a file
 * full of them is usually UTF-16). Feed it every chunk in order.
 */
export class NulByteScanner {
  private line = 1;

  /** The line (1-based) of the first NUL byte in this chunk, or undefined when it has none. */
  scan(chunk: Uint8Array): number | undefined {
    const nul = chunk.indexOf(0);
    const end = nul === -1 ? chunk.length : nul;
    for (let i = chunk.indexOf(10); i !== -1 && i < end; i = chunk.indexOf(10, i + 1)) this.line += 1;
    return nul === -1 ? undefined : this.line;
  }
}

/** Why a file with a NUL byte is refused, the same words at upload and in the worker. */
export const nulInFileMessage = (line: number): string =>
  `the file contains a NUL character (\\u0000) on line ${line}, which a CSV cannot hold; save it as UTF-8 text (not UTF-16) and upload it again`;
