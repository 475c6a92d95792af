import { Anchor, Badge, Group, Paper, Skeleton, Table, Text } from '@mantine/core';
import { useQueries } from '@tanstack/react-query';
import { Link, Navigate } from 'react-router';
import { api } from '../api/client';
import { allPages } from '../api/paging';
import { useCan } from '../app/access';
import { useSession } from '../auth/store';
import { DateTime } from '../components/DateTime';
import { EmptyState } from '../components/EmptyState';
import { ErrorNotice } from '../components/ErrorNotice';
import { PageHeader } from '../components/PageHeader';
import { ExpiryBadge } from './people/ExpiryBadge';
import { usePeople, type Certification, type Person } from './people/queries';
import { SkeletonRows } from '../components/SkeletonRows';

export const ROLE_LABEL: Record<string, string> = {
  mechanic: 'Mechanic',
  tenant_admin: 'Tenant admin',
  scheduler: 'Scheduler',
  auditor: 'Auditor',
  admin: 'Admin',
};

export default function PeoplePage() {
  const session = useSession();
  const can = useCan();
  // A mechanic reads their own records only: their profile is their people page.
  if (session?.role === 'mechanic') return <Navigate to={`/people/${session.userId}`} replace />;
  return <PeopleList canListUsers={can('users', 'list')} />;
}

function PeopleList({ canListUsers }: { canListUsers: boolean }) {
  const people = usePeople();
  const rows = people.data ?? [];
  const certifications = useQueries({
    queries: rows.map((person) => ({
      queryKey: ['people', person.id, 'certifications'],
      queryFn: () =>
        allPages((cursor) =>
          api.GET('/api/v1/users/{id}/certifications', {
            params: { path: { id: person.id }, query: { limit: 200, cursor } },
          }),
        ),
    })),
  });
  return (
    <>
      <PageHeader
        title="People"
        description={
          canListUsers
            ? 'Everyone in your organization, mechanics first, with their licences and when they expire'
            : 'The mechanics of your organization, with their licences and when they expire'
        }
      />
      <ErrorNotice error={people.error} title="The people could not be loaded" />
      <Paper withBorder radius="md" p="md">
        {people.isPending ? (
          <SkeletonRows count={5} height={36} />
        ) : rows.length === 0 ? (
          <EmptyState title="Nobody here yet">People your tenant admin adds appear here.</EmptyState>
        ) : (
          <Table.ScrollContainer minWidth={720}>
            <Table highlightOnHover verticalSpacing="sm" data-testid="people-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Person</Table.Th>
                  <Table.Th>Role</Table.Th>
                  <Table.Th>Licences</Table.Th>
                  <Table.Th>Next expiry</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((person, i) => (
                  <PersonRow key={person.id} person={person} query={certifications[i]} />
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Paper>
    </>
  );
}

function PersonRow({
  person,
  query,
}: {
  person: Person;
  query: { data?: Certification[]; error: unknown; isPending: boolean } | undefined;
}) {
  const live = (query?.data ?? []).filter((c) => c.status !== 'revoked');
  const next = live
    .filter((c) => c.expiry_date)
    .sort((a, b) => a.expiry_date!.localeCompare(b.expiry_date!))[0];
  return (
    <Table.Tr data-testid="person-row">
      <Table.Td>
        <Anchor component={Link} to={`/people/${person.id}`} fw={600}>
          {person.email}
        </Anchor>
      </Table.Td>
      <Table.Td>{ROLE_LABEL[person.role] ?? person.role}</Table.Td>
      <Table.Td>
        {query?.isPending ? (
          <Skeleton h={20} w={160} />
        ) : query?.error ? (
          <Text size="sm" c="red.9">
            Could not be read
          </Text>
        ) : live.length === 0 ? (
          <Text size="sm" c="dimmed">
            None recorded
          </Text>
        ) : (
          <Group gap={4}>
            {live.map((c) => (
              <Badge key={c.id} variant="outline" color="indigo.9" title={c.certification_type.name}>
                {c.certification_type.authority} {c.certification_type.code}
                {c.status === 'suspended' ? ' (suspended)' : ''}
              </Badge>
            ))}
          </Group>
        )}
      </Table.Td>
      <Table.Td>
        {next ? (
          <Group gap="xs" wrap="nowrap">
            <ExpiryBadge expiry={next.expiry_date} />
            <Text size="sm">
              {next.certification_type.code} · <DateTime value={next.expiry_date} dateOnly />
            </Text>
          </Group>
        ) : (
          !query?.isPending && (
            <Text size="sm" c="dimmed">
              —
            </Text>
          )
        )}
      </Table.Td>
    </Table.Tr>
  );
}
