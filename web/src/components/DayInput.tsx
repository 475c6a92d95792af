import { DateInput, type DateInputProps } from '@mantine/dates';

/**
 * A calendar day (`YYYY-MM-DD`, or null when cleared), shown as "4 Mar 2026" so nobody has to
 * guess whether 04/03 is March or April.
 */
export function DayInput({
  onChange,
  ...props
}: Omit<DateInputProps, 'onChange'> & { onChange: (day: string | null) => void }) {
  return (
    <DateInput
      valueFormat="D MMM YYYY"
      {...props}
      onChange={(value) => onChange(value ? value.slice(0, 10) : null)}
    />
  );
}
