import { describe, expect, it } from 'vitest';
import { intervalSeconds } from './interval.js';

const DAY = 86_400;

describe('intervalSeconds', () => {
  it.each([
    ['P365D', 365 * DAY],
    ['PT24H', DAY],
    ['P1Y2M', 14 * 30 * DAY],
    ['P1W', 7 * DAY],
    ['PT1.5S', 1.5],
    ['30 days', 30 * DAY],
    ['1 year 2 mons', 14 * 30 * DAY],
    ['1 day 02:00:00', DAY + 7200],
    ['  12 Hours ', 12 * 3600],
    ['00:30', 1800],
  ])('reads %s', (text, seconds) => {
    expect(intervalSeconds(text)).toBe(seconds);
  });

  it.each(['', 'P', 'PT', 'P1H', '-1 day', '1 fortnight', 'days', '5 constructor', '1 day 25:61'])(
    'rejects %j',
    (text) => {
      expect(intervalSeconds(text)).toBeUndefined();
    },
  );
});
