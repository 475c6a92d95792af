import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api } from '../../api/client';
import { unwrap } from '../../api/errors';
import { ErrorNotice } from '../../components/ErrorNotice';
import type { Aircraft } from './queries';
import { notifyDone } from '../../components/notify';

/** Asks before deleting; the API refuses while a task is scheduled or in progress, in its words. */
export function DeleteAircraftModal({
  aircraft,
  opened,
  onClose,
}: {
  aircraft: Aircraft;
  opened: boolean;
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/aircraft/{id}', { params: { path: { id: aircraft.id } } })),
    onSuccess: async () => {
      notifyDone(`${aircraft.tail_number} is no longer in the fleet.`, { title: 'Aircraft deleted' });
      onClose();
      await navigate('/fleet');
      queryClient.removeQueries({ queryKey: ['aircraft', aircraft.id] });
      await queryClient.invalidateQueries({ queryKey: ['aircraft'] });
    },
  });
  const close = () => {
    remove.reset();
    onClose();
  };
  return (
    <Modal
      closeButtonProps={{ 'aria-label': 'Close' }}
      opened={opened}
      onClose={close}
      title={`Delete ${aircraft.tail_number}?`}
    >
      <Stack gap="sm">
        <Text size="sm">
          {aircraft.tail_number} ({aircraft.model}) leaves the fleet: it is no longer listed or planned, and
          its tail number can be used again. Its maintenance history is kept.
        </Text>
        <ErrorNotice error={remove.error} title="The aircraft was not deleted" />
        <Group justify="flex-end">
          <Button variant="default" onClick={close} data-autofocus>
            Keep it
          </Button>
          <Button color="red.9" onClick={() => remove.mutate()} loading={remove.isPending}>
            Delete
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
