const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
// PostgreSQL compares intervals counting a month as 30 days and a year as 12 months; so do we.
const MONTH = 30 * DAY;
const YEAR = 12 * MONTH;

/** Seconds per unit of PostgreSQL's verbose interval syntax ("30 days", "1 year 2 mons"). */
const WORD_UNITS = new Map<string, number>([
  ...unitWords(['year', 'years'], YEAR),
  ...unitWords(['mon', 'mons', 'month', 'months'], MONTH),
  ...unitWords(['week', 'weeks'], 7 * DAY),
  ...unitWords(['day', 'days'], DAY),
  ...unitWords(['hour', 'hours'], HOUR),
  ...unitWords(['min', 'mins', 'minute', 'minutes'], MINUTE),
  ...unitWords(['sec', 'secs', 'second', 'seconds'], 1),
]);

/** Seconds per designator of an ISO 8601 duration, in the order they appear (Y, M, W, D, H, M, S). */
const ISO_UNITS = [YEAR, MONTH, 7 * DAY, DAY, HOUR, MINUTE, 1];

const ISO_8601 =
  /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;
const CLOCK = /^(\d+):([0-5]\d)(?::([0-5]\d(?:\.\d+)?))?$/;
const NUMBER = /^\d+(?:\.\d+)?$/;

/**
 * The length in seconds of a non-negative interval written as an ISO 8601 duration (`P365D`, `PT24H`,
 * `P1Y2M`) or in PostgreSQL's words (`30 days`, `1 year 2 mons`, `1 day 02:00:00`); undefined for any
 * other text. Months count as 30 days and years as 360, as PostgreSQL compares them.
 */
export function intervalSeconds(text: string): number | undefined {
  const trimmed = text.trim();
  const iso = ISO_8601.exec(trimmed);
  if (iso) return ISO_UNITS.reduce((sum, unit, i) => sum + Number(iso[i + 1] ?? 0) * unit, 0);
  return verboseSeconds(trimmed);
}

function verboseSeconds(text: string): number | undefined {
  const tokens = text.toLowerCase().split(/\s+/);
  if (tokens.length === 0 || tokens[0] === '') return undefined;
  let total = 0;
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i]!;
    const clock = CLOCK.exec(token);
    if (clock) {
      total += Number(clock[1]) * HOUR + Number(clock[2]) * MINUTE + Number(clock[3] ?? 0);
      continue;
    }
    const unit = WORD_UNITS.get(tokens[i + 1] ?? '');
    if (!NUMBER.test(token) || unit === undefined) return undefined;
    total += Number(token) * unit;
    i += 1;
  }
  return total;
}

function unitWords(words: string[], seconds: number): [string, number][] {
  return words.map((word) => [word, seconds]);
}
