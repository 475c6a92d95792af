import { Badge, Button, Group, Paper, Skeleton, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { api } from '../api/client';
import { unwrap } from '../api/errors';
import { useCan } from '../app/access';
import { DateTime } from '../components/DateTime';
import { EmptyState } from '../components/EmptyState';
import { ConfirmDeleteModal } from '../components/ConfirmDeleteModal';
import { ErrorNotice } from '../components/ErrorNotice';
import { PageHeader } from '../components/PageHeader';
import { CreateWebhookModal } from './webhooks/CreateWebhookModal';
import { DeliveryLog } from './webhooks/DeliveryLog';
import { useWebhooks, type Webhook } from './webhooks/queries';
import { notifyDone, notifyRefused } from '../components/notify';

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
          <ErrorNotice error={webhooks.error} title="Webhooks could not be loaded" />
          {webhooks.isPending ? (
            <Skeleton h={140} />
          ) : webhooks.data?.length === 0 ? (
            <EmptyState title="No webhooks yet">Add one to have AMSS POST your events to a URL.</EmptyState>
          ) : (
            <Table.ScrollContainer minWidth={760}>
              <Table highlightOnHover data-testid="webhooks-table">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>URL</Table.Th>
                    <Table.Th>Events</Table.Th>
                    <Table.Th>Created</Table.Th>
                    <Table.Th>
                      <VisuallyHidden>Actions</VisuallyHidden>
                    </Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {webhooks.data?.map((webhook) => (
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
                          {webhook.events.length > 4 && (
                            <Text size="xs">and {webhook.events.length - 4} more</Text>
                          )}
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
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
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
