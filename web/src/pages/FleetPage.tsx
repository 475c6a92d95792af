import { Anchor, Button, Group, Paper, Select, Skeleton, Table, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconPlus, IconSearch } from '@tabler/icons-react';
import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useCan } from '../app/access';
import { DateTime } from '../components/DateTime';
import { EmptyState } from '../components/EmptyState';
import { ErrorNotice } from '../components/ErrorNotice';
import { CursorPager, useCursorPages } from '../components/CursorPager';
import { PageHeader } from '../components/PageHeader';
import { AircraftFormModal } from './fleet/AircraftFormModal';
import { useAircraftTypes, useFleetPage, type AircraftStatus } from './fleet/queries';
import { SortHeader } from './fleet/SortHeader';
import { STATUS_LABEL, StatusBadge } from './fleet/status';

const STATUSES = Object.keys(STATUS_LABEL) as AircraftStatus[];
const number = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

export default function FleetPage() {
  const can = useCan();
  const navigate = useNavigate();
  // Filters and sort live in the address: a filtered view can be bookmarked and shared.
  const [params, setParams] = useSearchParams();
  const status = (STATUSES as string[]).includes(params.get('status') ?? '')
    ? (params.get('status') as AircraftStatus)
    : undefined;
  const sort = params.get('sort') ?? 'tail_number';
  const [search, setSearch] = useState(params.get('q') ?? '');
  const [q] = useDebouncedValue(search.trim(), 300);
  const [adding, setAdding] = useState(false);

  const update = (changes: Record<string, string | undefined>) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        for (const [key, value] of Object.entries(changes)) {
          if (value) next.set(key, value);
          else next.delete(key);
        }
        return next;
      },
      { replace: true },
    );

  // The search goes into the address once typing pauses. Only then: this effect runs again after every
  // change of the address (setParams is new each time), and navigating there with the address it rendered
  // with could land after a click that changed it meanwhile (a sort), undoing the click.
  const addressQ = params.get('q') ?? '';
  useEffect(() => {
    if (addressQ === q) return;
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (q) next.set('q', q);
        else next.delete('q');
        return next;
      },
      { replace: true },
    );
  }, [q, addressQ, setParams]);

  const filter = useMemo(() => ({ status, q: q || undefined, sort }), [status, q, sort]);
  const pages = useCursorPages(JSON.stringify(filter));
  const fleet = useFleetPage(filter, pages.cursor);
  const types = useAircraftTypes();
  const designator = new Map((types.data ?? []).map((t) => [t.id, t.designator]));
  const rows = fleet.data?.rows;
  const filtered = Boolean(status || filter.q);

  return (
    <>
      <PageHeader
        title="Fleet"
        description="Every aircraft of your organization, its status and when it is next due"
        actions={
          can('aircraft', 'create') && (
            <Button leftSection={<IconPlus size={16} />} onClick={() => setAdding(true)}>
              Add aircraft
            </Button>
          )
        }
      />
      <Paper withBorder p="md" radius="md">
        <Group mb="md" align="flex-end" wrap="wrap">
          <TextInput
            label="Search"
            placeholder="Tail number"
            leftSection={<IconSearch size={16} aria-hidden />}
            value={search}
            onChange={(e) => setSearch(e.currentTarget.value)}
            w={260}
          />
          <Select
            label="Status"
            placeholder="Any status"
            data={STATUSES.map((s) => ({ value: s, label: STATUS_LABEL[s] }))}
            value={status ?? null}
            onChange={(value) => update({ status: value ?? undefined })}
            clearable
            clearButtonProps={{ 'aria-label': 'Any status' }}
            w={200}
          />
          {filtered && (
            <Button
              variant="subtle"
              onClick={() => {
                setSearch('');
                update({ status: undefined, q: undefined });
              }}
            >
              Clear filters
            </Button>
          )}
        </Group>
        <ErrorNotice error={fleet.error} title="The fleet could not be loaded" />
        <Table.ScrollContainer minWidth={760}>
          <Table striped highlightOnHover verticalSpacing="xs" data-testid="fleet-table">
            <Table.Thead>
              <Table.Tr>
                <SortHeader
                  field="tail_number"
                  label="Tail number"
                  sort={sort}
                  onSort={(s) => update({ sort: s })}
                />
                <SortHeader field="model" label="Model" sort={sort} onSort={(s) => update({ sort: s })} />
                <Table.Th>Type</Table.Th>
                <SortHeader field="status" label="Status" sort={sort} onSort={(s) => update({ sort: s })} />
                <Table.Th ta="right">Flight hours</Table.Th>
                <Table.Th ta="right">Cycles</Table.Th>
                <SortHeader
                  field="next_due"
                  label="Next due"
                  sort={sort}
                  onSort={(s) => update({ sort: s })}
                />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody style={{ opacity: fleet.isPlaceholderData ? 0.6 : 1 }}>
              {!rows
                ? Array.from({ length: 3 }, (_, i) => (
                    <Table.Tr key={i}>
                      <Table.Td colSpan={7}>
                        <Skeleton h={22} />
                      </Table.Td>
                    </Table.Tr>
                  ))
                : rows.map((aircraft) => (
                    <Table.Tr
                      key={aircraft.id}
                      onClick={(event) => {
                        if (!(event.target as HTMLElement).closest('a'))
                          void navigate(`/fleet/${aircraft.id}`);
                      }}
                      style={{ cursor: 'pointer' }}
                    >
                      <Table.Td>
                        <Anchor component={Link} to={`/fleet/${aircraft.id}`} fw={700}>
                          {aircraft.tail_number}
                        </Anchor>
                      </Table.Td>
                      <Table.Td>{aircraft.model}</Table.Td>
                      <Table.Td>
                        {(aircraft.aircraft_type_id && designator.get(aircraft.aircraft_type_id)) ?? '—'}
                      </Table.Td>
                      <Table.Td>
                        <StatusBadge status={aircraft.status} size="sm" />
                      </Table.Td>
                      <Table.Td ta="right">{number.format(aircraft.flight_hours_total)}</Table.Td>
                      <Table.Td ta="right">{number.format(aircraft.cycles_total)}</Table.Td>
                      <Table.Td>
                        <DateTime value={aircraft.next_due} dateOnly />
                      </Table.Td>
                    </Table.Tr>
                  ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
        {rows && rows.length === 0 && (
          <EmptyState title={filtered ? 'No aircraft match' : 'No aircraft yet'}>
            {filtered
              ? 'Try another tail number or status, or clear the filters.'
              : can('aircraft', 'create')
                ? 'Add the first one with “Add aircraft”, or import a CSV.'
                : 'Aircraft appear here once a scheduler adds them.'}
          </EmptyState>
        )}
        {rows && (
          <CursorPager
            label="Fleet pages"
            pages={pages}
            nextCursor={fleet.data?.next}
            waiting={fleet.isPlaceholderData}
          />
        )}
      </Paper>
      <AircraftFormModal opened={adding} onClose={() => setAdding(false)} />
    </>
  );
}
