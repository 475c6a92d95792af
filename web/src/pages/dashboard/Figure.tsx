import { Paper, Text } from '@mantine/core';
import type { ReactNode } from 'react';

/** One headline number with its label and what it means. */
export function Figure({
  label,
  value,
  hint,
  color,
  testId,
}: {
  label: string;
  value: ReactNode;
  hint?: ReactNode;
  color?: string;
  testId?: string;
}) {
  return (
    <Paper withBorder p="md" radius="md" data-testid={testId}>
      <Text size="xs" tt="uppercase" fw={700} c="dimmed">
        {label}
      </Text>
      <Text fw={700} fz={28} c={color} lh={1.2}>
        {value}
      </Text>
      {hint && (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      )}
    </Paper>
  );
}

export const percent = (rate: number | null | undefined) =>
  rate === null || rate === undefined ? '—' : `${Math.round(rate * 100)} %`;
