import { Group, Paper, SimpleGrid, Skeleton, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { ErrorNotice } from '../../components/ErrorNotice';
import { EmptyState } from '../../components/EmptyState';
import classes from './FleetBoard.module.css';
import { useFleet } from './queries';

export const STATUS_COLOR = { operational: 'teal', maintenance: 'yellow', grounded: 'red' } as const;
const tileColor = (status: keyof typeof STATUS_COLOR) =>
  `var(--mantine-color-${STATUS_COLOR[status]}-${status === 'maintenance' ? 3 : 9})`;
const STATUS_LABEL = { operational: 'In service', maintenance: 'Maintenance', grounded: 'Grounded' } as const;

/** Every aircraft as a tile coloured by status; a tile opens the aircraft. */
export function FleetBoard() {
  const fleet = useFleet();
  return (
    <Paper withBorder p="md" radius="md" aria-labelledby="fleet-board-title">
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4" id="fleet-board-title">
          Fleet status
        </Title>
        <Group gap="md">
          {(Object.keys(STATUS_COLOR) as (keyof typeof STATUS_COLOR)[]).map((status) => (
            <Group key={status} gap={4}>
              <span
                aria-hidden
                style={{
                  width: 10,
                  height: 10,
                  borderRadius: 2,
                  background: tileColor(status),
                }}
              />
              <Text size="xs">{STATUS_LABEL[status]}</Text>
            </Group>
          ))}
        </Group>
      </Group>
      <ErrorNotice error={fleet.error} title="The fleet could not be loaded" />
      {fleet.isPending ? (
        <Skeleton h={64} />
      ) : fleet.data && fleet.data.length === 0 ? (
        <EmptyState title="No aircraft yet">Add one on the Fleet page or import a CSV.</EmptyState>
      ) : (
        <SimpleGrid cols={{ base: 3, xs: 4, sm: 6, lg: 8, xl: 10 }} spacing={6} data-testid="fleet-board">
          {fleet.data?.map((aircraft) => (
            <Link
              key={aircraft.id}
              to={`/fleet/${aircraft.id}`}
              className={classes.tile}
              data-status={aircraft.status}
              aria-label={`${aircraft.tail_number}, ${aircraft.model}: ${STATUS_LABEL[aircraft.status]}`}
              style={{ background: tileColor(aircraft.status) }}
            >
              <span className={classes.tail}>{aircraft.tail_number}</span>
              <span className={classes.model}>{aircraft.model}</span>
            </Link>
          ))}
        </SimpleGrid>
      )}
    </Paper>
  );
}
