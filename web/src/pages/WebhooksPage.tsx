import { Badge, Button, Group, Paper, Skeleton, Stack, Table, Text } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { api } from '../api/client';
import { unwrap } from '../api/errors';
import { useCan } from '../app/access';
import { DateTime } from '../components/DateTime';
import { EmptyState } from '../components/EmptyState';
import { ConfirmDeleteModal } from '../components/ConfirmDeleteModal';
import { PageHeader } from '../components/PageHeader';
import { CreateWebhookModal } from './webhooks/CreateWebhookModal';
import { DeliveryLog } from './webhooks/DeliveryLog';
import { useWebhooks, type Webhook } from './webhooks/queries';
import { notifyDone, notifyRefused } from '../components/notify';
import { QueryTable } from '../components/DataTable';

export default function WebhooksPage() {
  const can = useCan();
  const queryClient = useQueryClient();
  const webhooks = useWebhooks();
  const [creating, setCreating] = useState(false);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const selected = webhooks.data?.find((w) => w.id === selectedId) ?? null;

  const test = useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/api/v1/webhooks/{id}/test', { params: { path: { id } } })),
    onSuccess: (_result, id) => {
      notifyDone('Test event sent: it appears in the delivery log');
      setSelectedId(id);
      void queryClient.invalidateQueries({ queryKey: ['webhooks', id] });
    },
    onError: (error) => notifyRefused(error),
  });
  const remove = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/webhooks/{id}', { params: { path: { id } } })),
    onSuccess: (_result, id) => {
      notifyDone('Webhook deleted; its pending deliveries are stopped');
      if (selectedId === id) setSelectedId(null);
      setDeleting(null);
      void queryClient.invalidateQueries({ queryKey: ['webhooks'] });
    },
  });

  return (
    <>
      <PageHeader
        title="Webhooks"
        description="Endpoints that receive your organization's events, signed with their secret"
        actions={
          can('webhooks', 'create') && (
            <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)}>
              Add webhook
            </Button>
          )
        }
      />
      <Stack gap="md">
        <Paper withBorder p="md" radius="md">
          <QueryTable
            query={webhooks}
            rows={webhooks.data}
            errorTitle="Webhooks could not be loaded"
            loading={<Skeleton h={140} />}
            empty={
              <EmptyState title="No webhooks yet">Add one to have AMSS POST your events to a URL.</EmptyState>
            }
            // Fits beside the navigation on a 1024-wide tablet, its three buttons included.
            minWidth={680}
            columns={['URL', 'Events', 'Created', { label: 'Actions', hidden: true }]}
            highlightOnHover
            testId="webhooks-table"
          >
            {(webhook) => (
              <Table.Tr key={webhook.id} aria-current={webhook.id === selectedId ? 'true' : undefined}>
                <Table.Td style={{ wordBreak: 'break-all' }}>
                  <Text size="sm" ff="monospace">
                    {webhook.url}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    {webhook.events.slice(0, 4).map((event) => (
                      <Badge key={event} variant="outline" color="gray.8" size="sm" tt="none">
                        {event}
                      </Badge>
                    ))}
                    {webhook.events.length > 4 && <Text size="xs">and {webhook.events.length - 4} more</Text>}
                  </Group>
                </Table.Td>
                <Table.Td>
                  <DateTime value={webhook.created_at} />
                </Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap" justify="flex-end">
                    <Button
                      size="compact-sm"
                      variant={webhook.id === selectedId ? 'filled' : 'light'}
                      onClick={() => setSelectedId(webhook.id)}
                    >
                      Deliveries
                    </Button>
                    <Button
                      size="compact-sm"
                      variant="default"
                      loading={test.isPending && test.variables === webhook.id}
                      onClick={() => test.mutate(webhook.id)}
                    >
                      Send test
                    </Button>
                    {can('webhooks', 'delete') && (
                      <Button
                        size="compact-sm"
                        variant="outline"
                        color="red.9"
                        onClick={() => setDeleting(webhook)}
                      >
                        Delete
                      </Button>
                    )}
                  </Group>
                </Table.Td>
              </Table.Tr>
            )}
          </QueryTable>
        </Paper>
        {selected && <DeliveryLog key={selected.id} webhook={selected} />}
      </Stack>
      <CreateWebhookModal opened={creating} onClose={() => setCreating(false)} />
      <ConfirmDeleteModal
        opened={deleting !== null}
        onClose={() => setDeleting(null)}
        title="Delete this webhook?"
        mutation={remove}
        onConfirm={() => deleting && remove.mutate(deleting.id)}
        refusedTitle="The webhook was not deleted"
        confirmLabel="Delete webhook"
      >
        AMSS stops sending events to{' '}
        <Text span ff="monospace">
          {deleting?.url}
        </Text>
        ; deliveries still pending are marked failed. The delivery history stays readable.
      </ConfirmDeleteModal>
    </>
  );
}
