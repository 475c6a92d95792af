import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { ErrorNotice } from '../../components/ErrorNotice';
import { notifyDone } from '../../components/notify';
import { SignaturePasswordInput } from '../../components/SignaturePasswordInput';
import { refusalTitle } from './labels';
import { BRIEF, useRefreshTask, type ComplianceItem } from './queries';

/**
 * A compliance item's electronic signature (sign-off or inspection): what it means, the fields it
 * needs, and the signer's password. A refused signature clears the password, so a wrong one is
 * never sent twice.
 */
export function SignatureDialog({
  item,
  title,
  meaning,
  children,
  sign,
  signLabel,
  signedMessage,
  onClose,
}: {
  item: ComplianceItem;
  title: string;
  /** What the signature records, in a sentence. */
  meaning: string;
  /** Fields or warnings between the meaning and the password. */
  children?: ReactNode;
  sign: (password: string) => Promise<unknown>;
  signLabel: string;
  signedMessage: string;
  onClose: () => void;
}) {
  const [password, setPassword] = useState('');
  const refresh = useRefreshTask();
  const signature = useMutation({
    mutationFn: () => sign(password),
    onSuccess: () => {
      notifyDone(signedMessage, BRIEF);
      refresh();
      onClose();
    },
    onError: () => setPassword(''),
  });
  return (
    <Modal
      opened
      onClose={onClose}
      closeButtonProps={{ 'aria-label': 'Close dialog' }}
      title={title}
      centered
    >
      <form
        onSubmit={(event) => {
          event.preventDefault();
          signature.mutate();
        }}
      >
        <Stack>
          <Text size="sm" fw={600}>
            {item.description}
          </Text>
          <Text size="sm">{meaning}</Text>
          {children}
          <SignaturePasswordInput
            value={password}
            onChange={(event) => setPassword(event.currentTarget.value)}
            data-autofocus
          />
          {signature.error && (
            <div data-testid="signature-refusal">
              <ErrorNotice error={signature.error} title={refusalTitle(signature.error)} />
            </div>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Close
            </Button>
            <Button type="submit" disabled={!password} loading={signature.isPending}>
              {signLabel}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
