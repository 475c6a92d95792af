import { AppShell, Badge, Burger, Button, Group, NavLink, Text, Tooltip } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconLogout } from '@tabler/icons-react';
import { Navigate, Outlet, NavLink as RouterLink, useLocation } from 'react-router';
import { signOut } from '../auth/sign-in';
import { useSession } from '../auth/store';
import { useLiveEvents, type LiveState } from '../live/useLiveEvents';
import { useCan } from './access';
import { NAV } from './nav';

const LIVE_BADGE: Record<LiveState, { color: string; label: string; hint: string }> = {
  live: { color: 'teal.9', label: 'Live', hint: 'Changes made anywhere appear here as they happen' },
  connecting: { color: 'yellow', label: 'Connecting', hint: 'Connecting to live updates' },
  offline: {
    color: 'gray.7',
    label: 'Offline',
    hint: 'Live updates paused: reconnecting; pages still refresh on focus',
  },
};

/** The signed-in frame: navigation for the role, the user, live status, and the page. */
export function Layout() {
  const session = useSession();
  const location = useLocation();
  const [opened, { toggle, close }] = useDisclosure();
  const can = useCan();
  const live = useLiveEvents();
  if (!session) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/sign-in${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}`} replace />;
  }
  const badge = LIVE_BADGE[live];
  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: 'md', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="md" size="sm" aria-label="Menu" />
            <Text fw={700} size="lg">
              AMSS
            </Text>
            <Tooltip label={badge.hint}>
              <Badge color={badge.color} variant="filled" autoContrast data-testid="live-status">
                {badge.label}
              </Badge>
            </Tooltip>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Text size="sm" visibleFrom="sm" data-testid="signed-in-as">
              {session.email} · {session.role.replace('_', ' ')}
            </Text>
            <Button
              variant="subtle"
              size="compact-sm"
              leftSection={<IconLogout size={16} />}
              onClick={() => void signOut()}
            >
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        {NAV.filter((entry) => can(entry.needs.resource, entry.needs.action)).map((entry) => (
          <NavLink
            key={entry.path}
            component={RouterLink}
            to={entry.path}
            end={entry.path === '/'}
            label={entry.label}
            leftSection={<entry.icon size={18} stroke={1.6} />}
            onClick={close}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
