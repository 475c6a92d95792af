import { Group, Table, UnstyledButton } from '@mantine/core';
import { IconChevronDown, IconChevronUp, IconSelector } from '@tabler/icons-react';

/**
 * A column header that sorts the list by its field: a real button (keyboard), with `aria-sort` on
 * the header cell. `sort` is the API's value (`field` or `-field`).
 */
export function SortHeader({
  field,
  label,
  sort,
  onSort,
}: {
  field: string;
  label: string;
  sort: string;
  onSort: (sort: string) => void;
}) {
  const active = sort.replace(/^-/, '') === field;
  const descending = active && sort.startsWith('-');
  const Icon = !active ? IconSelector : descending ? IconChevronDown : IconChevronUp;
  return (
    <Table.Th aria-sort={active ? (descending ? 'descending' : 'ascending') : 'none'}>
      <UnstyledButton
        onClick={() => onSort(active && !descending ? `-${field}` : field)}
        fw={700}
        fz="sm"
        aria-label={`${label}: sort ${active && !descending ? 'descending' : 'ascending'}`}
      >
        <Group gap={4} wrap="nowrap">
          {label}
          <Icon size={14} aria-hidden />
        </Group>
      </UnstyledButton>
    </Table.Th>
  );
}
