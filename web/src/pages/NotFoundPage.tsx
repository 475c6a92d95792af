import { Button, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router';

export default function NotFoundPage() {
  return (
    <Stack align="flex-start">
      <Title order={1} size="h2">
        Nothing here
      </Title>
      <Text c="dimmed">This page does not exist in the console, or it moved.</Text>
      <Button component={Link} to="/">
        Back to the dashboard
      </Button>
    </Stack>
  );
}
