import { AppError } from './errors.js';

/** Refuses (400 INVALID_TIME_RANGE) a `to` that is not after `from`; either may be unset. */
export function refuseEmptyRange(range: { from?: Date | undefined; to?: Date | undefined }): void {
  if (range.from && range.to && range.to.getTime() <= range.from.getTime()) {
    throw AppError.validation(
      'the time range is empty: to must be after from',
      [{ field: 'querystring.to', message: 'must be after from' }],
      'INVALID_TIME_RANGE',
    );
  }
}

/** Refuses (400 INVALID_TIME_RANGE) a range that spans more than `maxDays` days. */
export function refuseLongRange(range: { from: Date; to: Date }, maxDays: number): void {
  if (range.to.getTime() - range.from.getTime() > maxDays * 86_400_000) {
    throw AppError.validation(
      `the time range may span at most ${maxDays} days`,
      [{ field: 'querystring.to', message: `at most ${maxDays} days after from` }],
      'INVALID_TIME_RANGE',
    );
  }
}
