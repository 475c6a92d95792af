import { Stack } from '@mantine/core';
import { useSession } from '../auth/store';
import { useCan } from '../app/access';
import { PageHeader } from '../components/PageHeader';
import { PolicyForm } from './admin/Policy';
import { Users } from './admin/Users';

export default function AdminPage() {
  const session = useSession();
  const can = useCan();
  return (
    <>
      <PageHeader
        title="Users and policy"
        description="Who works in AMSS, with which role, and the organization's rules"
      />
      <Stack gap="md">
        <Users />
        {session && can('org_policies', 'read') && <PolicyForm orgId={session.orgId} />}
      </Stack>
    </>
  );
}
