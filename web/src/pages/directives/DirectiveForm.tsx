import '@mantine/dates/styles.css';
import {
  Button,
  Group,
  Modal,
  MultiSelect,
  NumberInput,
  Select,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Textarea,
} from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api } from '../../api/client';
import { unwrap } from '../../api/errors';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useAircraftTypes } from '../people/queries';
import { TYPE_LABEL, useAuthorities, type Directive } from './queries';
import { notifyDone } from '../../components/notify';
import { DayInput } from '../../components/DayInput';
import { aircraftTypeOptions } from '../fleet/queries';

const num = (value: number | string): number | null =>
  value === '' || value === undefined ? null : Number(value);

/** Create (no directive) or edit a directive, in a dialog. */
export function DirectiveFormModal({
  opened,
  onClose,
  directive,
  defaultAuthorityId,
}: {
  opened: boolean;
  onClose: () => void;
  directive?: Directive;
  defaultAuthorityId?: string;
}) {
  return (
    <Modal
      closeButtonProps={{ 'aria-label': 'Close' }}
      opened={opened}
      onClose={onClose}
      size="lg"
      title={directive ? `Edit ${directive.reference_number}` : 'Create a directive'}
    >
      {opened && (
        <DirectiveForm directive={directive} defaultAuthorityId={defaultAuthorityId} onClose={onClose} />
      )}
    </Modal>
  );
}

function DirectiveForm({
  directive,
  defaultAuthorityId,
  onClose,
}: {
  directive?: Directive;
  defaultAuthorityId?: string;
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const authorities = useAuthorities();
  const aircraftTypes = useAircraftTypes();
  const [authorityId, setAuthorityId] = useState<string | null>(
    directive?.authority_id ?? defaultAuthorityId ?? null,
  );
  const [type, setType] = useState<Directive['type']>(directive?.type ?? 'ad');
  const [reference, setReference] = useState(directive?.reference_number ?? '');
  const [title, setTitle] = useState(directive?.title ?? '');
  const [description, setDescription] = useState(directive?.description ?? '');
  const [applicability, setApplicability] = useState<Directive['applicability']>(
    directive?.applicability ?? 'mandatory',
  );
  const [typeIds, setTypeIds] = useState<string[]>(directive?.aircraft_type_ids ?? []);
  const [effective, setEffective] = useState<string | null>(
    directive?.effective_date ?? new Date().toISOString().slice(0, 10),
  );
  const [limitDays, setLimitDays] = useState<number | string>(directive?.limit.days ?? '');
  const [limitDate, setLimitDate] = useState<string | null>(directive?.limit.date ?? null);
  const [limitHours, setLimitHours] = useState<number | string>(directive?.limit.flight_hours ?? '');
  const [limitCycles, setLimitCycles] = useState<number | string>(directive?.limit.cycles ?? '');
  const [sourceUrl, setSourceUrl] = useState(directive?.source_url ?? '');

  const body = () => {
    const limit = {
      date: limitDate,
      days: num(limitDays),
      flight_hours: num(limitHours),
      cycles: num(limitCycles),
    };
    const anyLimit = Object.values(limit).some((v) => v !== null);
    return {
      authority_id: authorityId!,
      type,
      reference_number: reference.trim(),
      title: title.trim(),
      description: description.trim() || null,
      applicability,
      aircraft_type_ids: typeIds,
      effective_date: effective!,
      limit: anyLimit ? limit : null,
      source_url: sourceUrl.trim() || null,
    };
  };

  const save = useMutation({
    mutationFn: () =>
      directive
        ? unwrap(
            api.PATCH('/api/v1/directives/{id}', {
              params: { path: { id: directive.id } },
              body: body(),
              headers: { 'Idempotency-Key': crypto.randomUUID() },
            }),
          )
        : unwrap(
            api.POST('/api/v1/directives', {
              body: body(),
              headers: { 'Idempotency-Key': crypto.randomUUID() },
            }),
          ),
    onSuccess: async (saved) => {
      notifyDone(directive ? `${saved.reference_number} saved` : `${saved.reference_number} created`);
      await queryClient.invalidateQueries({ queryKey: ['directives'] });
      onClose();
      if (!directive) void navigate(`/directives/${saved.id}`);
    },
  });

  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate();
      }}
    >
      <Stack>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <Select
            label="Authority"
            required
            searchable
            data={(authorities.data ?? []).map((a) => ({ value: a.id, label: `${a.code} — ${a.name}` }))}
            value={authorityId}
            onChange={setAuthorityId}
          />
          <Select
            label="Type"
            required
            allowDeselect={false}
            data={Object.entries(TYPE_LABEL).map(([value, label]) => ({ value, label }))}
            value={type}
            onChange={(v) => v && setType(v as Directive['type'])}
          />
          <TextInput
            label="Reference number"
            required
            value={reference}
            onChange={(e) => setReference(e.currentTarget.value)}
          />
          <Select
            label="Applicability"
            allowDeselect={false}
            data={[
              { value: 'mandatory', label: 'Mandatory' },
              { value: 'recommended', label: 'Recommended' },
              { value: 'optional', label: 'Optional' },
            ]}
            value={applicability}
            onChange={(v) => v && setApplicability(v)}
          />
        </SimpleGrid>
        <TextInput label="Title" required value={title} onChange={(e) => setTitle(e.currentTarget.value)} />
        <Textarea
          label="Description"
          autosize
          minRows={2}
          value={description}
          onChange={(e) => setDescription(e.currentTarget.value)}
        />
        <MultiSelect
          label="Aircraft types it applies to"
          required
          searchable
          data={aircraftTypeOptions(aircraftTypes.data)}
          value={typeIds}
          onChange={setTypeIds}
        />
        <DayInput label="Effective date" required value={effective} onChange={setEffective} />
        <Text size="sm" fw={500}>
          Compliance limit (whichever comes first; leave empty for none)
        </Text>
        <SimpleGrid cols={{ base: 2, sm: 4 }}>
          <NumberInput label="Within days" min={1} value={limitDays} onChange={setLimitDays} />
          <DayInput label="By date" clearable value={limitDate} onChange={setLimitDate} />
          <NumberInput
            label="Within flight hours"
            min={0}
            decimalScale={2}
            value={limitHours}
            onChange={setLimitHours}
          />
          <NumberInput label="Within cycles" min={0} value={limitCycles} onChange={setLimitCycles} />
        </SimpleGrid>
        <TextInput
          label="Source URL"
          type="url"
          value={sourceUrl}
          onChange={(e) => setSourceUrl(e.currentTarget.value)}
        />
        <ErrorNotice
          error={save.error}
          title={directive ? 'The change was refused' : 'The directive was refused'}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            type="submit"
            loading={save.isPending}
            disabled={
              !authorityId || !reference.trim() || !title.trim() || typeIds.length === 0 || !effective
            }
          >
            {directive ? 'Save' : 'Create directive'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
