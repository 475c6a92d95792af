import { Badge, Button, Group, Paper, ScrollArea, Skeleton, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import { unwrap } from '../../api/errors';
import { useMayActOnAlert } from '../../app/access';
import { DateTime } from '../../components/DateTime';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useOpenAlerts } from './queries';
import { notifyDone, notifyRefused } from '../../components/notify';

const LEVEL_COLOR = { info: 'blue', warning: 'orange', critical: 'red' } as const;

/** The open alerts as they come and go, with acknowledge and resolve for those who may. */
export function AlertFeed() {
  const alerts = useOpenAlerts();
  const mayAct = useMayActOnAlert();
  const queryClient = useQueryClient();
  const act = useMutation({
    mutationFn: ({ id, action }: { id: string; action: 'acknowledge' | 'resolve' }) =>
      unwrap(
        action === 'acknowledge'
          ? api.POST('/api/v1/alerts/{id}/acknowledge', { params: { path: { id } }, body: {} })
          : api.POST('/api/v1/alerts/{id}/resolve', { params: { path: { id } }, body: {} }),
      ),
    onSuccess: (_alert, { action }) => {
      notifyDone(action === 'acknowledge' ? 'Alert acknowledged' : 'Alert resolved');
      void queryClient.invalidateQueries({ queryKey: ['alerts'] });
      void queryClient.invalidateQueries({ queryKey: ['dashboard'] });
    },
    onError: (error) => notifyRefused(error),
  });

  return (
    <Paper withBorder p="md" radius="md" aria-labelledby="alert-feed-title">
      <Title order={2} size="h4" id="alert-feed-title" mb="sm">
        Open alerts
      </Title>
      <ErrorNotice error={alerts.error} title="Alerts could not be loaded" />
      {alerts.isPending ? (
        <Skeleton h={160} />
      ) : alerts.data?.length === 0 ? (
        <EmptyState title="No open alerts">Everything raised has been resolved.</EmptyState>
      ) : (
        <ScrollArea.Autosize mah={420} type="auto">
          <Stack gap="xs" data-testid="alert-feed">
            {alerts.data?.map((alert) => (
              <Paper
                key={alert.id}
                withBorder
                p="xs"
                radius="sm"
                data-testid="alert"
                data-category={alert.category}
              >
                <Group justify="space-between" wrap="nowrap" align="flex-start">
                  <div style={{ minWidth: 0 }}>
                    <Group gap={6}>
                      <Badge color={LEVEL_COLOR[alert.level]} variant="filled" size="sm">
                        {alert.level}
                      </Badge>
                      {alert.escalated && (
                        <Badge color="grape" variant="light" size="sm">
                          escalated
                        </Badge>
                      )}
                      {alert.acknowledged_at && (
                        <Badge color="gray" variant="light" size="sm">
                          acknowledged
                        </Badge>
                      )}
                    </Group>
                    <Text fw={600} size="sm" mt={4}>
                      {alert.title}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {alert.description}
                    </Text>
                    <Text size="xs" c="dimmed">
                      raised <DateTime value={alert.raised_at} />
                    </Text>
                  </div>
                  <Group gap={4} wrap="nowrap">
                    {mayAct(alert, 'acknowledge') && !alert.acknowledged_at && (
                      <Button
                        size="compact-xs"
                        variant="light"
                        loading={
                          act.isPending &&
                          act.variables.id === alert.id &&
                          act.variables.action === 'acknowledge'
                        }
                        onClick={() => act.mutate({ id: alert.id, action: 'acknowledge' })}
                      >
                        Acknowledge
                      </Button>
                    )}
                    {mayAct(alert, 'resolve') && (
                      <Button
                        size="compact-xs"
                        variant="default"
                        loading={
                          act.isPending && act.variables.id === alert.id && act.variables.action === 'resolve'
                        }
                        onClick={() => act.mutate({ id: alert.id, action: 'resolve' })}
                      >
                        Resolve
                      </Button>
                    )}
                  </Group>
                </Group>
              </Paper>
            ))}
          </Stack>
        </ScrollArea.Autosize>
      )}
    </Paper>
  );
}
