import { Button, Group, Modal, NumberInput, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { unwrap } from '../../api/errors';
import { ErrorNotice } from '../../components/ErrorNotice';
import { fromLocalInput, toLocalInput } from './dates';
import type { Aircraft } from './queries';
import { notify, notifyDone } from '../../components/notify';

/** Records one flight (POST /aircraft/{id}/usage); a source reference already recorded counts nothing. */
export function UsageModal({
  aircraft,
  opened,
  onClose,
}: {
  aircraft: Aircraft;
  opened: boolean;
  onClose: () => void;
}) {
  return (
    <Modal
      closeButtonProps={{ 'aria-label': 'Close' }}
      opened={opened}
      onClose={onClose}
      title={`Record usage of ${aircraft.tail_number}`}
    >
      {opened && <UsageForm aircraft={aircraft} onDone={onClose} />}
    </Modal>
  );
}

function UsageForm({ aircraft, onDone }: { aircraft: Aircraft; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [sourceRef, setSourceRef] = useState('');
  const [hours, setHours] = useState<number | string>('');
  const [cycles, setCycles] = useState<number | string>(1);
  const [recordedAt, setRecordedAt] = useState(() => toLocalInput(new Date().toISOString()));

  const record = useMutation({
    mutationFn: () => {
      const at = fromLocalInput(recordedAt);
      return unwrap(
        api.POST('/api/v1/aircraft/{id}/usage', {
          params: { path: { id: aircraft.id } },
          body: {
            source_ref: sourceRef.trim(),
            flight_hours: typeof hours === 'number' ? hours : Number(hours),
            cycles: typeof cycles === 'number' ? cycles : Number(cycles),
            ...(at ? { recorded_at: at } : {}),
          },
          headers: { 'Idempotency-Key': crypto.randomUUID() },
        }),
      );
    },
    onSuccess: async (result) => {
      if (result.recorded > 0)
        notifyDone(
          `${aircraft.tail_number} now has ${result.flight_hours_total} flight hours and ${result.cycles_total} cycles.`,
          { title: 'Usage recorded' },
        );
      else
        notify({
          tone: 'warning',
          title: 'Already recorded',
          message: `Flight ${sourceRef.trim()} was recorded before; the totals did not change.`,
        });
      await queryClient.invalidateQueries({ queryKey: ['aircraft'] });
      onDone();
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    record.mutate();
  };

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <Text size="sm" c="dimmed">
          One flight. Sending the same flight reference again counts nothing, so a retry is always safe.
        </Text>
        <ErrorNotice error={record.error} title="The usage was not recorded" />
        <TextInput
          label="Flight reference"
          description="The flight's reference in your system, e.g. DA101-20260301"
          required
          value={sourceRef}
          onChange={(e) => setSourceRef(e.currentTarget.value)}
          data-autofocus
        />
        <SimpleGrid cols={2}>
          <NumberInput
            label="Flight hours"
            required
            min={0}
            decimalScale={2}
            step={0.25}
            value={hours}
            onChange={setHours}
          />
          <NumberInput
            label="Cycles"
            required
            min={0}
            allowDecimal={false}
            value={cycles}
            onChange={setCycles}
          />
        </SimpleGrid>
        <TextInput
          type="datetime-local"
          label="Flown at"
          description="Defaults to now; never in the future"
          value={recordedAt}
          onChange={(e) => setRecordedAt(e.currentTarget.value)}
        />
        <Group justify="flex-end" mt="sm">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={record.isPending}>
            Record
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
