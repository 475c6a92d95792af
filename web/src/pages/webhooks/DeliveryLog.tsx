import { Badge, Paper, Skeleton, Table, Text, Title, Tooltip } from '@mantine/core';
import { CursorPager, useCursorPages } from '../../components/CursorPager';
import { DateTime } from '../../components/DateTime';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useDeliveries, type Webhook } from './queries';

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
      <ErrorNotice error={deliveries.error} title="The deliveries could not be loaded" />
      {deliveries.isPending ? (
        <Skeleton h={140} />
      ) : rows?.length === 0 ? (
        <EmptyState title="Nothing delivered yet">
          Deliveries appear here when a subscribed event happens, or when you send a test event.
        </EmptyState>
      ) : (
        <Table.ScrollContainer minWidth={760}>
          <Table striped data-testid="deliveries-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Event</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th ta="right">Attempts</Table.Th>
                <Table.Th>Response</Table.Th>
                <Table.Th>Next retry</Table.Th>
                <Table.Th>Created</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows?.map((delivery) => (
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
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <CursorPager label="Delivery pages" pages={pages} nextCursor={deliveries.data?.next} />
    </Paper>
  );
}
