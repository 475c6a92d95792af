import { BarChart } from '@mantine/charts';
import { Group, Paper, Text, Title } from '@mantine/core';
import { STATE_LABEL } from './labels';
import type { DashboardMetrics } from './queries';

export function TasksByState({ metrics }: { metrics: DashboardMetrics }) {
  const data = (Object.keys(STATE_LABEL) as (keyof typeof STATE_LABEL)[]).map((state) => ({
    state: STATE_LABEL[state],
    tasks: metrics.tasks.by_state[state],
  }));
  return (
    <Paper withBorder p="md" radius="md">
      <Title order={2} size="h4" mb="sm">
        Tasks by state
      </Title>
      <BarChart
        h={200}
        data={data}
        dataKey="state"
        series={[{ name: 'tasks', label: 'Tasks', color: 'indigo.6' }]}
      />
      <Text size="xs" c="dimmed" mt="xs">
        {metrics.tasks.total} live tasks, {metrics.tasks.overdue} overdue
      </Text>
    </Paper>
  );
}

export function Utilisation({ metrics }: { metrics: DashboardMetrics }) {
  const data = metrics.mechanics.utilisation.map((m) => ({
    mechanic: m.email.split('@')[0] ?? m.email,
    utilisation: Math.round(m.utilisation * 100),
  }));
  return (
    <Paper withBorder p="md" radius="md">
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4">
          Mechanic utilisation today
        </Title>
        <Text size="sm" c="dimmed">
          {metrics.mechanics.on_task_now} of {metrics.mechanics.total} on a task now
        </Text>
      </Group>
      <BarChart
        h={200}
        data={data}
        dataKey="mechanic"
        orientation="vertical"
        yAxisProps={{ width: 110 }}
        xAxisProps={{ domain: [0, 100] }}
        valueFormatter={(value) => `${value} %`}
        series={[
          {
            name: 'utilisation',
            label: `Booked of a ${metrics.mechanics.shift_hours} h shift`,
            color: 'teal.7',
          },
        ]}
      />
    </Paper>
  );
}
