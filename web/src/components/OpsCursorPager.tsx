import { Button, Group, Text } from '@mantine/core';
import { IconChevronLeft, IconChevronRight } from '@tabler/icons-react';
import { useState } from 'react';

/**
 * Keyset paging over a list whose `Link` header carries the next cursor: the cursors of the pages
 * already seen, so "Previous" goes back exactly. Reset it when the filters change.
 */
export function useCursorPages() {
  const [cursors, setCursors] = useState<string[]>(['']);
  const cursor = cursors[cursors.length - 1] ?? '';
  return {
    cursor,
    page: cursors.length,
    next: (nextCursor: string) => setCursors((seen) => [...seen, nextCursor]),
    previous: () => setCursors((seen) => (seen.length > 1 ? seen.slice(0, -1) : seen)),
    reset: () => setCursors(['']),
  };
}

/** Previous / next buttons under a paged table, with the page number in words. */
export function OpsCursorPager({
  page,
  nextCursor,
  onNext,
  onPrevious,
  label,
}: {
  page: number;
  nextCursor: string | undefined;
  onNext: (cursor: string) => void;
  onPrevious: () => void;
  label: string;
}) {
  if (page === 1 && nextCursor === undefined) return null;
  return (
    <Group justify="space-between" mt="sm" component="nav" aria-label={label}>
      <Button
        variant="default"
        size="xs"
        leftSection={<IconChevronLeft size={14} />}
        disabled={page === 1}
        onClick={onPrevious}
      >
        Previous
      </Button>
      <Text size="sm" c="dimmed">
        Page {page}
      </Text>
      <Button
        variant="default"
        size="xs"
        rightSection={<IconChevronRight size={14} />}
        disabled={nextCursor === undefined}
        onClick={() => nextCursor !== undefined && onNext(nextCursor)}
      >
        Next
      </Button>
    </Group>
  );
}
