import { Table, VisuallyHidden, type TableProps } from '@mantine/core';
import type { ReactNode } from 'react';
import { QueryList, type QueryListProps } from './QueryList';

/** A column heading: its words, or its words and how it sits. */
export type Column = string | { label: string; align?: 'right'; hidden?: boolean };

function Heading({ column }: { column: Column }) {
  const { label, align, hidden } = typeof column === 'string' ? { label: column } : column;
  // A hidden heading (an actions column) is still read out, so the column keeps a name.
  return <Table.Th ta={align}>{hidden ? <VisuallyHidden>{label}</VisuallyHidden> : label}</Table.Th>;
}

/**
 * A table with its column headings; given a `minWidth` it scrolls sideways on a narrow screen
 * rather than squeezing its columns.
 */
export function DataTable({
  columns,
  minWidth,
  testId,
  children,
  ...table
}: Omit<TableProps, 'children'> & {
  /** The headings; a falsy one leaves its column out (one the user may not act in). */
  columns: (Column | false | undefined)[];
  minWidth?: number;
  testId?: string;
  /** The body's rows. */
  children: ReactNode;
}) {
  const body = (
    <Table data-testid={testId} {...table}>
      <Table.Thead>
        <Table.Tr>
          {columns
            .filter((column): column is Column => Boolean(column))
            .map((column) => (
              <Heading key={typeof column === 'string' ? column : column.label} column={column} />
            ))}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>{children}</Table.Tbody>
    </Table>
  );
  return minWidth === undefined ? (
    body
  ) : (
    <Table.ScrollContainer minWidth={minWidth}>{body}</Table.ScrollContainer>
  );
}

/** A query's rows as a DataTable, with the error, loading and empty states of QueryList. */
export function QueryTable<T>({
  query,
  rows,
  errorTitle,
  loading,
  empty,
  children,
  ...table
}: QueryListProps<T> &
  Omit<Parameters<typeof DataTable>[0], 'children'> & {
    /** One row of the table. */
    children: (row: T) => ReactNode;
  }) {
  return (
    <QueryList query={query} rows={rows} errorTitle={errorTitle} loading={loading} empty={empty}>
      {(loaded) => <DataTable {...table}>{loaded.map(children)}</DataTable>}
    </QueryList>
  );
}
