import {
  Badge,
  Button,
  Group,
  Modal,
  Paper,
  SegmentedControl,
  Select,
  SimpleGrid,
  Skeleton,
  Stack,
  Table,
  Text,
  Textarea,
} from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api/client';
import { unwrap } from '../api/errors';
import { useMayActOnAlert } from '../app/access';
import { DateTime } from '../components/DateTime';
import { EmptyState } from '../components/EmptyState';
import { ErrorNotice } from '../components/ErrorNotice';
import { CursorPager, useCursorPages } from '../components/CursorPager';
import { PageHeader } from '../components/PageHeader';
import { Figure } from './dashboard/Figure';
import {
  CATEGORY_LABEL,
  useAlertPage,
  useAlertSummary,
  type AlertFilters,
  type AlertRow,
  type Category,
  type Level,
} from './alerts/queries';
import { notifyDone, notifyRefused } from '../components/notify';
import { QueryTable } from '../components/DataTable';

const LEVEL_COLOR = { info: 'blue.8', warning: 'yellow.5', critical: 'red.9' } as const;
type Show = 'open' | 'resolved' | 'all';
/** Badges keep their words whole in a narrow column. */
const FIT = { label: { overflow: 'visible' } };

export default function AlertsPage() {
  const queryClient = useQueryClient();
  const summary = useAlertSummary();
  const [level, setLevel] = useState<Level | null>(null);
  const [category, setCategory] = useState<Category | null>(null);
  const [show, setShow] = useState<Show>('open');
  const [resolving, setResolving] = useState<AlertRow | null>(null);
  const [note, setNote] = useState('');
  const filters: AlertFilters = {
    ...(level ? { level } : {}),
    ...(category ? { category } : {}),
    ...(show === 'all' ? {} : { resolved: show === 'resolved' }),
  };
  const pages = useCursorPages(JSON.stringify(filters));
  const alerts = useAlertPage(filters, pages.cursor);

  const mayActOnAlert = useMayActOnAlert();
  const mayAct = (alert: AlertRow, action: 'acknowledge' | 'resolve') =>
    !alert.resolved && mayActOnAlert(alert, action);

  const invalidate = () => {
    void queryClient.invalidateQueries({ queryKey: ['alerts'] });
    void queryClient.invalidateQueries({ queryKey: ['dashboard'] });
  };
  const acknowledge = useMutation({
    mutationFn: (id: string) =>
      unwrap(api.POST('/api/v1/alerts/{id}/acknowledge', { params: { path: { id } }, body: {} })),
    onSuccess: () => {
      notifyDone('Alert acknowledged');
      invalidate();
    },
    onError: (error) => notifyRefused(error),
  });
  const resolve = useMutation({
    mutationFn: ({ id, note }: { id: string; note: string }) =>
      unwrap(
        api.POST('/api/v1/alerts/{id}/resolve', {
          params: { path: { id } },
          body: note.trim() ? { note: note.trim() } : {},
        }),
      ),
    onSuccess: () => {
      notifyDone('Alert resolved');
      setResolving(null);
      setNote('');
      invalidate();
    },
  });
  const s = summary.data;

  return (
    <>
      <PageHeader
        title="Alerts"
        description={
          s ? (
            <>
              Open alerts as of <DateTime value={s.computed_at} />
            </>
          ) : (
            'What the maintenance control centre is told'
          )
        }
      />
      <Stack gap="md">
        <ErrorNotice error={summary.error} title="The alert counts could not be loaded" />
        {s ? (
          <SimpleGrid cols={{ base: 3, lg: 6 }} data-testid="alert-summary">
            <Figure label="Open" value={s.total} />
            <Figure label="Not acknowledged" value={s.unacknowledged} />
            <Figure label="Escalated" value={s.escalated} color={s.escalated > 0 ? 'grape.8' : undefined} />
            <Figure
              label="Critical"
              value={s.by_level.critical}
              color={s.by_level.critical > 0 ? 'red.9' : undefined}
            />
            <Figure
              label="Warning"
              value={s.by_level.warning}
              color={s.by_level.warning > 0 ? 'orange.9' : undefined}
            />
            <Figure label="Info" value={s.by_level.info} />
          </SimpleGrid>
        ) : (
          !summary.error && <Skeleton h={92} />
        )}
        <Paper withBorder p="md" radius="md">
          <Group align="flex-end" mb="md" wrap="wrap" role="search" aria-label="Alert filters">
            <div>
              <Text size="sm" fw={500} mb={2} id="alerts-show-label">
                Show
              </Text>
              <SegmentedControl
                aria-labelledby="alerts-show-label"
                value={show}
                onChange={(value: string) => setShow(value as Show)}
                data={[
                  { value: 'open', label: 'Open' },
                  { value: 'resolved', label: 'Resolved' },
                  { value: 'all', label: 'All' },
                ]}
              />
            </div>
            <Select
              label="Level"
              placeholder="Any"
              clearable
              clearButtonProps={{ 'aria-label': 'Any level' }}
              data={[
                { value: 'critical', label: 'Critical' },
                { value: 'warning', label: 'Warning' },
                { value: 'info', label: 'Info' },
              ]}
              value={level}
              onChange={(value: string | null) => setLevel(value as Level | null)}
              w={150}
            />
            <Select
              label="Category"
              placeholder="Any"
              clearable
              clearButtonProps={{ 'aria-label': 'Any category' }}
              data={(Object.keys(CATEGORY_LABEL) as Category[]).map((c) => ({
                value: c,
                label: `${CATEGORY_LABEL[c]}${s && s.by_category[c] > 0 ? ` (${s.by_category[c]} open)` : ''}`,
              }))}
              value={category}
              onChange={(value: string | null) => setCategory(value as Category | null)}
              w={260}
            />
          </Group>
          <QueryTable
            query={alerts}
            rows={alerts.data?.rows}
            errorTitle="Alerts could not be loaded"
            loading={<Skeleton h={300} />}
            empty={
              <EmptyState title="No alerts">
                {show === 'open' && !level && !category
                  ? 'Nothing is open: everything raised has been resolved.'
                  : 'Nothing matches these filters.'}
              </EmptyState>
            }
            minWidth={720}
            columns={['Level', 'Alert', 'Raised', 'State']}
            testId="alerts-table"
            style={{ opacity: alerts.isPlaceholderData ? 0.6 : 1 }}
          >
            {(alert) => (
              <Table.Tr key={alert.id} data-testid="alert-row" data-level={alert.level}>
                <Table.Td>
                  <Badge color={LEVEL_COLOR[alert.level]} variant="filled" autoContrast styles={FIT}>
                    {alert.level}
                  </Badge>
                </Table.Td>
                <Table.Td maw={420}>
                  <Text size="sm" fw={600}>
                    {alert.title}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {CATEGORY_LABEL[alert.category]} · {alert.description}
                  </Text>
                </Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  <DateTime value={alert.raised_at} />
                </Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    {alert.resolved ? (
                      <Badge color="teal.9" variant="outline" styles={FIT}>
                        {alert.resolved_automatically ? 'resolved automatically' : 'resolved'}
                      </Badge>
                    ) : alert.acknowledged ? (
                      <Badge color="gray.8" variant="outline" styles={FIT}>
                        acknowledged
                      </Badge>
                    ) : (
                      <Badge color="gray.8" variant="outline" styles={FIT}>
                        not acknowledged
                      </Badge>
                    )}
                    {alert.escalated && (
                      <Badge color="grape.8" variant="outline" styles={FIT}>
                        escalated
                      </Badge>
                    )}
                  </Group>
                  {alert.resolved_at && (
                    <Text size="xs" c="dimmed">
                      <DateTime value={alert.resolved_at} />
                      {alert.resolution_note ? ` · ${alert.resolution_note}` : ''}
                    </Text>
                  )}
                  <Group gap={4} mt={6}>
                    {mayAct(alert, 'acknowledge') && !alert.acknowledged && (
                      <Button
                        size="compact-sm"
                        variant="light"
                        loading={acknowledge.isPending && acknowledge.variables === alert.id}
                        onClick={() => acknowledge.mutate(alert.id)}
                      >
                        Acknowledge
                      </Button>
                    )}
                    {mayAct(alert, 'resolve') && (
                      <Button size="compact-sm" variant="default" onClick={() => setResolving(alert)}>
                        Resolve
                      </Button>
                    )}
                  </Group>
                </Table.Td>
              </Table.Tr>
            )}
          </QueryTable>
          <CursorPager
            label="Alert pages"
            pages={pages}
            nextCursor={alerts.data?.next}
            waiting={alerts.isPlaceholderData}
          />
        </Paper>
      </Stack>
      <Modal
        closeButtonProps={{ 'aria-label': 'Close' }}
        opened={resolving !== null}
        onClose={() => {
          setResolving(null);
          resolve.reset();
        }}
        title="Resolve this alert?"
      >
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (resolving) resolve.mutate({ id: resolving.id, note });
          }}
        >
          <Stack>
            <Text size="sm" fw={600}>
              {resolving?.title}
            </Text>
            <Textarea
              label="Resolution note"
              description="What was done (optional, kept with the alert and in the audit log)"
              value={note}
              onChange={(e) => setNote(e.currentTarget.value)}
              autosize
              minRows={2}
              data-autofocus
            />
            <ErrorNotice error={resolve.error} title="The alert was not resolved" />
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setResolving(null)}>
                Cancel
              </Button>
              <Button type="submit" loading={resolve.isPending}>
                Resolve alert
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
