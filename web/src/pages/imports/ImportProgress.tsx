import { Alert, Badge, Group, Paper, Progress, Skeleton, Stack, Table, Text, Title } from '@mantine/core';
import { IconAlertCircle, IconAlertTriangle, IconCircleCheck } from '@tabler/icons-react';
import { DateTime } from '../../components/DateTime';
import { ErrorNotice } from '../../components/ErrorNotice';
import { isRunning, splitRowError, useImport, useInvalidRows, type ImportRecord } from './queries';

export const STATUS = {
  pending: { label: 'Waiting', color: 'gray.7' },
  validating: { label: 'Validating', color: 'blue.8' },
  applying: { label: 'Applying', color: 'indigo.8' },
  completed: { label: 'Completed', color: 'teal.9' },
  failed: { label: 'Failed', color: 'red.9' },
} as const;

export function StatusBadge({ status }: { status: ImportRecord['status'] }) {
  return (
    <Badge color={STATUS[status].color} variant="filled" autoContrast>
      {STATUS[status].label}
    </Badge>
  );
}

const count = (summary: Record<string, unknown>, key: string) =>
  typeof summary[key] === 'number' ? summary[key] : 0;

/** One import as it runs: its progress, then its outcome and the rows it refused. */
export function ImportProgress({ id }: { id: string }) {
  const record = useImport(id);
  const data = record.data;
  const running = isRunning(data);
  const rows = useInvalidRows(id, !!data && !running && data.invalid_rows > 0);
  if (record.error) return <ErrorNotice error={record.error} title="The import could not be read" />;
  if (!data) return <Skeleton h={120} />;
  const total = data.progress.rows_total ?? data.total_rows;
  const done = data.progress.rows_processed;
  const percent = data.status === 'completed' ? 100 : (data.progress.percent ?? 0);
  return (
    <Paper
      withBorder
      p="md"
      radius="md"
      data-testid="import-progress"
      aria-labelledby="import-progress-title"
    >
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4" id="import-progress-title">
          {data.file_name}{' '}
          <Text span c="dimmed" size="sm">
            ({data.type})
          </Text>
        </Title>
        <span data-testid="import-status">
          <StatusBadge status={data.status} />
        </span>
      </Group>
      <Stack gap="xs">
        <Progress
          value={percent}
          animated={running}
          size="lg"
          color={data.status === 'failed' ? 'red' : 'indigo'}
          aria-label={`Import progress ${Math.round(percent)} percent`}
        />
        <Text size="sm" aria-live="polite">
          {running
            ? `${STATUS[data.status].label}: ${done} of ${total ?? '…'} rows`
            : `${data.total_rows} rows: ${data.applied_rows} applied, ${data.invalid_rows} refused`}
        </Text>
        {data.status === 'completed' && (
          <Alert
            variant="default"
            icon={data.invalid_rows > 0 ? <IconAlertTriangle /> : <IconCircleCheck />}
            title={data.invalid_rows > 0 ? 'Completed with row errors' : 'Completed'}
          >
            {count(data.summary, 'created')} created, {count(data.summary, 'updated')} updated,{' '}
            {count(data.summary, 'unchanged')} unchanged
            {data.invalid_rows > 0 &&
              `; ${data.invalid_rows} ${data.invalid_rows === 1 ? 'row' : 'rows'} refused (below)`}
            . Finished <DateTime value={data.finished_at} />.
          </Alert>
        )}
        {data.status === 'failed' && (
          <Alert color="red" icon={<IconAlertCircle />} title="The import failed" role="alert">
            {data.error ?? 'The file could not be processed.'}
          </Alert>
        )}
        <ErrorNotice error={rows.error} title="The refused rows could not be loaded" />
        {rows.data && rows.data.length > 0 && (
          <>
            <Title order={3} size="h5" mt="sm">
              Row errors
            </Title>
            <Text size="xs" c="dimmed">
              Row 1 is the first line after the header.
            </Text>
            <Table striped data-testid="row-errors">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Row</Table.Th>
                  <Table.Th>Field</Table.Th>
                  <Table.Th>Message</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.data.flatMap((row) =>
                  (row.errors.length > 0 ? row.errors : ['refused']).map((error, i) => {
                    const { field, message } = splitRowError(error);
                    return (
                      <Table.Tr key={`${row.id}-${i}`}>
                        <Table.Td>{row.row_number}</Table.Td>
                        <Table.Td ff="monospace">{field ?? '—'}</Table.Td>
                        <Table.Td>{message}</Table.Td>
                      </Table.Tr>
                    );
                  }),
                )}
              </Table.Tbody>
            </Table>
          </>
        )}
      </Stack>
    </Paper>
  );
}
