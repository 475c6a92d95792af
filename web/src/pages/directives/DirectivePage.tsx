import { Anchor, Badge, Button, Paper, SimpleGrid, Skeleton, Stack, Table, Text, Title } from '@mantine/core';
import { IconEdit, IconRadar } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { api } from '../../api/client';
import { describeError, unwrap } from '../../api/errors';
import { useCan } from '../../app/access';
import { DateTime } from '../../components/DateTime';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNotice } from '../../components/ErrorNotice';
import { PageHeader } from '../../components/PageHeader';
import { DirectiveFormModal } from './DirectiveForm';
import {
  TRACKING_COLOR,
  TRACKING_LABEL,
  TYPE_LABEL,
  useDirective,
  useDirectiveAircraft,
  type Directive,
  type TrackedAircraft,
} from './queries';
import { RecordComplianceModal } from './RecordComplianceModal';
import { notify, notifyDone } from '../../components/notify';
import { QueryTable } from '../../components/DataTable';
import { SkeletonRows } from '../../components/SkeletonRows';

export default function DirectivePage() {
  const { id = '' } = useParams();
  const can = useCan();
  const directive = useDirective(id);
  const [editing, setEditing] = useState(false);
  const d = directive.data;
  return (
    <>
      <Anchor component={Link} to="/directives" size="sm">
        ← Directives
      </Anchor>
      <PageHeader
        title={d ? `${d.authority_code} ${d.reference_number}` : 'Directive'}
        description={d?.title}
        actions={
          d && (
            <>
              {can('directives', 'scan') && d.status === 'active' && <ScanFleetButton directive={d} />}
              {can('directives', 'update') && (
                <Button
                  variant="default"
                  leftSection={<IconEdit size={16} />}
                  onClick={() => setEditing(true)}
                >
                  Edit
                </Button>
              )}
            </>
          )
        }
      />
      <ErrorNotice error={directive.error} title="The directive could not be loaded" />
      {!d ? (
        !directive.error && <Skeleton h={220} />
      ) : (
        <Stack gap="md">
          <Details directive={d} />
          <TrackedAircraftTable directive={d} />
          <DirectiveFormModal opened={editing} onClose={() => setEditing(false)} directive={d} />
        </Stack>
      )}
    </>
  );
}

function ScanFleetButton({ directive }: { directive: Directive }) {
  const queryClient = useQueryClient();
  const scan = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/directives/{id}/scan-fleet', {
          params: { path: { id: directive.id } },
          headers: { 'Idempotency-Key': crypto.randomUUID() },
        }),
      ),
    onSuccess: async (result) => {
      notifyDone(
        `Fleet scanned. Applies to ${result.applicable} aircraft: ${result.newly_tracked} newly tracked, ${result.already_tracked} already tracked.`,
      );
      await queryClient.invalidateQueries({ queryKey: ['directives'] });
    },
    onError: (error) =>
      notify({ tone: 'refused', message: `The fleet scan was refused: ${describeError(error)}` }),
  });
  return (
    <Button leftSection={<IconRadar size={16} />} loading={scan.isPending} onClick={() => scan.mutate()}>
      Scan fleet
    </Button>
  );
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed" fw={600} tt="uppercase">
        {label}
      </Text>
      <Text size="sm" component="div">
        {children}
      </Text>
    </div>
  );
}

function limitText(limit: Directive['limit']): string {
  const parts = [
    limit.date && `by ${limit.date}`,
    limit.days != null && `within ${limit.days} days`,
    limit.flight_hours != null && `within ${limit.flight_hours} flight hours`,
    limit.cycles != null && `within ${limit.cycles} cycles`,
  ].filter(Boolean);
  return parts.length ? `${parts.join(', ')} (whichever first)` : 'No limit';
}

function recurrenceText(recurrence: Directive['recurrence']): string {
  if (!recurrence) return 'Once only';
  const parts = [
    recurrence.calendar && `every ${recurrence.calendar.value} ${recurrence.calendar.unit}`,
    recurrence.flight_hours != null && `every ${recurrence.flight_hours} flight hours`,
    recurrence.cycles != null && `every ${recurrence.cycles} cycles`,
  ].filter(Boolean);
  return parts.join(', ');
}

function Details({ directive: d }: { directive: Directive }) {
  return (
    <Paper withBorder radius="md" p="md">
      <SimpleGrid cols={{ base: 2, md: 4 }} spacing="md">
        <Field label="Type">{TYPE_LABEL[d.type]}</Field>
        <Field label="Applicability">
          <span style={{ textTransform: 'capitalize' }}>{d.applicability}</span>
        </Field>
        <Field label="Status">
          <span style={{ textTransform: 'capitalize' }}>{d.status}</span>
        </Field>
        <Field label="Effective">
          <DateTime value={d.effective_date} dateOnly />
        </Field>
        <Field label="Aircraft types">{d.aircraft_types.map((t) => t.designator).join(', ')}</Field>
        <Field label="Limit">{limitText(d.limit)}</Field>
        <Field label="Recurrence">{recurrenceText(d.recurrence)}</Field>
        <Field label="Source">
          {d.source_url ? (
            <Anchor href={d.source_url} target="_blank" rel="noreferrer">
              {new URL(d.source_url).host}
            </Anchor>
          ) : (
            '—'
          )}
        </Field>
      </SimpleGrid>
      {d.description && (
        <Text size="sm" mt="md">
          {d.description}
        </Text>
      )}
    </Paper>
  );
}

function due(row: TrackedAircraft): ReactNode {
  const e = row.effective_due;
  const parts: ReactNode[] = [];
  if (e.date) parts.push(<DateTime key="d" value={e.date} dateOnly />);
  if (e.flight_hours != null) parts.push(`${e.flight_hours} FH`);
  if (e.cycles != null) parts.push(`${e.cycles} cycles`);
  if (parts.length === 0) return '—';
  return parts.flatMap((p, i) => (i === 0 ? [p] : [' / ', p]));
}

function TrackedAircraftTable({ directive }: { directive: Directive }) {
  const can = useCan();
  const rows = useDirectiveAircraft(directive.id);
  const [recording, setRecording] = useState<TrackedAircraft | null>(null);
  const mayRecord = can('directive_compliance', 'record') && directive.status === 'active';
  return (
    <Paper withBorder radius="md" p="md">
      <Title order={2} size="h4" mb="sm">
        Aircraft it applies to
      </Title>
      <QueryTable
        query={rows}
        rows={rows.data}
        errorTitle="The aircraft could not be loaded"
        loading={<SkeletonRows height={36} />}
        empty={
          <EmptyState title="Not tracked on any aircraft">
            {can('directives', 'scan')
              ? 'Scan the fleet to track it on the aircraft it applies to.'
              : undefined}
          </EmptyState>
        }
        minWidth={820}
        columns={['Aircraft', 'Status', 'Next due', 'Projected', 'Last compliance', mayRecord && 'Action']}
        verticalSpacing="sm"
        testId="directive-aircraft"
      >
        {(row) => (
          <Table.Tr key={row.id} data-testid="tracked-aircraft">
            <Table.Td fw={600}>{row.tail_number}</Table.Td>
            <Table.Td>
              <Badge color={TRACKING_COLOR[row.status]} autoContrast>
                {TRACKING_LABEL[row.status]}
              </Badge>
              {row.status_reason && (
                <Text size="xs" c="dimmed">
                  {row.status_reason}
                </Text>
              )}
            </Table.Td>
            <Table.Td>{due(row)}</Table.Td>
            <Table.Td>
              <DateTime value={row.projected_due_date} dateOnly />
            </Table.Td>
            <Table.Td>
              {row.last_compliance ? (
                <>
                  <DateTime value={row.last_compliance.performed_at} />
                  <Text size="xs" c="dimmed">
                    {row.last_compliance.signer_email ?? 'signed'} · {row.last_compliance.method}
                  </Text>
                </>
              ) : (
                '—'
              )}
            </Table.Td>
            {mayRecord && (
              <Table.Td>
                {row.status !== 'complied' && row.status !== 'not_applicable' && (
                  <Button size="xs" variant="default" onClick={() => setRecording(row)}>
                    Record compliance
                  </Button>
                )}
              </Table.Td>
            )}
          </Table.Tr>
        )}
      </QueryTable>
      <RecordComplianceModal directive={directive} row={recording} onClose={() => setRecording(null)} />
    </Paper>
  );
}
