import { Badge, Paper, Skeleton, Table, Text, Title, Tooltip } from '@mantine/core';
import { CursorPager, useCursorPages } from '../../components/CursorPager';
import { DateTime } from '../../components/DateTime';
import { EmptyState } from '../../components/EmptyState';
import { useDeliveries, type Webhook } from './queries';
import { QueryTable } from '../../components/DataTable';

const STATUS = {
  pending: { label: 'Pending', color: 'yellow' },
  delivered: { label: 'Delivered', color: 'teal.9' },
  failed: { label: 'Failed', color: 'red.9' },
} as const;

/** The deliveries of one webhook: status, attempts, the receiver's answer, the next retry. */
export function DeliveryLog({ webhook }: { webhook: Webhook }) {
  const pages = useCursorPages(webhook.id);
  const deliveries = useDeliveries(webhook.id, pages.cursor);
  const rows = deliveries.data?.rows;
  return (
    <Paper withBorder p="md" radius="md" aria-labelledby="delivery-log-title">
      <Title order={2} size="h4" id="delivery-log-title" mb={2}>
        Delivery log
      </Title>
      <Text size="sm" c="dimmed" mb="sm" style={{ wordBreak: 'break-all' }}>
        {webhook.url}
      </Text>
      <QueryTable
        query={deliveries}
        rows={rows}
        errorTitle="The deliveries could not be loaded"
        loading={<Skeleton h={140} />}
        empty={
          <EmptyState title="Nothing delivered yet">
            Deliveries appear here when a subscribed event happens, or when you send a test event.
          </EmptyState>
        }
        minWidth={760}
        columns={[
          'Event',
          'Status',
          { label: 'Attempts', align: 'right' },
          'Response',
          'Next retry',
          'Created',
        ]}
        striped
        testId="deliveries-table"
      >
        {(delivery) => (
          <Table.Tr key={delivery.id}>
            <Table.Td ff="monospace" fz="sm">
              {delivery.event_type}
            </Table.Td>
            <Table.Td>
              <Badge color={STATUS[delivery.status].color} variant="filled" autoContrast>
                {STATUS[delivery.status].label}
              </Badge>
            </Table.Td>
            <Table.Td ta="right">{delivery.attempt_count}</Table.Td>
            <Table.Td>
              {delivery.last_response_code ?? '—'}
              {delivery.last_error && (
                <Tooltip label={delivery.last_error} multiline w={320}>
                  <Text size="xs" c="dimmed" lineClamp={1} maw={260} tabIndex={0}>
                    {delivery.last_error}
                  </Text>
                </Tooltip>
              )}
            </Table.Td>
            <Table.Td>
              {delivery.status === 'pending' ? <DateTime value={delivery.next_attempt_at} /> : '—'}
            </Table.Td>
            <Table.Td>
              <DateTime value={delivery.created_at} />
            </Table.Td>
          </Table.Tr>
        )}
      </QueryTable>
      <CursorPager label="Delivery pages" pages={pages} nextCursor={deliveries.data?.next} />
    </Paper>
  );
}
