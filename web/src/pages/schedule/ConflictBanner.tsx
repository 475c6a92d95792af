import { Alert, Anchor, Badge, Group, List, Skeleton, Text } from '@mantine/core';
import { IconAlertTriangle, IconCircleCheck } from '@tabler/icons-react';
import { Link } from 'react-router';
import { ErrorNotice } from '../../components/ErrorNotice';
import { taskLabel } from './model';
import type { Conflict, Task } from './queries';

const KIND_LABEL: Record<Conflict['type'], string> = {
  dependency_violation: 'Dependency',
  mechanic_overlap: 'Double booking',
  past_due: 'Past due',
  parts_short: 'Parts short',
  mechanic_unqualified: 'Not qualified',
};

/** Everything wrong with the plan in the range, each with links to the tasks involved. */
export function ConflictBanner({
  conflicts,
  error,
  pending,
  tasks,
  tails,
}: {
  conflicts: Conflict[] | undefined;
  error: unknown;
  pending: boolean;
  tasks: Map<string, Task>;
  tails: Map<string, string>;
}) {
  if (error) return <ErrorNotice error={error} title="The conflicts could not be checked" />;
  if (pending || !conflicts) return <Skeleton h={52} mb="md" />;
  if (conflicts.length === 0)
    return (
      <Alert color="teal" variant="light" icon={<IconCircleCheck />} mb="md" data-testid="conflict-banner">
        <Text size="sm">No conflicts in this range.</Text>
      </Alert>
    );
  return (
    <Alert
      color="orange"
      variant="light"
      icon={<IconAlertTriangle />}
      title={`${conflicts.length} ${conflicts.length === 1 ? 'conflict' : 'conflicts'} in this range`}
      mb="md"
      data-testid="conflict-banner"
      styles={{ title: { color: 'var(--mantine-color-dark-9)' } }}
    >
      <List
        size="sm"
        spacing={6}
        style={{ maxHeight: 220, overflowY: 'auto' }}
        // Scrolls when long: reachable by keyboard.
        tabIndex={0}
        aria-label="Conflicts"
      >
        {conflicts.map((conflict, i) => (
          <List.Item key={`${conflict.type}-${conflict.task_ids.join('-')}-${i}`} data-testid="conflict">
            <Group gap={6} wrap="wrap" align="baseline">
              <Badge size="sm" color="gray.8" variant="filled" autoContrast>
                {KIND_LABEL[conflict.type]}
              </Badge>
              <Text size="sm" span c="dark.9">
                {conflict.sentence}
              </Text>
              {conflict.task_ids.map((id) => {
                const task = tasks.get(id);
                const name = task
                  ? `${tails.get(task.aircraft_id) ?? ''} ${taskLabel(task)}`.trim()
                  : `task ${id.slice(0, 8)}`;
                return (
                  <Anchor key={id} component={Link} to={`/tasks/${id}`} size="sm" c="indigo.9">
                    Open {name}
                  </Anchor>
                );
              })}
            </Group>
          </List.Item>
        ))}
      </List>
    </Alert>
  );
}
