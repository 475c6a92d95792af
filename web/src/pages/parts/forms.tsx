import { Button, Group, Modal, NumberInput, Select, Stack, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client';
import { unwrap } from '../../api/errors';
import { ErrorNotice } from '../../components/ErrorNotice';
import { notifyDone } from '../../components/notify';
import { DayInput } from '../../components/DayInput';

const whole = (value: string | number) => (value === '' ? null : Number(value));

/** A new part definition: name, category and its stock settings. */
export function AddDefinitionModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [category, setCategory] = useState('');
  const [minStock, setMinStock] = useState<string | number>('');
  const [reorder, setReorder] = useState<string | number>('');
  const [leadTime, setLeadTime] = useState<string | number>('');
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/part-definitions', {
          body: {
            name: name.trim(),
            category: category.trim(),
            min_stock_level: whole(minStock),
            reorder_point: whole(reorder),
            lead_time_days: whole(leadTime),
          },
          headers: { 'Idempotency-Key': crypto.randomUUID() },
        }),
      ),
    onSuccess: (definition) => {
      notifyDone(`${definition.name} added`);
      void queryClient.invalidateQueries({ queryKey: ['parts'] });
      close();
    },
  });
  const close = () => {
    setName('');
    setCategory('');
    setMinStock('');
    setReorder('');
    setLeadTime('');
    create.reset();
    onClose();
  };
  return (
    <Modal
      closeButtonProps={{ 'aria-label': 'Close' }}
      opened={opened}
      onClose={close}
      title="Add a part definition"
    >
      <form
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
      >
        <Stack>
          <ErrorNotice error={create.error} title="The part definition was not added" />
          <TextInput
            label="Name"
            required
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            data-autofocus
          />
          <TextInput
            label="Category"
            required
            placeholder="e.g. landing gear"
            value={category}
            onChange={(e) => setCategory(e.currentTarget.value)}
          />
          <Group grow align="flex-start">
            <NumberInput
              label="Minimum stock"
              min={0}
              allowDecimal={false}
              value={minStock}
              onChange={setMinStock}
            />
            <NumberInput
              label="Reorder point"
              min={0}
              allowDecimal={false}
              value={reorder}
              onChange={setReorder}
            />
            <NumberInput
              label="Lead time (days)"
              min={0}
              allowDecimal={false}
              value={leadTime}
              onChange={setLeadTime}
            />
          </Group>
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending}>
              Add definition
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

const STATUS_OPTIONS = [
  { value: 'in_stock', label: 'In stock' },
  { value: 'used', label: 'Used' },
  { value: 'disposed', label: 'Disposed' },
];

/** A new serialized item of a definition. */
export function AddItemModal({
  definition,
  onClose,
}: {
  definition: { id: string; name: string } | null;
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const [serial, setSerial] = useState('');
  const [status, setStatus] = useState<'in_stock' | 'used' | 'disposed'>('in_stock');
  const [expiry, setExpiry] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/part-items', {
          body: {
            part_definition_id: definition!.id,
            serial_number: serial.trim(),
            status,
            expiry_date: expiry ? new Date(`${expiry}T00:00:00Z`).toISOString() : null,
          },
          headers: { 'Idempotency-Key': crypto.randomUUID() },
        }),
      ),
    onSuccess: (item) => {
      notifyDone(`Item ${item.serial_number} added`);
      void queryClient.invalidateQueries({ queryKey: ['parts'] });
      close();
    },
  });
  const close = () => {
    setSerial('');
    setStatus('in_stock');
    setExpiry(null);
    create.reset();
    onClose();
  };
  return (
    <Modal
      closeButtonProps={{ 'aria-label': 'Close' }}
      opened={definition !== null}
      onClose={close}
      title={`Add an item of ${definition?.name ?? ''}`}
    >
      <form
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
      >
        <Stack>
          <ErrorNotice error={create.error} title="The item was not added" />
          <TextInput
            label="Serial number"
            required
            value={serial}
            onChange={(e) => setSerial(e.currentTarget.value)}
            data-autofocus
          />
          <Select
            label="Status"
            data={STATUS_OPTIONS}
            value={status}
            allowDeselect={false}
            onChange={(value) => value && setStatus(value as typeof status)}
          />
          <DayInput
            label="Expiry date"
            description="Leave empty for a part that does not expire"
            clearable
            clearButtonProps={{ 'aria-label': 'No expiry' }}
            minDate={new Date()}
            value={expiry}
            onChange={setExpiry}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending}>
              Add item
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
