import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api } from '../../api/client';
import { unwrap } from '../../api/errors';
import { ConfirmDeleteModal } from '../../components/ConfirmDeleteModal';
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
  return (
    <ConfirmDeleteModal
      opened={opened}
      onClose={onClose}
      title={`Delete ${aircraft.tail_number}?`}
      mutation={remove}
      onConfirm={() => remove.mutate()}
      refusedTitle="The aircraft was not deleted"
    >
      {aircraft.tail_number} ({aircraft.model}) leaves the fleet: it is no longer listed or planned, and its
      tail number can be used again. Its maintenance history is kept.
    </ConfirmDeleteModal>
  );
}
