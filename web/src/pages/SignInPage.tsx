import {
  Anchor,
  Button,
  Center,
  Paper,
  PasswordInput,
  Select,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Navigate, useSearchParams } from 'react-router';
import { ApiError } from '../api/errors';
import { signIn } from '../auth/sign-in';
import { useSession } from '../auth/store';
import { ErrorNotice } from '../components/ErrorNotice';

/** Only a path of this console is a place to go back to after signing in. */
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export default function SignInPage() {
  const session = useSession();
  const [params] = useSearchParams();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [orgId, setOrgId] = useState<string | null>(null);
  const [organizations, setOrganizations] = useState<{ value: string; label: string }[]>([]);
  const mutation = useMutation({
    mutationFn: () => signIn({ email, password, orgId: orgId ?? undefined }),
    onError: (error) => {
      // The password opened accounts in several organizations: the API names them to choose from.
      if (error instanceof ApiError && error.reason === 'ORG_ID_REQUIRED') {
        const choices = (error.envelope.details ?? []).flatMap((d) =>
          d.org_id ? [{ value: d.org_id, label: d.name ?? d.org_id }] : [],
        );
        setOrganizations(choices);
      }
    },
  });
  if (session) return <Navigate to={safeNext(params.get('next'))} replace />;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    mutation.mutate();
  };
  const needsOrg = mutation.error instanceof ApiError && mutation.error.reason === 'ORG_ID_REQUIRED';

  return (
    <Center mih="100vh" p="md" bg="gray.0">
      <Paper component="main" withBorder shadow="sm" p="xl" w={400} maw="100%">
        <form onSubmit={submit} noValidate>
          <Stack>
            <div>
              <Title order={1} size="h2">
                AMSS
              </Title>
              <Text c="dimmed" size="sm">
                Aircraft Maintenance Scheduling System — sign in to your organization
              </Text>
            </div>
            {mutation.error && !needsOrg && <ErrorNotice error={mutation.error} title="Could not sign in" />}
            <TextInput
              label="Email"
              type="email"
              autoComplete="username"
              required
              autoFocus
              value={email}
              onChange={(e) => {
                setEmail(e.currentTarget.value);
                setOrganizations([]);
                setOrgId(null);
              }}
            />
            <PasswordInput
              label="Password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
            />
            {organizations.length > 0 && (
              <Select
                label="Organization"
                description="This email and password open accounts in several organizations: choose one."
                required
                data={organizations}
                value={orgId}
                onChange={setOrgId}
                allowDeselect={false}
                error={needsOrg && orgId === null ? 'Choose the organization to sign in to' : undefined}
              />
            )}
            <Button type="submit" loading={mutation.isPending} fullWidth>
              Sign in
            </Button>
            <Text size="xs" c="dimmed">
              API reference: <Anchor href="/docs">/docs</Anchor>
            </Text>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
