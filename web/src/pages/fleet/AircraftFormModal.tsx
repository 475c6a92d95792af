import { Button, Group, Modal, NumberInput, Select, SimpleGrid, Stack, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { unwrap } from '../../api/errors';
import { ErrorNotice } from '../../components/ErrorNotice';
import { fromLocalInput, toLocalInput } from './dates';
import {
  aircraftTypeOptions,
  useAircraftTypes,
  type Aircraft,
  type AircraftChange,
  type AircraftCreate,
  type AircraftStatus,
} from './queries';
import { STATUS_LABEL } from './status';
import { notifyDone } from '../../components/notify';

interface FormValues {
  tail_number: string;
  model: string;
  aircraft_type_id: string | null;
  serial_number: string;
  status: AircraftStatus;
  capacity_slots: number;
  last_maintenance: string;
  next_due: string;
}

const blank: FormValues = {
  tail_number: '',
  model: '',
  aircraft_type_id: null,
  serial_number: '',
  status: 'operational',
  capacity_slots: 1,
  last_maintenance: '',
  next_due: '',
};

function valuesOf(aircraft: Aircraft): FormValues {
  return {
    tail_number: aircraft.tail_number,
    model: aircraft.model,
    aircraft_type_id: aircraft.aircraft_type_id,
    serial_number: aircraft.serial_number ?? '',
    status: aircraft.status,
    capacity_slots: aircraft.capacity_slots,
    last_maintenance: toLocalInput(aircraft.last_maintenance),
    next_due: toLocalInput(aircraft.next_due),
  };
}

/** Only what changed, as the PATCH body (null clears an optional field). */
function changesOf(before: FormValues, after: FormValues): AircraftChange {
  const body: AircraftChange = {};
  if (after.tail_number.trim() !== before.tail_number) body.tail_number = after.tail_number.trim();
  if (after.model.trim() !== before.model) body.model = after.model.trim();
  if (after.aircraft_type_id !== before.aircraft_type_id) body.aircraft_type_id = after.aircraft_type_id;
  if (after.serial_number.trim() !== before.serial_number)
    body.serial_number = after.serial_number.trim() || null;
  if (after.status !== before.status) body.status = after.status;
  if (after.capacity_slots !== before.capacity_slots) body.capacity_slots = after.capacity_slots;
  if (after.last_maintenance !== before.last_maintenance)
    body.last_maintenance = fromLocalInput(after.last_maintenance);
  if (after.next_due !== before.next_due) body.next_due = fromLocalInput(after.next_due);
  return body;
}

/**
 * The aircraft form in a dialog: adding one (no `aircraft`) or changing one. The API's refusals
 * (a taken tail number, dates the wrong way round, a status a task forbids) are shown in its words.
 */
export function AircraftFormModal({
  opened,
  onClose,
  aircraft,
  onCreated,
}: {
  opened: boolean;
  onClose: () => void;
  aircraft?: Aircraft;
  onCreated?: (created: Aircraft) => void;
}) {
  return (
    <Modal
      closeButtonProps={{ 'aria-label': 'Close' }}
      opened={opened}
      onClose={onClose}
      title={aircraft ? `Edit ${aircraft.tail_number}` : 'Add aircraft'}
      size="lg"
    >
      {/* Mounted only while open: every opening starts from the aircraft as it is now. */}
      {opened && <AircraftForm aircraft={aircraft} onDone={onClose} onCreated={onCreated} />}
    </Modal>
  );
}

function AircraftForm({
  aircraft,
  onDone,
  onCreated,
}: {
  aircraft?: Aircraft;
  onDone: () => void;
  onCreated?: (created: Aircraft) => void;
}) {
  const queryClient = useQueryClient();
  const types = useAircraftTypes();
  const initial = aircraft ? valuesOf(aircraft) : blank;
  const [values, setValues] = useState<FormValues>(initial);
  const set = <K extends keyof FormValues>(key: K, value: FormValues[K]) =>
    setValues((v) => ({ ...v, [key]: value }));

  const save = useMutation({
    mutationFn: async (): Promise<Aircraft> => {
      if (aircraft) {
        return unwrap(
          api.PATCH('/api/v1/aircraft/{id}', {
            params: { path: { id: aircraft.id } },
            body: changesOf(initial, values),
          }),
        );
      }
      const body: AircraftCreate = {
        tail_number: values.tail_number.trim(),
        model: values.model.trim(),
        capacity_slots: values.capacity_slots,
        status: values.status,
      };
      if (values.aircraft_type_id) body.aircraft_type_id = values.aircraft_type_id;
      if (values.serial_number.trim()) body.serial_number = values.serial_number.trim();
      const last = fromLocalInput(values.last_maintenance);
      const next = fromLocalInput(values.next_due);
      if (last) body.last_maintenance = last;
      if (next) body.next_due = next;
      return unwrap(
        api.POST('/api/v1/aircraft', { body, headers: { 'Idempotency-Key': crypto.randomUUID() } }),
      );
    },
    onSuccess: async (saved) => {
      notifyDone(`${saved.tail_number} (${saved.model})`, {
        title: aircraft ? 'Aircraft saved' : 'Aircraft added',
      });
      await queryClient.invalidateQueries({ queryKey: ['aircraft'] });
      if (!aircraft) onCreated?.(saved);
      onDone();
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (aircraft && Object.keys(changesOf(initial, values)).length === 0) {
      onDone();
      return;
    }
    save.mutate();
  };

  const typeOptions = aircraftTypeOptions(types.data);

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <ErrorNotice
          error={save.error}
          title={aircraft ? 'The aircraft was not saved' : 'The aircraft was not added'}
        />
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput
            label="Tail number"
            description="Letters, digits and hyphens"
            required
            value={values.tail_number}
            onChange={(e) => set('tail_number', e.currentTarget.value.toUpperCase())}
            data-autofocus
          />
          <TextInput
            label="Model"
            description="As the operator calls it, e.g. A320neo"
            required
            value={values.model}
            onChange={(e) => set('model', e.currentTarget.value)}
          />
          <Select
            label="Aircraft type"
            description="ICAO type: type ratings are kept per type"
            placeholder={types.isPending ? 'Loading types…' : 'Not recorded'}
            data={typeOptions}
            value={values.aircraft_type_id}
            onChange={(value) => set('aircraft_type_id', value)}
            searchable
            clearable
            clearButtonProps={{ 'aria-label': 'Clear the aircraft type' }}
            nothingFoundMessage="No such type"
          />
          <TextInput
            label="Serial number"
            description="Manufacturer serial number (MSN)"
            value={values.serial_number}
            onChange={(e) => set('serial_number', e.currentTarget.value)}
          />
          <Select
            label="Status"
            description={aircraft ? 'A status set here stays until changed by hand' : undefined}
            data={(Object.keys(STATUS_LABEL) as AircraftStatus[]).map((s) => ({
              value: s,
              label: STATUS_LABEL[s],
            }))}
            value={values.status}
            onChange={(value) => value && set('status', value)}
            allowDeselect={false}
          />
          <NumberInput
            label="Capacity slots"
            description="Tasks it can take at once"
            min={1}
            allowDecimal={false}
            value={values.capacity_slots}
            onChange={(value) => set('capacity_slots', typeof value === 'number' ? value : 1)}
          />
          <TextInput
            type="datetime-local"
            label="Last maintenance"
            description="When it was last maintained"
            value={values.last_maintenance}
            onChange={(e) => set('last_maintenance', e.currentTarget.value)}
          />
          <TextInput
            type="datetime-local"
            label="Next due"
            description="After the last maintenance"
            value={values.next_due}
            onChange={(e) => set('next_due', e.currentTarget.value)}
          />
        </SimpleGrid>
        <Group justify="flex-end" mt="sm">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending}>
            {aircraft ? 'Save' : 'Add aircraft'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
