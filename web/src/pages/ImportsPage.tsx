import {
  Button,
  FileInput,
  Group,
  Paper,
  Select,
  Skeleton,
  Stack,
  Table,
  Text,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { IconFileTypeCsv, IconUpload } from '@tabler/icons-react';
import { useState } from 'react';
import { useCan } from '../app/access';
import { DateTime } from '../components/DateTime';
import { EmptyState } from '../components/EmptyState';
import { ErrorNotice } from '../components/ErrorNotice';
import { PageHeader } from '../components/PageHeader';
import { ImportProgress, StatusBadge } from './imports/ImportProgress';
import { uploadCsv, useImports, type ImportType } from './imports/queries';
import { QueryTable } from '../components/DataTable';

const TYPES = [
  { value: 'aircraft', label: 'Aircraft', action: 'create_aircraft' },
  { value: 'parts', label: 'Parts and stock', action: 'create_parts' },
  { value: 'programs', label: 'Maintenance programs', action: 'create_programs' },
] as const;

export default function ImportsPage() {
  const can = useCan();
  const types = TYPES.filter((t) => can('imports', t.action));
  const [selected, setSelected] = useState<string | null>(null);
  return (
    <>
      <PageHeader
        title="Imports"
        description="Load aircraft, parts and maintenance programs from CSV files, and follow each import"
      />
      <Stack gap="md">
        {types.length > 0 && <UploadForm types={types} onUploaded={setSelected} />}
        {selected && <ImportProgress id={selected} />}
        <PastImports selected={selected} onSelect={setSelected} />
      </Stack>
    </>
  );
}

function UploadForm({
  types,
  onUploaded,
}: {
  types: readonly { value: ImportType; label: string }[];
  onUploaded: (id: string) => void;
}) {
  const queryClient = useQueryClient();
  const [type, setType] = useState<ImportType>(types[0]!.value);
  const [file, setFile] = useState<File | null>(null);
  const upload = useMutation({
    mutationFn: () => uploadCsv(type, file!),
    onSuccess: (record) => {
      setFile(null);
      onUploaded(record.id);
      void queryClient.invalidateQueries({ queryKey: ['imports'] });
    },
  });
  return (
    <Paper withBorder p="md" radius="md" aria-labelledby="upload-title">
      <Title order={2} size="h4" id="upload-title" mb="sm">
        Upload a CSV file
      </Title>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (file) upload.mutate();
        }}
      >
        <Stack gap="sm">
          <ErrorNotice error={upload.error} title="The file was refused" />
          <Group align="flex-end" wrap="wrap">
            <Select
              label="What the file holds"
              data={types.map((t) => ({ value: t.value, label: t.label }))}
              value={type}
              allowDeselect={false}
              onChange={(value) => value && setType(value)}
              w={240}
            />
            <FileInput
              label="CSV file"
              placeholder="Choose a .csv file"
              styles={{ placeholder: { color: 'var(--mantine-color-dimmed)' } }}
              accept=".csv,text/csv"
              leftSection={<IconFileTypeCsv size={16} />}
              value={file}
              onChange={setFile}
              clearable
              clearButtonProps={{ 'aria-label': 'Remove the file' }}
              w={320}
            />
            <Button
              type="submit"
              leftSection={<IconUpload size={16} />}
              disabled={!file}
              loading={upload.isPending}
            >
              Upload
            </Button>
          </Group>
          <Text size="xs" c="dimmed">
            The first line names the columns (the API's field names); rows are matched by their natural key,
            so importing the same file again changes nothing. See docs/imports.md for the columns of each
            type.
          </Text>
        </Stack>
      </form>
    </Paper>
  );
}

function PastImports({ selected, onSelect }: { selected: string | null; onSelect: (id: string) => void }) {
  const imports = useImports();
  return (
    <Paper withBorder p="md" radius="md" aria-labelledby="past-imports-title">
      <Title order={2} size="h4" id="past-imports-title" mb="sm">
        Recent imports
      </Title>
      <QueryTable
        query={imports}
        rows={imports.data}
        errorTitle="Imports could not be loaded"
        loading={<Skeleton h={160} />}
        empty={
          <EmptyState title="No imports yet">Upload a CSV file above to load records in bulk.</EmptyState>
        }
        minWidth={720}
        columns={[
          'File',
          'Type',
          'Status',
          { label: 'Rows', align: 'right' },
          { label: 'Refused', align: 'right' },
          'Uploaded',
          { label: 'Actions', hidden: true },
        ]}
        highlightOnHover
        testId="imports-table"
      >
        {(record) => (
          <Table.Tr key={record.id} aria-current={record.id === selected ? 'true' : undefined}>
            <Table.Td>{record.file_name}</Table.Td>
            <Table.Td>{record.type}</Table.Td>
            <Table.Td>
              <StatusBadge status={record.status} />
            </Table.Td>
            <Table.Td ta="right">
              {record.applied_rows} / {record.total_rows}
            </Table.Td>
            <Table.Td ta="right">{record.invalid_rows}</Table.Td>
            <Table.Td>
              <DateTime value={record.created_at} />
            </Table.Td>
            <Table.Td>
              <Button
                size="compact-sm"
                variant={record.id === selected ? 'filled' : 'light'}
                onClick={() => onSelect(record.id)}
              >
                Details<VisuallyHidden> of {record.file_name}</VisuallyHidden>
              </Button>
            </Table.Td>
          </Table.Tr>
        )}
      </QueryTable>
    </Paper>
  );
}
