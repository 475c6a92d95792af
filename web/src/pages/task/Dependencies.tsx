import { Anchor, Badge, Group, Stack, Text } from '@mantine/core';
import { Link } from 'react-router';
import { DateTime } from '../../components/DateTime';
import { DEPENDENCY_STATUS, DEPENDENCY_TYPE_LABEL, PRIORITY_LABEL, STATE_LABEL } from './labels';
import { useTailNumbers, type Dependency } from './queries';

/** The tasks this one waits for, and those waiting for it, with whether each link holds. */
export function Dependencies({ dependencies }: { dependencies: Dependency[] }) {
  const tails = useTailNumbers(dependencies.map((d) => d.other_task.aircraft_id));
  const predecessors = dependencies.filter((d) => d.other_role === 'predecessor');
  const successors = dependencies.filter((d) => d.other_role === 'successor');
  if (dependencies.length === 0)
    return (
      <Text size="sm" c="dimmed">
        None: this task waits for no other task, and none waits for it.
      </Text>
    );
  const row = (d: Dependency) => {
    const other = d.other_task;
    const status = DEPENDENCY_STATUS[d.status];
    return (
      <Group key={d.id} gap={8} wrap="wrap" data-testid="dependency">
        <Anchor component={Link} to={`/tasks/${other.id}`} size="sm">
          {PRIORITY_LABEL[other.priority]} task on {tails.get(other.aircraft_id) ?? 'aircraft'}
        </Anchor>
        <Text size="sm">
          {other.deleted ? 'deleted' : STATE_LABEL[other.state]}, <DateTime value={other.start_time} /> –{' '}
          <DateTime value={other.end_time} />
        </Text>
        <Text size="xs" c="dimmed">
          {DEPENDENCY_TYPE_LABEL[d.type]}
          {d.lag_minutes ? `, ${d.lag_minutes} min lag` : ''}
        </Text>
        <Badge size="sm" variant="filled" color={status.color}>
          {status.label}
        </Badge>
      </Group>
    );
  };
  return (
    <Stack gap={6}>
      {predecessors.length > 0 && (
        <div>
          <Text size="sm" fw={600}>
            Waits for
          </Text>
          {predecessors.map(row)}
        </div>
      )}
      {successors.length > 0 && (
        <div>
          <Text size="sm" fw={600}>
            Holds back
          </Text>
          {successors.map(row)}
        </div>
      )}
    </Stack>
  );
}
