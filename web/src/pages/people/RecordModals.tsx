import '@mantine/dates/styles.css';
import {
  Button,
  Checkbox,
  Group,
  Modal,
  NumberInput,
  Select,
  Stack,
  Text,
  TextInput,
  Textarea,
} from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client';
import { unwrap } from '../../api/errors';
import { ErrorNotice } from '../../components/ErrorNotice';
import {
  dayFromNow,
  dayToInstant,
  useAircraftTypes,
  useCertificationTypes,
  type Certification,
} from './queries';
import { notifyDone } from '../../components/notify';
import { DayInput } from '../../components/DayInput';
import { aircraftTypeOptions } from '../fleet/queries';

/** Renewing a licence: its new issue and expiry dates (the number may change too). */
export function RenewCertificationModal({
  userId,
  certification,
  onClose,
}: {
  userId: string;
  certification: Certification | null;
  onClose: () => void;
}) {
  return (
    <Modal
      closeButtonProps={{ 'aria-label': 'Close' }}
      opened={certification !== null}
      onClose={onClose}
      title={
        certification
          ? `Renew ${certification.certification_type.authority} ${certification.certification_type.code}`
          : 'Renew'
      }
    >
      {certification && <RenewForm userId={userId} certification={certification} onClose={onClose} />}
    </Modal>
  );
}

function RenewForm({
  userId,
  certification,
  onClose,
}: {
  userId: string;
  certification: Certification;
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const [number, setNumber] = useState(certification.certificate_number);
  const [issued, setIssued] = useState<string | null>(dayFromNow());
  const [expiry, setExpiry] = useState<string | null>(dayFromNow(5));
  const [verified, setVerified] = useState(true);
  const renew = useMutation({
    mutationFn: () =>
      unwrap(
        api.PATCH('/api/v1/users/{id}/certifications/{certificationId}', {
          params: { path: { id: userId, certificationId: certification.id } },
          body: {
            certificate_number: number.trim(),
            issue_date: dayToInstant(issued!),
            expiry_date: expiry ? dayToInstant(expiry) : null,
            verified,
          },
          headers: { 'Idempotency-Key': crypto.randomUUID() },
        }),
      ),
    onSuccess: async () => {
      notifyDone(`${certification.certification_type.code} renewed`);
      await queryClient.invalidateQueries({ queryKey: ['people'] });
      onClose();
    },
  });
  const expires = certification.certification_type.expires;
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        renew.mutate();
      }}
    >
      <Stack>
        <Text size="sm">
          {certification.certification_type.name}, number {certification.certificate_number}
        </Text>
        <TextInput
          label="Certificate number"
          required
          value={number}
          onChange={(e) => setNumber(e.currentTarget.value)}
        />
        <DayInput label="Issued on" required value={issued} onChange={setIssued} maxDate={dayFromNow()} />
        {expires && <DayInput label="Expires on" required value={expiry} onChange={setExpiry} />}
        <Checkbox
          label="I verified the renewed certificate against the original"
          checked={verified}
          onChange={(e) => setVerified(e.currentTarget.checked)}
        />
        <ErrorNotice error={renew.error} title="The renewal was refused" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            type="submit"
            loading={renew.isPending}
            disabled={!issued || (expires && !expiry) || !number.trim()}
          >
            Renew
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** Recording a new licence or certificate for a person. */
export function AddCertificationModal({
  userId,
  opened,
  onClose,
}: {
  userId: string;
  opened: boolean;
  onClose: () => void;
}) {
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      closeButtonProps={{ 'aria-label': 'Close' }}
      title="Add a certification"
    >
      {opened && <AddCertificationForm userId={userId} onClose={onClose} />}
    </Modal>
  );
}

function AddCertificationForm({ userId, onClose }: { userId: string; onClose: () => void }) {
  const queryClient = useQueryClient();
  const types = useCertificationTypes(true);
  const [typeId, setTypeId] = useState<string | null>(null);
  const [number, setNumber] = useState('');
  const [issued, setIssued] = useState<string | null>(dayFromNow());
  const [expiry, setExpiry] = useState<string | null>(dayFromNow(5));
  const [verified, setVerified] = useState(false);
  const type = types.data?.find((t) => t.id === typeId);
  const add = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/users/{id}/certifications', {
          params: { path: { id: userId } },
          body: {
            certification_type_id: typeId!,
            certificate_number: number.trim(),
            issue_date: dayToInstant(issued!),
            expiry_date: type?.expires && expiry ? dayToInstant(expiry) : null,
            verified,
          },
          headers: { 'Idempotency-Key': crypto.randomUUID() },
        }),
      ),
    onSuccess: async () => {
      notifyDone('Certification recorded');
      await queryClient.invalidateQueries({ queryKey: ['people'] });
      onClose();
    },
  });
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        add.mutate();
      }}
    >
      <Stack>
        <Select
          label="Type"
          required
          searchable
          placeholder={types.isPending ? 'Loading…' : 'Choose a certification type'}
          data={(types.data ?? []).map((t) => ({
            value: t.id,
            label: `${t.authority} ${t.code} — ${t.name}`,
          }))}
          value={typeId}
          onChange={setTypeId}
        />
        <ErrorNotice error={types.error} title="The certification types could not be loaded" />
        <TextInput
          label="Certificate number"
          required
          value={number}
          onChange={(e) => setNumber(e.currentTarget.value)}
        />
        <DayInput label="Issued on" required value={issued} onChange={setIssued} maxDate={dayFromNow()} />
        {type?.expires !== false && (
          <DayInput
            label="Expires on"
            required={type?.expires === true}
            value={expiry}
            onChange={setExpiry}
          />
        )}
        <Checkbox
          label="I verified the certificate against the original"
          checked={verified}
          onChange={(e) => setVerified(e.currentTarget.checked)}
        />
        <ErrorNotice error={add.error} title="The certification was refused" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" loading={add.isPending} disabled={!typeId || !number.trim() || !issued}>
            Add certification
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** Hours worked on an aircraft type elsewhere (a completed task logs its own). */
export function AddRecencyModal({
  userId,
  opened,
  onClose,
}: {
  userId: string;
  opened: boolean;
  onClose: () => void;
}) {
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      closeButtonProps={{ 'aria-label': 'Close' }}
      title="Log recent experience"
    >
      {opened && <AddRecencyForm userId={userId} onClose={onClose} />}
    </Modal>
  );
}

function AddRecencyForm({ userId, onClose }: { userId: string; onClose: () => void }) {
  const queryClient = useQueryClient();
  const types = useAircraftTypes();
  const [typeId, setTypeId] = useState<string | null>(null);
  const [hours, setHours] = useState<number | string>('');
  const [performed, setPerformed] = useState<string | null>(dayFromNow());
  const [notes, setNotes] = useState('');
  const add = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/users/{id}/recency', {
          params: { path: { id: userId } },
          body: {
            aircraft_type_id: typeId!,
            hours: Number(hours),
            performed_at: dayToInstant(performed!),
            ...(notes.trim() ? { notes: notes.trim() } : {}),
          },
          headers: { 'Idempotency-Key': crypto.randomUUID() },
        }),
      ),
    onSuccess: async () => {
      notifyDone('Experience logged');
      await queryClient.invalidateQueries({ queryKey: ['people'] });
      onClose();
    },
  });
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        add.mutate();
      }}
    >
      <Stack>
        <Select
          label="Aircraft type"
          required
          searchable
          placeholder={types.isPending ? 'Loading…' : 'Choose an aircraft type'}
          data={aircraftTypeOptions(types.data)}
          value={typeId}
          onChange={setTypeId}
        />
        <NumberInput
          label="Hours"
          required
          min={0.01}
          max={1000}
          decimalScale={2}
          value={hours}
          onChange={setHours}
        />
        <DayInput
          label="Performed on"
          required
          value={performed}
          onChange={setPerformed}
          maxDate={dayFromNow()}
        />
        <Textarea label="Notes" value={notes} onChange={(e) => setNotes(e.currentTarget.value)} />
        <ErrorNotice error={add.error} title="The entry was refused" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" loading={add.isPending} disabled={!typeId || !hours || !performed}>
            Log hours
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
