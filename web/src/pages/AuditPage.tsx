import {
  Autocomplete,
  Badge,
  Button,
  Code,
  Group,
  Modal,
  Paper,
  ScrollArea,
  Select,
  Skeleton,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { DatePickerInput, type DatesRangeValue } from '@mantine/dates';
import { useMutation } from '@tanstack/react-query';
import { IconDownload } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import { useCan } from '../app/access';
import { DateTime } from '../components/DateTime';
import { EmptyState } from '../components/EmptyState';
import { CursorPager, useCursorPages } from '../components/CursorPager';
import { PageHeader } from '../components/PageHeader';
import {
  downloadAuditExport,
  useAuditPage,
  useUserOptions,
  type AuditAction,
  type AuditFilters,
  type AuditRow,
} from './audit/queries';
import { notifyDone, notifyRefused } from '../components/notify';
import { QueryTable } from '../components/DataTable';

const ENTITY_TYPES = [
  'aircraft',
  'aircraft_directive',
  'alert',
  'api_key',
  'certification_type',
  'compliance_item',
  'directive',
  'directive_compliance_record',
  'employee_certification',
  'employee_skill',
  'import',
  'maintenance_program',
  'maintenance_task',
  'org_policy',
  'organization',
  'part_definition',
  'part_item',
  'part_reservation',
  'recency_entry',
  'registration',
  'task_dependency',
  'task_skill_requirement',
  'type_rating',
  'user',
  'webhook',
];

const ACTIONS: { value: AuditAction; label: string }[] = [
  { value: 'create', label: 'Create' },
  { value: 'update', label: 'Update' },
  { value: 'delete', label: 'Delete' },
  { value: 'state_change', label: 'State change' },
];
const ACTION_COLOR = {
  create: 'teal.9',
  update: 'indigo.8',
  delete: 'red.9',
  state_change: 'grape.8',
} as const;

/** A day (YYYY-MM-DD, local) as the instant it starts, plus `days`. */
const dayStart = (day: string, days = 0) => {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y!, m! - 1, d! + days).toISOString();
};

export default function AuditPage() {
  const can = useCan();
  const canListUsers = can('users', 'list');
  const users = useUserOptions(canListUsers);
  const [entityType, setEntityType] = useState('');
  const [action, setAction] = useState<AuditAction | null>(null);
  const [userId, setUserId] = useState<string | null>(null);
  const [range, setRange] = useState<DatesRangeValue<string>>([null, null]);
  const [details, setDetails] = useState<AuditRow | null>(null);

  const filters = useMemo<AuditFilters>(() => {
    const f: AuditFilters = {};
    if (entityType.trim()) f.entity_type = entityType.trim();
    if (action) f.action = action;
    if (userId?.trim()) f.user_id = userId.trim();
    if (range[0]) f.from = dayStart(range[0]);
    if (range[0] || range[1]) f.to = dayStart((range[1] ?? range[0])!, 1);
    return f;
  }, [entityType, action, userId, range]);
  const pages = useCursorPages(JSON.stringify(filters));
  const log = useAuditPage(filters, pages.cursor);
  const emailOf = new Map(users.data?.map((u) => [u.id, u.email]));

  const exportCsv = useMutation({
    mutationFn: () => downloadAuditExport(filters),
    onSuccess: (name) => notifyDone(`Downloaded ${name}`),
    onError: (error) => notifyRefused(error, 'The export was refused'),
  });
  const filtered = Object.keys(filters).length > 0;

  return (
    <>
      <PageHeader
        title="Audit log"
        description="Every change, sign-in and sign-off in your organization; rows are never changed or removed"
        actions={
          can('audit_logs', 'export') && (
            <Button
              leftSection={<IconDownload size={16} />}
              loading={exportCsv.isPending}
              onClick={() => exportCsv.mutate()}
            >
              Export CSV
            </Button>
          )
        }
      />
      <Paper withBorder p="md" radius="md">
        <Group align="flex-end" mb="md" wrap="wrap" gap="sm" role="search" aria-label="Audit log filters">
          <Autocomplete
            label="Entity type"
            placeholder="Any"
            data={ENTITY_TYPES}
            value={entityType}
            onChange={setEntityType}
            clearable
            clearButtonProps={{ 'aria-label': 'Any entity type' }}
            w={200}
          />
          <Select
            label="Action"
            placeholder="Any"
            data={ACTIONS}
            value={action}
            onChange={(value: string | null) => setAction(value as AuditAction | null)}
            clearable
            clearButtonProps={{ 'aria-label': 'Any action' }}
            w={160}
          />
          {canListUsers ? (
            <Select
              label="User"
              placeholder="Anyone"
              searchable
              data={users.data?.map((u) => ({ value: u.id, label: u.email })) ?? []}
              value={userId}
              onChange={setUserId}
              clearable
              clearButtonProps={{ 'aria-label': 'Anyone' }}
              w={240}
            />
          ) : (
            <TextInput
              label="User id"
              placeholder="Anyone"
              value={userId ?? ''}
              onChange={(e) => setUserId(e.currentTarget.value || null)}
              w={300}
            />
          )}
          <DatePickerInput
            type="range"
            label="Date range"
            placeholder="Any time"
            styles={{ placeholder: { color: 'var(--mantine-color-dimmed)' } }}
            value={range}
            onChange={setRange}
            allowSingleDateInRange
            clearable
            clearButtonProps={{ 'aria-label': 'Any time' }}
            maxDate={new Date()}
            valueFormat="D MMM YYYY"
            w={260}
          />
          {filtered && (
            <Button
              variant="subtle"
              onClick={() => {
                setEntityType('');
                setAction(null);
                setUserId(null);
                setRange([null, null]);
              }}
            >
              Clear filters
            </Button>
          )}
        </Group>
        <QueryTable
          query={log}
          rows={log.data?.rows}
          errorTitle="The audit log could not be loaded"
          loading={<Skeleton h={320} />}
          empty={
            <EmptyState title="No audit rows">
              {filtered ? 'Nothing matches these filters.' : 'Nothing has been recorded yet.'}
            </EmptyState>
          }
          minWidth={720}
          columns={['Time', 'Actor', 'Action', 'Entity', 'What', { label: 'Details', hidden: true }]}
          striped
          testId="audit-table"
          style={{ opacity: log.isPlaceholderData ? 0.6 : 1 }}
        >
          {(row) => (
            <Table.Tr key={row.id} data-testid="audit-row" data-entity-type={row.entity_type}>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>
                <DateTime value={row.timestamp} />
              </Table.Td>
              <Table.Td>
                <Text size="sm">{(row.user_id && emailOf.get(row.user_id)) ?? row.actor}</Text>
                {row.user_id && emailOf.get(row.user_id) && (
                  <Text size="xs" c="dimmed">
                    {row.actor}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                <Badge color={ACTION_COLOR[row.action]} variant="outline" tt="none">
                  {row.action.replace('_', ' ')}
                </Badge>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{row.entity_type}</Text>
                <Text size="xs" c="dimmed" ff="monospace">
                  {row.entity_id.slice(0, 8)}
                </Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{summary(row)}</Text>
              </Table.Td>
              <Table.Td>
                <Button size="compact-sm" variant="light" onClick={() => setDetails(row)}>
                  Details
                </Button>
              </Table.Td>
            </Table.Tr>
          )}
        </QueryTable>
        <CursorPager
          label="Audit log pages"
          pages={pages}
          nextCursor={log.data?.next}
          waiting={log.isPlaceholderData}
        />
      </Paper>
      <Modal
        closeButtonProps={{ 'aria-label': 'Close' }}
        opened={details !== null}
        onClose={() => setDetails(null)}
        title="Audit row"
        size="xl"
      >
        {details && (
          <>
            <Text size="sm" mb="xs">
              {details.action.replace('_', ' ')} of {details.entity_type} <Code>{details.entity_id}</Code> by{' '}
              {details.actor} at <DateTime value={details.timestamp} />
              {details.request_id && (
                <>
                  {' '}
                  · request <Code>{details.request_id}</Code>
                </>
              )}
              {details.ip_address && <> · from {details.ip_address}</>}
            </Text>
            <ScrollArea.Autosize mah={480}>
              <Code block>{JSON.stringify(details.details, null, 2)}</Code>
            </ScrollArea.Autosize>
          </>
        )}
      </Modal>
    </>
  );
}

/** A short line on what the row records: its event, or the fields that changed. */
function summary(row: AuditRow): string {
  const d = row.details;
  if (typeof d.event === 'string') return d.event.replace(/_/g, ' ');
  const before = d.before as Record<string, unknown> | null | undefined;
  const after = d.after as Record<string, unknown> | null | undefined;
  if (before && after) {
    const changed = Object.keys(after).filter(
      (key) =>
        key !== 'updated_at' &&
        key !== 'version' &&
        JSON.stringify(before[key]) !== JSON.stringify(after[key]),
    );
    if (changed.length > 0)
      return `changed ${changed.slice(0, 4).join(', ')}${changed.length > 4 ? '…' : ''}`;
  }
  const name =
    after?.name ?? after?.email ?? after?.tail_number ?? after?.title ?? before?.name ?? before?.email;
  return typeof name === 'string' ? name : '';
}
