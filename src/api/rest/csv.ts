import { Readable, pipeline } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** One CSV cell as csv-stringify writes it: null and undefined become empty cells. */
export type CsvCell = string | number | boolean | null | undefined;

/** What a CSV download sends: its columns, its records read lazily, and the file name offered. */
export interface CsvDownload {
  /** The header line, in order; every record has one cell per column. */
  columns: readonly string[];
  records: AsyncIterable<CsvCell[]>;
  /** The name offered in Content-Disposition, e.g. `audit-logs-<org>-<date>.csv`. */
  filename: string;
  /** What the download is, for the log lines of an aborted or failed one (e.g. `audit log export`). */
  what: string;
}

/**
 * Streams records as a CSV attachment: one header line, RFC 4180 quoting, booleans as
 * `true`/`false`, null as an empty cell, and cells that a
 * spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, carriage return) prefixed with `'`.
 * Records are pulled as the client reads, so a download of any size holds little in memory.
 * Problems found before the first byte (access, filters) must be thrown before calling this,
 * so they still answer with the JSON error envelope.
 */
export function sendCsv(request: FastifyRequest, reply: FastifyReply, download: CsvDownload): FastifyReply {
  const csv = stringify({
    header: true,
    columns: [...download.columns],
    escape_formulas: true,
    // csv-stringify writes true as 1 and false as an empty cell; spell them out.
    cast: { boolean: (value) => String(value) },
  });
  pipeline(Readable.from(download.records), csv, (error) => {
    if (!error) return;
    // A client that hangs up mid-download is routine; anything else is a failed export.
    if (error.code === 'ERR_STREAM_PREMATURE_CLOSE') {
      request.log.info(`${download.what} aborted by the client`);
    } else {
      request.log.error({ err: error }, `${download.what} failed`);
    }
  });
  return reply
    .type('text/csv; charset=utf-8')
    .header('Content-Disposition', `attachment; filename="${download.filename}"`)
    .send(csv);
}

/** Today's date (UTC, `YYYY-MM-DD`) for export file names. */
export const exportDate = (now: Date = new Date()): string => now.toISOString().slice(0, 10);
