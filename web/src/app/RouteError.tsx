import { Button, Stack, Title } from '@mantine/core';
import { useRouteError } from 'react-router';
import { ErrorNotice } from '../components/ErrorNotice';

/** A page that failed to load or render: say so in words, offer a reload. */
export function RouteError() {
  const error = useRouteError();
  return (
    <Stack p="xl" maw={640}>
      <Title order={1} size="h2">
        This page could not be shown
      </Title>
      <ErrorNotice error={error} title="What went wrong" />
      <Button onClick={() => window.location.reload()} w="fit-content">
        Reload
      </Button>
    </Stack>
  );
}
