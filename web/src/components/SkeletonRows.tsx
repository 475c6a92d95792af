import { Skeleton, Stack } from '@mantine/core';

/** Grey bars where a list's rows will be, while it loads. */
export function SkeletonRows({ count = 2, height = 32 }: { count?: number; height?: number }) {
  return (
    <Stack gap="xs">
      {Array.from({ length: count }, (_, i) => (
        <Skeleton key={i} h={height} />
      ))}
    </Stack>
  );
}
