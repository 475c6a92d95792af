import { Badge } from '@mantine/core';

const DAY_MS = 24 * 60 * 60 * 1000;

export type ExpiryLevel = 'expired' | 'soon' | 'upcoming' | 'valid' | 'never';

/** How close a record's expiry is: expired, within 30 days, within 90 days, later, or never. */
export function expiryLevel(expiry: string | null | undefined, now = Date.now()): ExpiryLevel {
  if (!expiry) return 'never';
  const left = new Date(expiry).getTime() - now;
  if (left < 0) return 'expired';
  if (left <= 30 * DAY_MS) return 'soon';
  if (left <= 90 * DAY_MS) return 'upcoming';
  return 'valid';
}

/** Whole days until (negative: since) an expiry. */
export function daysLeft(expiry: string, now = Date.now()): number {
  return Math.ceil((new Date(expiry).getTime() - now) / DAY_MS);
}

const STYLE: Record<ExpiryLevel, { color: string; variant: 'filled' | 'outline' }> = {
  expired: { color: 'red.9', variant: 'filled' },
  soon: { color: '#a8410a', variant: 'filled' },
  upcoming: { color: 'yellow.4', variant: 'filled' },
  valid: { color: 'teal.9', variant: 'outline' },
  never: { color: 'gray.8', variant: 'outline' },
};

/**
 * The expiry badge of a certification, rating or skill: expired in red, 30 days or less in dark
 * orange, 90 days or less in yellow with dark text; the words say it too.
 */
export function ExpiryBadge({ expiry }: { expiry: string | null | undefined }) {
  const level = expiryLevel(expiry);
  const { color, variant } = STYLE[level];
  let label: string;
  if (!expiry || level === 'never') label = 'No expiry';
  else {
    const days = daysLeft(expiry);
    if (level === 'expired') label = `Expired ${-days} d ago`;
    else if (level === 'valid') label = 'Valid';
    else label = days === 0 ? 'Expires today' : `Expires in ${days} d`;
  }
  return (
    <Badge
      color={color}
      variant={variant}
      autoContrast
      data-level={level}
      data-testid="expiry-badge"
      // never cut to an ellipsis in a narrow table cell: the words are the point
      styles={{ root: { maxWidth: 'none', overflow: 'visible' }, label: { overflow: 'visible' } }}
    >
      {label}
    </Badge>
  );
}
