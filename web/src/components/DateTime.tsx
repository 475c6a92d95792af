import { Tooltip } from '@mantine/core';

const local = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const localDate = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/** A date and time in the user's time zone; hovering (or focusing) shows it in UTC, as the records keep it. */
export function DateTime({
  value,
  dateOnly = false,
}: {
  value: string | null | undefined;
  dateOnly?: boolean;
}) {
  if (!value) return <span>—</span>;
  const date = new Date(value);
  const utc = `${date.toISOString().replace('T', ' ').slice(0, 16)} UTC`;
  return (
    <Tooltip label={utc} withArrow>
      <time dateTime={date.toISOString()} tabIndex={0}>
        {(dateOnly ? localDate : local).format(date)}
      </time>
    </Tooltip>
  );
}
