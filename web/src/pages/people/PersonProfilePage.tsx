import { Anchor, Button, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { IconPlus, IconRefresh } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { api } from '../../api/client';
import { unwrap } from '../../api/errors';
import { useCan } from '../../app/access';
import { useSession } from '../../auth/store';
import { DateTime } from '../../components/DateTime';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNotice } from '../../components/ErrorNotice';
import { PageHeader } from '../../components/PageHeader';
import { ROLE_LABEL } from '../PeoplePage';
import { ExpiryBadge } from './ExpiryBadge';
import {
  useCertifications,
  usePeople,
  useRecency,
  useSkills,
  useTypeRatings,
  type Certification,
  type RecencyEntry,
} from './queries';
import { AddCertificationModal, AddRecencyModal, RenewCertificationModal } from './RecordModals';
import { QueryTable } from '../../components/DataTable';
import { SkeletonRows } from '../../components/SkeletonRows';

const STATUS_COLOR = { active: 'teal.9', suspended: '#a8410a', revoked: 'red.9' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

export default function PersonProfilePage() {
  const { id = '' } = useParams();
  const session = useSession();
  const can = useCan();
  const own = session?.userId === id;
  const person = usePersonHeading(id, own);
  const mayCreate = can('people', 'create');
  const mayUpdate = can('people', 'update');
  const [adding, setAdding] = useState(false);
  const [logging, setLogging] = useState(false);
  const [renewing, setRenewing] = useState<Certification | null>(null);

  return (
    <>
      <Anchor component={Link} to="/people" size="sm">
        ← People
      </Anchor>
      <PageHeader
        title={person.email ?? (own ? 'My profile' : 'Person')}
        description={
          person.role
            ? `${ROLE_LABEL[person.role] ?? person.role}${own ? ' · you' : ''}: licences, type ratings, skills and recent experience`
            : 'Licences, type ratings, skills and recent experience'
        }
        actions={
          <>
            {mayCreate && (
              <Button leftSection={<IconPlus size={16} />} onClick={() => setAdding(true)}>
                Add certification
              </Button>
            )}
            {mayCreate && (
              <Button variant="default" leftSection={<IconPlus size={16} />} onClick={() => setLogging(true)}>
                Log experience
              </Button>
            )}
          </>
        }
      />
      <Stack gap="md">
        <Certifications userId={id} onRenew={mayUpdate ? setRenewing : undefined} />
        <SimpleGrid cols={{ base: 1, lg: 2 }}>
          <TypeRatings userId={id} />
          <Skills userId={id} />
        </SimpleGrid>
        <Recency userId={id} />
      </Stack>
      <AddCertificationModal userId={id} opened={adding} onClose={() => setAdding(false)} />
      <AddRecencyModal userId={id} opened={logging} onClose={() => setLogging(false)} />
      <RenewCertificationModal userId={id} certification={renewing} onClose={() => setRenewing(null)} />
    </>
  );
}

/** Who the profile is of: the user record for those who may read users, else what the session or the people list says. */
function usePersonHeading(id: string, own: boolean): { email?: string; role?: string } {
  const session = useSession();
  const can = useCan();
  const readUsers = can('users', 'read');
  const user = useQuery({
    queryKey: ['people', id, 'user'],
    enabled: readUsers,
    queryFn: () => unwrap(api.GET('/api/v1/users/{id}', { params: { path: { id } } })),
  });
  const people = usePeople(!readUsers && !own && can('qualification_checks', 'list'));
  if (user.data) return { email: user.data.email, role: user.data.role };
  if (own && session) return { email: session.email, role: session.role };
  const listed = people.data?.find((p) => p.id === id);
  return listed ? { email: listed.email, role: listed.role } : {};
}

function Section({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <Paper withBorder radius="md" p="md">
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4">
          {title}
        </Title>
        {actions}
      </Group>
      {children}
    </Paper>
  );
}

function Certifications({ userId, onRenew }: { userId: string; onRenew?: (c: Certification) => void }) {
  const query = useCertifications(userId);
  return (
    <Section title="Certifications">
      <QueryTable
        query={query}
        rows={query.data}
        errorTitle="The certifications could not be loaded"
        empty={<EmptyState title="No certification recorded" />}
        minWidth={720}
        columns={['Type', 'Number', 'Authority', 'Issued', 'Expiry', 'Status', onRenew && 'Action']}
        verticalSpacing="sm"
        testId="certifications"
      >
        {(c) => (
          <Table.Tr key={c.id} data-testid="certification">
            <Table.Td>
              <Text size="sm" fw={600}>
                {c.certification_type.code}
              </Text>
              <Text size="xs" c="dimmed">
                {c.certification_type.name}
              </Text>
            </Table.Td>
            <Table.Td>
              {c.certificate_number}
              {c.verified && (
                <Text size="xs" c="dimmed">
                  verified
                </Text>
              )}
            </Table.Td>
            <Table.Td>{c.certification_type.authority}</Table.Td>
            <Table.Td>
              <DateTime value={c.issue_date} dateOnly />
            </Table.Td>
            <Table.Td style={{ whiteSpace: 'nowrap' }}>
              <Stack gap={4} align="flex-start">
                {c.expiry_date ? (
                  <DateTime value={c.expiry_date} dateOnly />
                ) : (
                  <Text size="sm">Lifetime</Text>
                )}
                <ExpiryBadge expiry={c.expiry_date} />
              </Stack>
            </Table.Td>
            <Table.Td style={{ whiteSpace: 'nowrap' }}>
              <Text size="sm" fw={600} c={STATUS_COLOR[c.status]} tt="capitalize">
                {c.status}
              </Text>
            </Table.Td>
            {onRenew && (
              <Table.Td style={{ whiteSpace: 'nowrap' }}>
                {c.status !== 'revoked' && (
                  <Button
                    size="xs"
                    variant="default"
                    leftSection={<IconRefresh size={14} />}
                    onClick={() => onRenew(c)}
                    aria-label={`Renew ${c.certification_type.code} ${c.certificate_number}`}
                  >
                    Renew
                  </Button>
                )}
              </Table.Td>
            )}
          </Table.Tr>
        )}
      </QueryTable>
    </Section>
  );
}

function TypeRatings({ userId }: { userId: string }) {
  const query = useTypeRatings(userId);
  return (
    <Section title="Type ratings">
      <QueryTable
        query={query}
        rows={query.data}
        errorTitle="The type ratings could not be loaded"
        empty={<EmptyState title="No type rating recorded" />}
        columns={['Aircraft type', 'Endorsed', 'Expiry']}
        verticalSpacing="xs"
      >
        {(r) => (
          <Table.Tr key={r.id}>
            <Table.Td>
              <Text size="sm" fw={600}>
                {r.aircraft_type.designator}
              </Text>
              <Text size="xs" c="dimmed">
                {r.aircraft_type.manufacturer} {r.aircraft_type.model}
              </Text>
            </Table.Td>
            <Table.Td>
              <DateTime value={r.endorsed_date} dateOnly />
            </Table.Td>
            <Table.Td>
              <ExpiryBadge expiry={r.expiry_date} />
            </Table.Td>
          </Table.Tr>
        )}
      </QueryTable>
    </Section>
  );
}

function Skills({ userId }: { userId: string }) {
  const query = useSkills(userId);
  return (
    <Section title="Skills">
      <QueryTable
        query={query}
        rows={query.data}
        errorTitle="The skills could not be loaded"
        empty={<EmptyState title="No skill recorded" />}
        columns={['Skill', 'Level', 'Expiry']}
        verticalSpacing="xs"
      >
        {(s) => (
          <Table.Tr key={s.id}>
            <Table.Td>
              <Text size="sm" fw={600}>
                {s.skill_type.code}
              </Text>
              <Text size="xs" c="dimmed">
                {s.skill_type.name}
              </Text>
            </Table.Td>
            <Table.Td>
              <Text size="sm">
                {s.proficiency} of 5{s.qualified ? '' : ' · not qualified'}
              </Text>
            </Table.Td>
            <Table.Td>
              <ExpiryBadge expiry={s.expiry_date} />
            </Table.Td>
          </Table.Tr>
        )}
      </QueryTable>
    </Section>
  );
}

interface TypeHours {
  designator: string;
  last90: number;
  last365: number;
  latest: string;
}

function hoursByType(entries: RecencyEntry[], now = Date.now()): TypeHours[] {
  const byType = new Map<string, TypeHours>();
  for (const e of entries) {
    const key = e.aircraft_type.designator;
    const row = byType.get(key) ?? { designator: key, last90: 0, last365: 0, latest: e.performed_at };
    const age = now - new Date(e.performed_at).getTime();
    if (age <= 90 * DAY_MS) row.last90 += e.hours;
    if (age <= 365 * DAY_MS) row.last365 += e.hours;
    if (e.performed_at > row.latest) row.latest = e.performed_at;
    byType.set(key, row);
  }
  return [...byType.values()].sort((a, b) => a.designator.localeCompare(b.designator));
}

const hours = (h: number) => `${Math.round(h * 100) / 100} h`;

function Recency({ userId }: { userId: string }) {
  const query = useRecency(userId);
  const entries = query.data ?? [];
  return (
    <Section title="Recent experience">
      <ErrorNotice error={query.error} title="The recent experience could not be loaded" />
      {query.isPending ? (
        <SkeletonRows />
      ) : entries.length === 0 ? (
        !query.error && <EmptyState title="No hours logged">Completed tasks log their hours here.</EmptyState>
      ) : (
        <SimpleGrid cols={{ base: 1, lg: 2 }}>
          <Table verticalSpacing="xs" captionSide="top" data-testid="recency-by-type">
            <Table.Caption>Hours per aircraft type</Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Aircraft type</Table.Th>
                <Table.Th>Last 90 days</Table.Th>
                <Table.Th>Last 12 months</Table.Th>
                <Table.Th>Last worked</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {hoursByType(entries).map((t) => (
                <Table.Tr key={t.designator}>
                  <Table.Td fw={600}>{t.designator}</Table.Td>
                  <Table.Td>{hours(t.last90)}</Table.Td>
                  <Table.Td>{hours(t.last365)}</Table.Td>
                  <Table.Td>
                    <DateTime value={t.latest} dateOnly />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Table verticalSpacing="xs" captionSide="top">
            <Table.Caption>Latest entries</Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>Type</Table.Th>
                <Table.Th>Hours</Table.Th>
                <Table.Th>From</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {entries.slice(0, 8).map((e) => (
                <Table.Tr key={e.id}>
                  <Table.Td>
                    <DateTime value={e.performed_at} dateOnly />
                  </Table.Td>
                  <Table.Td>{e.aircraft_type.designator}</Table.Td>
                  <Table.Td>{hours(e.hours)}</Table.Td>
                  <Table.Td>
                    <Text size="sm" title={e.notes ?? undefined}>
                      {e.source === 'task' ? 'A task' : (e.notes ?? 'By hand')}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </SimpleGrid>
      )}
    </Section>
  );
}
