import { Badge, Button, Group, Paper, Select, Skeleton, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client';
import { unwrap } from '../../api/errors';
import { useCan } from '../../app/access';
import { useSession } from '../../auth/store';
import { DateTime } from '../../components/DateTime';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNotice } from '../../components/ErrorNotice';
import { refusalTitle } from './labels';
import {
  useDefinitionNames,
  usePartsAvailability,
  useRefreshTask,
  useReservableItems,
  useReservedItems,
  type TaskDetail,
  BRIEF,
} from './queries';
import { notifyDone } from '../../components/notify';

const AVAILABILITY = {
  reserved: { label: 'Reserved', color: 'teal.9' },
  available: { label: 'Available', color: 'blue.8' },
  short: { label: 'Short', color: 'red.9' },
} as const;

const RESERVATION = {
  reserved: { label: 'Reserved', color: 'blue.8' },
  used: { label: 'Used', color: 'teal.9' },
  released: { label: 'Released', color: 'gray.7' },
} as const;

/** The parts the task needs, whether stock covers them, and the items held for it. */
export function PartsPanel({ detail }: { detail: TaskDetail }) {
  const { task, reservations } = detail;
  const can = useCan();
  const session = useSession();
  const refresh = useRefreshTask();
  const availability = usePartsAvailability(task.id);
  const items = useReservedItems(reservations.map((r) => r.part_item_id));
  const names = useDefinitionNames([...items.values()].map((item) => item.part_definition_id));
  const open = task.state === 'scheduled' || task.state === 'in_progress';
  const mayReserve = open && can('parts', 'create');
  // A mechanic marks parts used only on their own task (403 NOT_ASSIGNED_MECHANIC otherwise).
  const mayUse =
    can('parts', 'update') && (session?.role !== 'mechanic' || task.assigned_mechanic_id === session.userId);
  const mayRelease = can('parts', 'update');
  const move = useMutation({
    mutationFn: ({ id, state }: { id: string; state: 'used' | 'released' }) =>
      unwrap(
        api.PATCH('/api/v1/part-reservations/{id}/state', {
          params: { path: { id } },
          body: { new_state: state },
        }),
      ),
    onSuccess: (_r, { state }) => {
      notifyDone(state === 'used' ? 'Part marked used' : 'Part released', BRIEF);
      refresh('stock', 'parts');
    },
  });

  return (
    <Paper withBorder p="md" radius="md" aria-labelledby="parts-title">
      <Title order={2} size="h4" id="parts-title" mb="sm">
        Parts
      </Title>
      <ErrorNotice error={availability.error} title="Parts availability could not be loaded" />
      <Text fw={600} size="sm" mb={4}>
        Required
      </Text>
      {availability.isPending ? (
        <Skeleton h={60} />
      ) : availability.data?.length === 0 ? (
        <Text size="sm" c="dimmed" mb="sm">
          This task needs no parts.
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={560}>
          <Table verticalSpacing="xs" mb="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Part</Table.Th>
                <Table.Th>Needed</Table.Th>
                <Table.Th>Held for the task</Table.Th>
                <Table.Th>Free in stock</Table.Th>
                <Table.Th>Status</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {availability.data?.map((part) => (
                <Table.Tr key={part.part_definition_id} data-testid="required-part">
                  <Table.Td>{part.name}</Table.Td>
                  <Table.Td>{part.quantity}</Table.Td>
                  <Table.Td>{part.reserved}</Table.Td>
                  <Table.Td>{part.available_in_stock}</Table.Td>
                  <Table.Td>
                    <Badge miw="max-content" color={AVAILABILITY[part.status].color} variant="filled">
                      {AVAILABILITY[part.status].label}
                    </Badge>
                    {part.status === 'short' && (
                      <Text size="xs" mt={2}>
                        {part.shortfall} missing
                        {part.expected_date ? `, could arrive by ${part.expected_date}` : ''}
                      </Text>
                    )}
                    {mayReserve && part.still_needed > 0 && part.available_in_stock > 0 && (
                      <ReserveItem taskId={task.id} definitionId={part.part_definition_id} name={part.name} />
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Text fw={600} size="sm" mb={4}>
        Reservations
      </Text>
      {move.error && <ErrorNotice error={move.error} title={refusalTitle(move.error)} />}
      {reservations.length === 0 ? (
        <EmptyState title="Nothing reserved">No part item is held for this task.</EmptyState>
      ) : (
        <Table.ScrollContainer minWidth={560}>
          <Table verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Item</Table.Th>
                <Table.Th>State</Table.Th>
                <Table.Th>Since</Table.Th>
                <Table.Th>Action</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {reservations.map((r) => {
                const item = items.get(r.part_item_id);
                const label = item
                  ? `${names.get(item.part_definition_id) ?? 'Part'} ${item.serial_number}`
                  : `item ${r.part_item_id.slice(0, 8)}`;
                return (
                  <Table.Tr key={r.id} data-testid="reservation">
                    <Table.Td>{label}</Table.Td>
                    <Table.Td>
                      <Badge miw="max-content" color={RESERVATION[r.state].color} variant="filled">
                        {RESERVATION[r.state].label}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      <DateTime value={r.updated_at} />
                    </Table.Td>
                    <Table.Td>
                      {r.state === 'reserved' && (
                        <Group gap={6}>
                          {mayUse && (
                            <Button
                              size="xs"
                              onClick={() => move.mutate({ id: r.id, state: 'used' })}
                              aria-label={`Mark ${label} used`}
                            >
                              Mark used
                            </Button>
                          )}
                          {mayRelease && (
                            <Button
                              size="xs"
                              variant="default"
                              onClick={() => move.mutate({ id: r.id, state: 'released' })}
                              aria-label={`Release ${label}`}
                            >
                              Release
                            </Button>
                          )}
                        </Group>
                      )}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Paper>
  );
}

function ReserveItem({ taskId, definitionId, name }: { taskId: string; definitionId: string; name: string }) {
  const [itemId, setItemId] = useState<string | null>(null);
  const items = useReservableItems(definitionId, true);
  const refresh = useRefreshTask();
  const reserve = useMutation({
    mutationFn: (part_item_id: string) =>
      unwrap(
        api.POST('/api/v1/part-reservations', {
          body: { task_id: taskId, part_item_id },
          headers: { 'Idempotency-Key': crypto.randomUUID() },
        }),
      ),
    onSuccess: () => {
      notifyDone(`${name} reserved`, BRIEF);
      setItemId(null);
      refresh('stock', 'parts');
    },
  });
  return (
    <Stack gap={4} mt={6}>
      <Group gap={6} align="flex-end" wrap="nowrap">
        <Select
          size="xs"
          label={`Item of ${name} to reserve`}
          placeholder={items.isPending ? 'Loading…' : 'Choose a serial'}
          data={(items.data ?? []).map((item) => ({
            value: item.id,
            label: item.expiry_date
              ? `${item.serial_number} (expires ${item.expiry_date})`
              : item.serial_number,
          }))}
          value={itemId}
          onChange={setItemId}
          w={200}
        />
        <Button
          size="xs"
          disabled={!itemId}
          loading={reserve.isPending}
          onClick={() => reserve.mutate(itemId!)}
        >
          Reserve
        </Button>
      </Group>
      {reserve.error && <ErrorNotice error={reserve.error} title={refusalTitle(reserve.error)} />}
    </Stack>
  );
}
