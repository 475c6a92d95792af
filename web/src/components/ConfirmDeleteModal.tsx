import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { ErrorNotice } from './ErrorNotice';

/**
 * "Delete X?": what the deletion does, the API's refusal in its words, and the safe choice focused
 * first, so a stray Enter keeps the record.
 */
export function ConfirmDeleteModal({
  opened,
  onClose,
  title,
  children,
  mutation,
  onConfirm,
  refusedTitle,
  keepLabel = 'Keep it',
  confirmLabel = 'Delete',
}: {
  opened: boolean;
  onClose: () => void;
  title: string;
  /** What the deletion does and what it keeps. */
  children: ReactNode;
  /** The delete mutation: its refusal is shown here and cleared when the dialog closes. */
  mutation: { error: unknown; isPending: boolean; reset: () => void };
  onConfirm: () => void;
  /** The title of the refusal, e.g. "The user was not deleted". */
  refusedTitle: string;
  keepLabel?: string;
  confirmLabel?: string;
}) {
  const close = () => {
    mutation.reset();
    onClose();
  };
  return (
    <Modal closeButtonProps={{ 'aria-label': 'Close' }} opened={opened} onClose={close} title={title}>
      <Stack gap="sm">
        <Text size="sm">{children}</Text>
        <ErrorNotice error={mutation.error} title={refusedTitle} />
        <Group justify="flex-end">
          <Button variant="default" onClick={close} data-autofocus>
            {keepLabel}
          </Button>
          <Button color="red.9" onClick={onConfirm} loading={mutation.isPending}>
            {confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
