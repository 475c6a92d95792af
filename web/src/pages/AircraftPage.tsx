import { Anchor, Breadcrumbs, Button, Group, Paper, SimpleGrid, Skeleton, Stack, Text } from '@mantine/core';
import { IconEdit, IconPlaneDeparture, IconTrash } from '@tabler/icons-react';
import { useState, type ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError } from '../api/errors';
import { useCan } from '../app/access';
import { DateTime } from '../components/DateTime';
import { EmptyState } from '../components/EmptyState';
import { ErrorNotice } from '../components/ErrorNotice';
import { PageHeader } from '../components/PageHeader';
import { AircraftFormModal } from './fleet/AircraftFormModal';
import { DeleteAircraftModal } from './fleet/DeleteAircraftModal';
import { CompliancePanel, number, Panel, ProgramsPanel, RecentUsage, TasksPanel } from './fleet/Panels';
import { useAircraft, useAircraftTypes, type Aircraft } from './fleet/queries';
import { StatusBadge } from './fleet/status';
import { StatusWhy } from './fleet/StatusWhy';
import { UsageModal } from './fleet/UsageModal';

export default function AircraftPage() {
  const { id = '' } = useParams();
  const aircraft = useAircraft(id);
  if (aircraft.error instanceof ApiError && aircraft.error.status === 404)
    return (
      <>
        <Crumbs />
        <EmptyState title="No such aircraft">
          It may have been deleted.{' '}
          <Anchor component={Link} to="/fleet">
            Back to the fleet
          </Anchor>
        </EmptyState>
      </>
    );
  if (!aircraft.data)
    return (
      <>
        <Crumbs />
        <ErrorNotice error={aircraft.error} title="The aircraft could not be loaded" />
        {!aircraft.error && (
          <Stack>
            <Skeleton h={48} w={320} />
            <Skeleton h={72} />
            <SimpleGrid cols={{ base: 1, lg: 2 }}>
              <Skeleton h={200} />
              <Skeleton h={200} />
            </SimpleGrid>
          </Stack>
        )}
      </>
    );
  return <AircraftView aircraft={aircraft.data} />;
}

function Crumbs({ tail }: { tail?: string }) {
  return (
    <Breadcrumbs mb="xs" aria-label="Breadcrumb">
      <Anchor component={Link} to="/fleet" size="sm">
        Fleet
      </Anchor>
      {tail && <Text size="sm">{tail}</Text>}
    </Breadcrumbs>
  );
}

function AircraftView({ aircraft }: { aircraft: Aircraft }) {
  const can = useCan();
  const types = useAircraftTypes();
  const type = types.data?.find((t) => t.id === aircraft.aircraft_type_id);
  const [dialog, setDialog] = useState<'edit' | 'usage' | 'delete' | null>(null);
  const close = () => setDialog(null);
  const mayUpdate = can('aircraft', 'update');

  return (
    <>
      <Crumbs tail={aircraft.tail_number} />
      <PageHeader
        title={aircraft.tail_number}
        description={
          <>
            {aircraft.model}
            {aircraft.aircraft_type_id &&
              (type ? ` · ${type.designator} (${type.manufacturer} ${type.model})` : ' · …')}
            {aircraft.serial_number && ` · MSN ${aircraft.serial_number}`}
            {` · ${aircraft.capacity_slots} capacity slot${aircraft.capacity_slots === 1 ? '' : 's'}`}
          </>
        }
        actions={
          <>
            {mayUpdate && (
              <Button
                variant="default"
                leftSection={<IconEdit size={16} />}
                onClick={() => setDialog('edit')}
              >
                Edit
              </Button>
            )}
            {can('aircraft', 'delete') && (
              <Button
                variant="default"
                color="red.9"
                leftSection={<IconTrash size={16} />}
                onClick={() => setDialog('delete')}
              >
                Delete
              </Button>
            )}
          </>
        }
      />
      <Stack gap="md">
        <Group gap="sm" data-testid="aircraft-status">
          <StatusBadge status={aircraft.status} size="lg" />
          <Text size="sm" c="dimmed">
            {aircraft.status_source === 'manual' ? 'Set by hand' : 'Set by AMSS from its tasks'} · updated{' '}
            <DateTime value={aircraft.updated_at} />
          </Text>
        </Group>
        <StatusWhy aircraft={aircraft} />
        <SimpleGrid cols={{ base: 1, lg: 2 }}>
          <Panel
            title="Usage"
            testId="usage"
            actions={
              mayUpdate && (
                <Button
                  size="xs"
                  leftSection={<IconPlaneDeparture size={14} />}
                  onClick={() => setDialog('usage')}
                >
                  Record usage
                </Button>
              )
            }
          >
            <SimpleGrid cols={2} mb="sm">
              <Total
                label="Flight hours"
                value={number.format(aircraft.flight_hours_total)}
                testId="flight-hours-total"
              />
              <Total label="Cycles" value={number.format(aircraft.cycles_total)} testId="cycles-total" />
            </SimpleGrid>
            <RecentUsage aircraftId={aircraft.id} />
          </Panel>
          <Stack gap="md">
            <Panel title="Maintenance dates">
              <SimpleGrid cols={2}>
                <Total
                  label="Last maintenance"
                  value={<DateTime value={aircraft.last_maintenance} />}
                  small
                />
                <Total label="Next due" value={<DateTime value={aircraft.next_due} />} small />
              </SimpleGrid>
            </Panel>
            <ProgramsPanel aircraftId={aircraft.id} />
          </Stack>
        </SimpleGrid>
        <CompliancePanel aircraftId={aircraft.id} />
        <TasksPanel aircraftId={aircraft.id} />
      </Stack>
      <AircraftFormModal opened={dialog === 'edit'} onClose={close} aircraft={aircraft} />
      <UsageModal opened={dialog === 'usage'} onClose={close} aircraft={aircraft} />
      <DeleteAircraftModal opened={dialog === 'delete'} onClose={close} aircraft={aircraft} />
    </>
  );
}

function Total({
  label,
  value,
  testId,
  small = false,
}: {
  label: string;
  value: ReactNode;
  testId?: string;
  small?: boolean;
}) {
  return (
    <Paper bg="gray.0" p="sm" radius="sm" data-testid={testId}>
      <Text size="xs" tt="uppercase" fw={700} c="dimmed">
        {label}
      </Text>
      <Text fz={small ? 'md' : 26} lh={1.3} fw={700}>
        {value}
      </Text>
    </Paper>
  );
}
