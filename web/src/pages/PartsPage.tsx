import {
  Badge,
  Button,
  Group,
  Paper,
  SegmentedControl,
  Skeleton,
  Table,
  Text,
  TextInput,
  VisuallyHidden,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconPlus, IconSearch } from '@tabler/icons-react';
import { useState } from 'react';
import { useCan } from '../app/access';
import { DateTime } from '../components/DateTime';
import { EmptyState } from '../components/EmptyState';
import { PageHeader } from '../components/PageHeader';
import { AddDefinitionModal, AddItemModal } from './parts/forms';
import { ItemsModal } from './parts/ItemsModal';
import { stockLevel, useStock, type StockRow } from './parts/queries';
import { QueryTable } from '../components/DataTable';

const LEVEL = {
  out: { label: 'Out of stock', color: 'red.9', row: 'var(--mantine-color-red-0)' },
  low: { label: 'Low stock', color: 'yellow.5', row: 'var(--mantine-color-yellow-0)' },
  ok: { label: 'OK', color: 'teal.9', row: undefined },
} as const;

export default function PartsPage() {
  const can = useCan();
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), 300);
  const [show, setShow] = useState<'all' | 'low'>('all');
  const stock = useStock(q, show === 'low' ? true : undefined);
  const [adding, setAdding] = useState(false);
  const [itemsOf, setItemsOf] = useState<StockRow | null>(null);
  const [addItemTo, setAddItemTo] = useState<StockRow | null>(null);
  const canCreate = can('parts', 'create');
  const rows = stock.data ?? [];
  const out = rows.filter((r) => stockLevel(r) === 'out').length;
  const low = rows.filter((r) => stockLevel(r) === 'low').length;

  return (
    <>
      <PageHeader
        title="Parts and stock"
        description="Part definitions with their serialized stock; what to reorder is marked"
        actions={
          canCreate && (
            <Button leftSection={<IconPlus size={16} />} onClick={() => setAdding(true)}>
              Add part definition
            </Button>
          )
        }
      />
      <Paper withBorder p="md" radius="md">
        <Group justify="space-between" mb="md" wrap="wrap">
          <Group>
            <TextInput
              label="Search"
              placeholder="Name or category"
              leftSection={<IconSearch size={16} />}
              value={search}
              onChange={(e) => setSearch(e.currentTarget.value)}
              w={260}
            />
            <div>
              <Text size="sm" fw={500} mb={2} id="parts-show-label">
                Show
              </Text>
              <SegmentedControl
                aria-labelledby="parts-show-label"
                value={show}
                onChange={(value) => setShow(value)}
                data={[
                  { value: 'all', label: 'All parts' },
                  { value: 'low', label: 'To reorder' },
                ]}
              />
            </div>
          </Group>
          {stock.data && (
            <Text
              size="sm"
              fw={out + low > 0 ? 600 : undefined}
              c={out > 0 ? 'red.9' : undefined}
              data-testid="stock-summary"
            >
              {out} out of stock, {low} low
            </Text>
          )}
        </Group>
        <QueryTable
          query={stock}
          rows={rows}
          errorTitle="Stock could not be loaded"
          loading={<Skeleton h={240} />}
          empty={
            <EmptyState title={q || show === 'low' ? 'No part matches' : 'No parts yet'}>
              {q || show === 'low'
                ? 'Nothing to reorder with these filters.'
                : 'Add a part definition, or import parts from a CSV file.'}
            </EmptyState>
          }
          minWidth={700}
          // Eight columns at their narrowest need 17 px more than a 1024-wide tablet leaves beside
          // the navigation with the default cell padding (10 px a side); 8 px keeps Items in view.
          horizontalSpacing={8}
          columns={[
            'Part',
            'Stock',
            { label: 'In stock', align: 'right' },
            { label: 'Reserved', align: 'right' },
            { label: 'Available', align: 'right' },
            { label: 'Reorder point', align: 'right' },
            { label: 'Expiring ≤ 30 d', align: 'right' },
            'Items',
          ]}
          highlightOnHover
          testId="stock-table"
        >
          {(row) => {
            const level = stockLevel(row);
            return (
              <Table.Tr
                key={row.id}
                data-testid="stock-row"
                data-stock={level}
                style={{ background: LEVEL[level].row }}
              >
                <Table.Td>
                  <Text fw={600} size="sm">
                    {row.name}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {row.category}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Badge
                    color={LEVEL[level].color}
                    variant={level === 'ok' ? 'outline' : 'filled'}
                    autoContrast
                    styles={{ label: { overflow: 'visible' } }}
                  >
                    {LEVEL[level].label}
                  </Badge>
                  {level !== 'ok' && row.earliest_arrival && (
                    <Text size="xs" c="dimmed" mt={2}>
                      earliest restock <DateTime value={row.earliest_arrival} dateOnly />
                    </Text>
                  )}
                </Table.Td>
                <Table.Td ta="right">{row.in_stock}</Table.Td>
                <Table.Td ta="right">{row.reserved}</Table.Td>
                <Table.Td ta="right" fw={level === 'ok' ? undefined : 700}>
                  {row.available}
                  {row.min_stock_level !== null && (
                    <Text span size="xs" c="dimmed" fw={400}>
                      {' '}
                      (min {row.min_stock_level})
                    </Text>
                  )}
                </Table.Td>
                <Table.Td ta="right">{row.reorder_point ?? '—'}</Table.Td>
                <Table.Td ta="right">
                  {row.expiring_within_30_days > 0 ? (
                    <Text span size="sm" fw={700}>
                      {row.expiring_within_30_days} expiring
                    </Text>
                  ) : (
                    0
                  )}
                </Table.Td>
                <Table.Td>
                  <Button size="compact-sm" variant="light" onClick={() => setItemsOf(row)}>
                    Items<VisuallyHidden> of {row.name}</VisuallyHidden>
                  </Button>
                </Table.Td>
              </Table.Tr>
            );
          }}
        </QueryTable>
      </Paper>
      <AddDefinitionModal opened={adding} onClose={() => setAdding(false)} />
      <ItemsModal
        definition={itemsOf}
        canCreate={canCreate}
        onClose={() => setItemsOf(null)}
        onAddItem={(definition) => setAddItemTo(definition)}
      />
      <AddItemModal definition={addItemTo} onClose={() => setAddItemTo(null)} />
    </>
  );
}
