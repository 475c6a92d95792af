import { Group, Paper, SimpleGrid, Skeleton, Text, Title, UnstyledButton } from '@mantine/core';
import { Link } from 'react-router';
import { ErrorNotice } from '../../components/ErrorNotice';
import { EmptyState } from '../../components/EmptyState';
import { useFleet } from './queries';

export const STATUS_COLOR = { operational: 'teal', maintenance: 'yellow', grounded: 'red' } as const;
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
                  background: `var(--mantine-color-${STATUS_COLOR[status]}-${status === 'maintenance' ? 3 : 9})`,
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
            <UnstyledButton
              key={aircraft.id}
              component={Link}
              to={`/fleet/${aircraft.id}`}
              aria-label={`${aircraft.tail_number}, ${aircraft.model}: ${STATUS_LABEL[aircraft.status]}`}
              style={{
                background: `var(--mantine-color-${STATUS_COLOR[aircraft.status]}-${aircraft.status === 'maintenance' ? 3 : 9})`,
                color: aircraft.status === 'maintenance' ? 'var(--mantine-color-dark-9)' : 'white',
                borderRadius: 4,
                padding: '6px 8px',
              }}
            >
              <Text fw={700} size="sm" truncate>
                {aircraft.tail_number}
              </Text>
              <Text size="xs" truncate>
                {aircraft.model}
              </Text>
            </UnstyledButton>
          ))}
        </SimpleGrid>
      )}
    </Paper>
  );
}
