import '@mantine/dates/styles.css';
import { Button, Group, Modal, Stack, Text, Textarea } from '@mantine/core';
import { DateTimePicker } from '@mantine/dates';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client';
import { unwrap } from '../../api/errors';
import { ErrorNotice } from '../../components/ErrorNotice';
import { SignaturePasswordInput } from '../../components/SignaturePasswordInput';
import type { Directive, TrackedAircraft } from './queries';
import { notifyDone } from '../../components/notify';

/** "YYYY-MM-DD HH:mm:ss" in the user's time zone, as the date-time picker holds it. */
function localStamp(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:00`;
}

/**
 * Recording an act of compliance on one aircraft: an electronic signature meaning "complied", so
 * the signer enters their password again; the API checks they are qualified to certify.
 */
export function RecordComplianceModal({
  directive,
  row,
  onClose,
}: {
  directive: Directive;
  row: TrackedAircraft | null;
  onClose: () => void;
}) {
  return (
    <Modal
      closeButtonProps={{ 'aria-label': 'Close' }}
      opened={row !== null}
      onClose={onClose}
      title={row ? `Record compliance on ${row.tail_number}` : 'Record compliance'}
    >
      {row && <RecordForm directive={directive} row={row} onClose={onClose} />}
    </Modal>
  );
}

function RecordForm({
  directive,
  row,
  onClose,
}: {
  directive: Directive;
  row: TrackedAircraft;
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const [performed, setPerformed] = useState<string | null>(() => localStamp(new Date(Date.now() - 60_000)));
  const [method, setMethod] = useState('');
  const [password, setPassword] = useState('');
  const record = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/aircraft/{id}/directives/{directiveId}/compliance', {
          params: { path: { id: row.aircraft_id, directiveId: directive.id } },
          body: {
            performed_at: new Date(performed!.replace(' ', 'T')).toISOString(),
            method: method.trim(),
            password,
          },
          headers: { 'Idempotency-Key': crypto.randomUUID() },
        }),
      ),
    onSuccess: async () => {
      notifyDone(`Compliance recorded on ${row.tail_number}`);
      await queryClient.invalidateQueries({ queryKey: ['directives'] });
      onClose();
    },
    onSettled: () => setPassword(''),
  });
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        record.mutate();
      }}
    >
      <Stack>
        <Text size="sm">
          {directive.authority_code} {directive.reference_number}: {directive.title}
        </Text>
        <DateTimePicker
          label="Performed at"
          required
          value={performed}
          onChange={setPerformed}
          maxDate={new Date()}
          valueFormat="D MMM YYYY HH:mm"
        />
        <Textarea
          label="Method of compliance"
          description="What was done, per which paragraph"
          required
          autosize
          minRows={2}
          value={method}
          onChange={(e) => setMethod(e.currentTarget.value)}
        />
        <SignaturePasswordInput
          label="Your password, to sign"
          description="Your signature means: complied with this directive on this aircraft"
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
        />
        <ErrorNotice error={record.error} title="The compliance was not recorded" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            type="submit"
            loading={record.isPending}
            disabled={!performed || !method.trim() || !password}
          >
            Sign and record
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
