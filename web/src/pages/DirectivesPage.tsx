import { Anchor, Button, Menu, Paper, Skeleton, Stack, Table, Tabs, Text } from '@mantine/core';
import { IconChevronDown, IconDownload, IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useCan } from '../app/access';
import { DateTime } from '../components/DateTime';
import { EmptyState } from '../components/EmptyState';
import { ErrorNotice } from '../components/ErrorNotice';
import { PageHeader } from '../components/PageHeader';
import { ComplianceMatrix } from './directives/ComplianceMatrix';
import { DirectiveFormModal } from './directives/DirectiveForm';
import { downloadComplianceReport, TYPE_LABEL, useAuthorities, useDirectives } from './directives/queries';
import { describeError } from '../api/errors';
import { notify } from '../components/notify';

const STATUS_COLOR = { active: 'teal.9', superseded: 'gray.8', cancelled: 'gray.8' } as const;

export default function DirectivesPage() {
  const can = useCan();
  const [search, setSearch] = useSearchParams();
  const authorities = useAuthorities();
  const code = search.get('authority') ?? 'all';
  const authority = authorities.data?.find((a) => a.code === code);
  const directives = useDirectives(authority?.id);
  const [creating, setCreating] = useState(false);
  const waitingForAuthority = code !== 'all' && !authority;

  return (
    <>
      <PageHeader
        title="Directives"
        description="Airworthiness directives, service bulletins and engineering orders, and where the fleet stands"
        actions={
          <>
            {can('reports', 'directive_compliance') && <ReportMenu authority={authority} />}
            {can('directives', 'create') && (
              <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)}>
                Create directive
              </Button>
            )}
          </>
        }
      />
      <ErrorNotice error={authorities.error} title="The authorities could not be loaded" />
      <Tabs
        value={code}
        onChange={(value) =>
          setSearch(value && value !== 'all' ? { authority: value } : {}, { replace: true })
        }
        mb="md"
      >
        <Tabs.List aria-label="Authority">
          <Tabs.Tab value="all">All</Tabs.Tab>
          {(authorities.data ?? []).map((a) => (
            <Tabs.Tab key={a.id} value={a.code} title={a.name}>
              {a.code}
            </Tabs.Tab>
          ))}
        </Tabs.List>
      </Tabs>
      <Stack gap="md">
        <Paper withBorder radius="md" p="md">
          <ErrorNotice error={directives.error} title="The directives could not be loaded" />
          {directives.isPending || waitingForAuthority ? (
            <Stack gap="xs">
              {Array.from({ length: 4 }, (_, i) => (
                <Skeleton key={i} h={36} />
              ))}
            </Stack>
          ) : !directives.data?.length ? (
            !directives.error && (
              <EmptyState title={authority ? `No ${authority.code} directive` : 'No directive yet'}>
                {can('directives', 'create') ? 'Create one to track it on the fleet.' : undefined}
              </EmptyState>
            )
          ) : (
            <Table.ScrollContainer minWidth={700}>
              <Table highlightOnHover verticalSpacing="sm" data-testid="directives-table">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Reference</Table.Th>
                    <Table.Th>Title</Table.Th>
                    <Table.Th>Type</Table.Th>
                    <Table.Th>Applicability</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th>Effective</Table.Th>
                    <Table.Th>Fleet</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {directives.data.map((d) => (
                    <Table.Tr key={d.id} data-testid="directive-row">
                      <Table.Td>
                        <Text size="xs" c="dimmed">
                          {d.authority_code}
                        </Text>
                        <Anchor component={Link} to={`/directives/${d.id}`} fw={600} size="sm">
                          {d.reference_number}
                        </Anchor>
                      </Table.Td>
                      <Table.Td maw={360}>
                        <Text size="sm" lineClamp={2}>
                          {d.title}
                        </Text>
                        <Text size="xs" c="dimmed">
                          {d.aircraft_types.map((t) => t.designator).join(', ')}
                        </Text>
                      </Table.Td>
                      <Table.Td>{TYPE_LABEL[d.type]}</Table.Td>
                      <Table.Td style={{ textTransform: 'capitalize' }}>{d.applicability}</Table.Td>
                      <Table.Td>
                        <Text size="sm" fw={600} c={STATUS_COLOR[d.status]} tt="capitalize">
                          {d.status}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <DateTime value={d.effective_date} dateOnly />
                      </Table.Td>
                      <Table.Td>
                        <FleetSummary tracking={d.tracking} />
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </Paper>
        {!waitingForAuthority && (
          <ComplianceMatrix
            authorityId={authority?.id}
            authorityLabel={authority ? `${authority.code} directives` : 'All authorities'}
          />
        )}
      </Stack>
      <DirectiveFormModal
        opened={creating}
        onClose={() => setCreating(false)}
        defaultAuthorityId={authority?.id}
      />
    </>
  );
}

function FleetSummary({ tracking }: { tracking: Record<string, number> }) {
  const tracked = Object.values(tracking).reduce((a, b) => a + b, 0);
  if (tracked === 0)
    return (
      <Text size="sm" c="dimmed">
        Not tracked
      </Text>
    );
  return (
    <Text size="sm">
      {tracked} aircraft
      {tracking.overdue ? (
        <Text span c="red.9" fw={600}>
          {' '}
          · {tracking.overdue} overdue
        </Text>
      ) : null}
    </Text>
  );
}

function ReportMenu({ authority }: { authority?: { id: string; code: string } }) {
  const [busy, setBusy] = useState(false);
  const download = async (format: 'pdf' | 'csv') => {
    if (!authority) return;
    setBusy(true);
    try {
      await downloadComplianceReport(authority.id, format);
    } catch (error) {
      notify({ tone: 'refused', message: `The report could not be downloaded: ${describeError(error)}` });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Menu position="bottom-end" disabled={!authority}>
      <Menu.Target>
        <Button
          variant="default"
          loading={busy}
          disabled={!authority}
          leftSection={<IconDownload size={16} />}
          rightSection={<IconChevronDown size={14} />}
          title={authority ? undefined : 'Choose an authority first'}
        >
          {authority ? `${authority.code} compliance report` : 'Compliance report (choose an authority)'}
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Item onClick={() => void download('pdf')}>PDF</Menu.Item>
        <Menu.Item onClick={() => void download('csv')}>CSV</Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
