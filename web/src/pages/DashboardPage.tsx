import { Group, Paper, RingProgress, SimpleGrid, Skeleton, Stack, Table, Text, Title } from '@mantine/core';
import { lazy, Suspense } from 'react';
import { Link } from 'react-router';
import { useSession } from '../auth/store';
import { DateTime } from '../components/DateTime';
import { ErrorNotice } from '../components/ErrorNotice';
import { PageHeader } from '../components/PageHeader';
import { AlertFeed } from './dashboard/AlertFeed';
import { Figure, percent } from './dashboard/Figure';
import { FleetBoard } from './dashboard/FleetBoard';
import { useDashboard, type DashboardMetrics } from './dashboard/queries';

import { STATE_LABEL } from './dashboard/labels';

// The charts (recharts, the largest part of the page) load beside the figures, not before them:
// the dashboard's first JavaScript stays small, and the placeholders keep their height.
const TasksByState = lazy(() => import('./dashboard/Charts').then((m) => ({ default: m.TasksByState })));
const Utilisation = lazy(() => import('./dashboard/Charts').then((m) => ({ default: m.Utilisation })));
const chartPlaceholder = <Skeleton h={290} radius="md" />;

export default function DashboardPage() {
  const session = useSession();
  const dashboard = useDashboard();
  const metrics = dashboard.data;
  return (
    <>
      <PageHeader
        title="Dashboard"
        description={
          metrics ? (
            <>
              Figures as of <DateTime value={metrics.computed_at} />, updated live
            </>
          ) : (
            'Your organization at a glance'
          )
        }
      />
      <ErrorNotice error={dashboard.error} title="The dashboard could not be loaded" />
      {!metrics ? (
        <SimpleGrid cols={{ base: 2, md: 4 }}>
          {Array.from({ length: 8 }, (_, i) => (
            <Skeleton key={i} h={92} />
          ))}
        </SimpleGrid>
      ) : (
        <Stack gap="md">
          {session?.role === 'mechanic' && <MyTasksToday metrics={metrics} />}
          <Headline metrics={metrics} />
          <FleetBoard />
          <SimpleGrid cols={{ base: 1, lg: 2 }}>
            <Suspense fallback={chartPlaceholder}>
              <TasksByState metrics={metrics} />
            </Suspense>
            <Suspense fallback={chartPlaceholder}>
              <Utilisation metrics={metrics} />
            </Suspense>
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, lg: 2 }}>
            <AlertFeed />
            <Stack gap="md">
              <PartsFill metrics={metrics} />
              <Certifications metrics={metrics} />
            </Stack>
          </SimpleGrid>
        </Stack>
      )}
    </>
  );
}

function Headline({ metrics }: { metrics: DashboardMetrics }) {
  const { fleet, tasks, alerts, directives, compliance } = metrics;
  return (
    <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }}>
      <Figure
        label="AOG"
        value={fleet.aog}
        color={fleet.aog > 0 ? 'red.8' : undefined}
        hint="aircraft on ground awaiting AOG work"
        testId="aog-count"
      />
      <Figure
        label="Availability"
        value={percent(fleet.availability_rate)}
        hint={`${fleet.by_status.operational} of ${fleet.total} aircraft in service`}
      />
      <Figure
        label="Overdue tasks"
        value={tasks.overdue}
        color={tasks.overdue > 0 ? 'orange.9' : undefined}
        hint="not started, or running past their end"
      />
      <Figure
        label="On time"
        value={percent(tasks.on_time_completion_rate)}
        hint={`${tasks.completed_last_30_days} completed in 30 days, ${tasks.average_turnaround_hours ?? '—'} h average`}
      />
      <Figure
        label="Alerts"
        value={alerts.unresolved}
        color={alerts.critical > 0 ? 'red.8' : undefined}
        hint={`${alerts.critical} critical, ${alerts.unacknowledged} not acknowledged`}
      />
      <Figure
        label="Directives"
        value={directives.overdue}
        color={directives.overdue > 0 ? 'red.8' : undefined}
        hint={`overdue; ${directives.due} due soon · ${compliance.pending} sign-offs pending`}
      />
    </SimpleGrid>
  );
}

function PartsFill({ metrics }: { metrics: DashboardMetrics }) {
  const { parts } = metrics;
  const fill = parts.fill_rate === null ? 0 : Math.round(parts.fill_rate * 100);
  return (
    <Paper withBorder p="md" radius="md">
      <Title order={2} size="h4" mb="sm">
        Parts
      </Title>
      <Group wrap="nowrap">
        <RingProgress
          size={110}
          thickness={12}
          sections={[{ value: fill, color: fill >= 80 ? 'teal' : fill >= 50 ? 'yellow' : 'red' }]}
          label={
            <Text ta="center" fw={700} size="sm">
              {parts.fill_rate === null ? '—' : `${fill} %`}
            </Text>
          }
          aria-label={`Fill rate ${fill} percent`}
        />
        <Stack gap={2}>
          <Text size="sm">
            Fill rate: {parts.units_reserved} of {parts.units_required} units the open tasks need are reserved
          </Text>
          <Text size="sm">{parts.items_in_stock} items in stock</Text>
          <Text
            size="sm"
            c={parts.definitions_low > 0 ? 'red.9' : undefined}
            fw={parts.definitions_low > 0 ? 600 : undefined}
          >
            {parts.definitions_low} part numbers low, {parts.definitions_out_of_stock} out of stock
          </Text>
          <Text size="sm">{parts.items_expiring_soon} items expiring within 30 days</Text>
        </Stack>
      </Group>
    </Paper>
  );
}

function Certifications({ metrics }: { metrics: DashboardMetrics }) {
  const c = metrics.certifications;
  return (
    <Paper withBorder p="md" radius="md">
      <Title order={2} size="h4" mb="sm">
        Certifications
      </Title>
      <SimpleGrid cols={4}>
        <Figure label="Expired" value={c.expired} color={c.expired > 0 ? 'red.8' : undefined} />
        <Figure label="≤ 30 days" value={c.expiring_within_30_days} />
        <Figure label="≤ 60 days" value={c.expiring_within_60_days} />
        <Figure label="≤ 90 days" value={c.expiring_within_90_days} />
      </SimpleGrid>
    </Paper>
  );
}

function MyTasksToday({ metrics }: { metrics: DashboardMetrics }) {
  const tasks = metrics.my_tasks_today ?? [];
  return (
    <Paper withBorder p="md" radius="md">
      <Title order={2} size="h4" mb="sm">
        My tasks today
      </Title>
      {tasks.length === 0 ? (
        <Text c="dimmed" size="sm">
          Nothing assigned to you today.
        </Text>
      ) : (
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Aircraft</Table.Th>
              <Table.Th>Task</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Window</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {tasks.map((task) => (
              <Table.Tr key={task.id}>
                <Table.Td>{task.tail_number}</Table.Td>
                <Table.Td>
                  <Link to={`/tasks/${task.id}`}>
                    {task.type} ({task.priority})
                  </Link>
                </Table.Td>
                <Table.Td>{STATE_LABEL[task.state]}</Table.Td>
                <Table.Td>
                  <DateTime value={task.start_time} /> – <DateTime value={task.end_time} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Paper>
  );
}
