import {
  Badge,
  Button,
  Group,
  Modal,
  Paper,
  PasswordInput,
  Select,
  Skeleton,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { IconUserPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { api } from '../../api/client';
import { unwrap } from '../../api/errors';
import { allPages } from '../../api/paging';
import { useCan } from '../../app/access';
import { useSession } from '../../auth/store';
import { DateTime } from '../../components/DateTime';
import { EmptyState } from '../../components/EmptyState';
import { ConfirmDeleteModal } from '../../components/ConfirmDeleteModal';
import { ErrorNotice } from '../../components/ErrorNotice';
import { notifyDone, notifyRefused } from '../../components/notify';
import { QueryTable } from '../../components/DataTable';

type Role = 'admin' | 'tenant_admin' | 'scheduler' | 'mechanic' | 'auditor';
const ROLES: { value: Role; label: string }[] = [
  { value: 'admin', label: 'Admin (every organization)' },
  { value: 'tenant_admin', label: 'Tenant admin' },
  { value: 'scheduler', label: 'Scheduler' },
  { value: 'mechanic', label: 'Mechanic' },
  { value: 'auditor', label: 'Auditor' },
];
const roleLabel = (role: Role) => ROLES.find((r) => r.value === role)?.label ?? role;

function useUsers() {
  return useQuery({
    queryKey: ['users', 'list'],
    queryFn: () =>
      allPages((cursor) => api.GET('/api/v1/users', { params: { query: { limit: 200, cursor } } })),
  });
}
type User = NonNullable<ReturnType<typeof useUsers>['data']>[number];

/** The organization's users: create, change role, delete (the API's refusals shown in its words). */
export function Users() {
  const session = useSession();
  const can = useCan();
  const queryClient = useQueryClient();
  const users = useUsers();
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<User | null>(null);
  // A tenant admin never grants (nor changes, nor deletes) the admin role: not offered.
  const isAdmin = session?.role === 'admin';
  const grantable = ROLES.filter((r) => isAdmin || r.value !== 'admin');

  const changeRole = useMutation({
    mutationFn: ({ id, role }: { id: string; role: Role }) =>
      unwrap(api.PATCH('/api/v1/users/{id}', { params: { path: { id } }, body: { role } })),
    onSuccess: (user) => {
      notifyDone(`${user.email} is now ${roleLabel(user.role).toLowerCase()}`);
      void queryClient.invalidateQueries({ queryKey: ['users'] });
    },
    onError: (error) => notifyRefused(error, 'The role was not changed'),
  });
  const remove = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/users/{id}', { params: { path: { id } } })),
    onSuccess: () => {
      notifyDone(`${deleting?.email ?? 'The user'} can no longer sign in`);
      setDeleting(null);
      void queryClient.invalidateQueries({ queryKey: ['users'] });
    },
  });

  return (
    <Paper withBorder p="md" radius="md" aria-labelledby="users-title">
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4" id="users-title">
          Users
        </Title>
        {can('users', 'create') && (
          <Button leftSection={<IconUserPlus size={16} />} onClick={() => setCreating(true)}>
            Add user
          </Button>
        )}
      </Group>
      <QueryTable
        query={users}
        rows={users.data}
        errorTitle="Users could not be loaded"
        loading={<Skeleton h={200} />}
        empty={<EmptyState title="No users">Add the people who work in AMSS.</EmptyState>}
        minWidth={720}
        columns={['Email', 'Role', 'Last sign-in', { label: 'Actions', hidden: true }]}
        highlightOnHover
        testId="users-table"
      >
        {(user) => {
          const self = user.id === session?.userId;
          const protectedAdmin = user.role === 'admin' && !isAdmin;
          const fixed = self || protectedAdmin || !can('users', 'update');
          return (
            <Table.Tr key={user.id} data-testid="user-row">
              <Table.Td>
                <Text size="sm">{user.email}</Text>
                {self && (
                  <Badge size="xs" variant="outline" color="gray.8" ml={6}>
                    you
                  </Badge>
                )}
              </Table.Td>
              <Table.Td>
                {fixed ? (
                  <Text size="sm" title={self ? 'Nobody changes their own role' : undefined}>
                    {roleLabel(user.role)}
                  </Text>
                ) : (
                  <Select
                    aria-label={`Role of ${user.email}`}
                    data={grantable}
                    value={user.role}
                    allowDeselect={false}
                    disabled={changeRole.isPending && changeRole.variables.id === user.id}
                    onChange={(role) =>
                      role && role !== user.role && changeRole.mutate({ id: user.id, role: role })
                    }
                    w={220}
                    size="xs"
                  />
                )}
              </Table.Td>
              <Table.Td>{user.last_login ? <DateTime value={user.last_login} /> : 'never'}</Table.Td>
              <Table.Td>
                {!self && !protectedAdmin && can('users', 'delete') && (
                  <Button size="compact-sm" variant="outline" color="red.9" onClick={() => setDeleting(user)}>
                    Delete<VisuallyHidden> {user.email}</VisuallyHidden>
                  </Button>
                )}
              </Table.Td>
            </Table.Tr>
          );
        }}
      </QueryTable>
      <CreateUserModal opened={creating} roles={grantable} onClose={() => setCreating(false)} />
      <ConfirmDeleteModal
        opened={deleting !== null}
        onClose={() => setDeleting(null)}
        title="Delete this user?"
        mutation={remove}
        onConfirm={() => deleting && remove.mutate(deleting.id)}
        refusedTitle="The user was not deleted"
        keepLabel="Keep"
        confirmLabel="Delete user"
      >
        {deleting?.email} can no longer sign in and their sessions end now. Their name stays in the audit log
        and on the records they signed; the email can be used again.
      </ConfirmDeleteModal>
    </Paper>
  );
}

function CreateUserModal({
  opened,
  roles,
  onClose,
}: {
  opened: boolean;
  roles: { value: Role; label: string }[];
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('mechanic');
  const [password, setPassword] = useState('');
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/users', {
          body: { email: email.trim(), role, password },
          headers: { 'Idempotency-Key': crypto.randomUUID() },
        }),
      ),
    onSuccess: (user) => {
      notifyDone(`${user.email} added as ${roleLabel(user.role).toLowerCase()}`);
      void queryClient.invalidateQueries({ queryKey: ['users'] });
      close();
    },
  });
  const close = () => {
    setEmail('');
    setRole('mechanic');
    setPassword('');
    create.reset();
    onClose();
  };
  return (
    <Modal closeButtonProps={{ 'aria-label': 'Close' }} opened={opened} onClose={close} title="Add a user">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
      >
        <Stack>
          <ErrorNotice error={create.error} title="The user was not added" />
          <TextInput
            label="Email"
            type="email"
            required
            autoComplete="off"
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            data-autofocus
          />
          <Select
            label="Role"
            data={roles}
            value={role}
            allowDeselect={false}
            onChange={(value) => value && setRole(value)}
          />
          <PasswordInput
            label="Initial password"
            description="At least 12 characters with a letter and a digit, not containing the email's name"
            required
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending}>
              Add user
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
