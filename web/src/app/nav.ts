import {
  IconAlertTriangle,
  IconCalendarTime,
  IconClipboardCheck,
  IconFileImport,
  IconGauge,
  IconHistory,
  IconPlane,
  IconSettings,
  IconTools,
  IconUsers,
  IconWebhook,
} from '@tabler/icons-react';
import type { Action, Resource } from './access';

/** One entry of the console's navigation, shown to the roles that may read what it shows. */
export interface NavEntry {
  path: string;
  label: string;
  icon: typeof IconGauge;
  needs: { resource: Resource; action: Action<Resource> };
}

const entry = <R extends Resource>(
  path: string,
  label: string,
  icon: typeof IconGauge,
  resource: R,
  action: Action<R>,
): NavEntry => ({ path, label, icon, needs: { resource, action: action as Action<Resource> } });

export const NAV: readonly NavEntry[] = [
  entry('/', 'Dashboard', IconGauge, 'dashboard', 'read'),
  entry('/fleet', 'Fleet', IconPlane, 'aircraft', 'read'),
  entry('/schedule', 'Schedule', IconCalendarTime, 'maintenance_tasks', 'read'),
  entry('/people', 'People', IconUsers, 'people', 'read'),
  entry('/directives', 'Directives', IconClipboardCheck, 'directives', 'read'),
  entry('/parts', 'Parts and stock', IconTools, 'parts', 'read'),
  entry('/alerts', 'Alerts', IconAlertTriangle, 'alerts', 'read'),
  entry('/imports', 'Imports', IconFileImport, 'imports', 'read'),
  entry('/webhooks', 'Webhooks', IconWebhook, 'webhooks', 'read'),
  entry('/audit', 'Audit log', IconHistory, 'audit_logs', 'read'),
  entry('/admin', 'Users and policy', IconSettings, 'users', 'list'),
];
