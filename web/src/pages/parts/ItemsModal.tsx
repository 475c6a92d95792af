import { Badge, Button, Group, Modal, Skeleton, Table, Text } from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { DateTime } from '../../components/DateTime';
import { EmptyState } from '../../components/EmptyState';
import { useItems, type StockRow } from './queries';
import { QueryTable } from '../../components/DataTable';

const STATUS_LABEL = { in_stock: 'In stock', used: 'Used', disposed: 'Disposed' } as const;
const DAY = 86_400_000;

function ExpiryNote({
  expiry,
  status,
  now,
}: {
  expiry: string | null;
  status: keyof typeof STATUS_LABEL;
  now: number;
}) {
  if (!expiry || status !== 'in_stock') return null;
  const left = new Date(expiry).getTime() - now;
  if (left <= 0)
    return (
      <Badge color="red.9" variant="filled" size="sm" ml={6}>
        expired
      </Badge>
    );
  if (left <= 30 * DAY)
    return (
      <Badge color="yellow.5" variant="filled" autoContrast size="sm" ml={6}>
        expires in {Math.ceil(left / DAY)} d
      </Badge>
    );
  return null;
}

/** The serialized items of one definition: serial, status, expiry. */
export function ItemsModal({
  definition,
  canCreate,
  onClose,
  onAddItem,
}: {
  definition: StockRow | null;
  canCreate: boolean;
  onClose: () => void;
  onAddItem: (definition: StockRow) => void;
}) {
  const items = useItems(definition?.id ?? null);
  const [now] = useState(() => Date.now());
  return (
    <Modal
      closeButtonProps={{ 'aria-label': 'Close' }}
      opened={definition !== null}
      onClose={onClose}
      title={`Items of ${definition?.name ?? ''}`}
      size="lg"
    >
      {definition && (
        <Group justify="space-between" mb="sm">
          <Text size="sm">
            {definition.available} available of {definition.in_stock} in stock ({definition.reserved}{' '}
            reserved)
          </Text>
          {canCreate && (
            <Button size="xs" leftSection={<IconPlus size={14} />} onClick={() => onAddItem(definition)}>
              Add item
            </Button>
          )}
        </Group>
      )}
      <QueryTable
        query={items}
        rows={items.data}
        errorTitle="The items could not be loaded"
        loading={<Skeleton h={120} />}
        empty={
          <EmptyState title="No items yet">Add the serialized parts you hold of this definition.</EmptyState>
        }
        columns={['Serial number', 'Status', 'Expiry']}
        striped
        testId="items-table"
      >
        {(item) => (
          <Table.Tr key={item.id}>
            <Table.Td ff="monospace">{item.serial_number}</Table.Td>
            <Table.Td>{STATUS_LABEL[item.status]}</Table.Td>
            <Table.Td>
              <DateTime value={item.expiry_date} dateOnly />
              <ExpiryNote expiry={item.expiry_date} status={item.status} now={now} />
            </Table.Td>
          </Table.Tr>
        )}
      </QueryTable>
    </Modal>
  );
}
