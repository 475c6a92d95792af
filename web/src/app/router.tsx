import { createBrowserRouter } from 'react-router';
import { Layout } from './Layout';
import { RouteError } from './RouteError';

// Each page is its own chunk, loaded when first visited: the sign-in and dashboard routes stay small.
const page = (load: () => Promise<{ default: React.ComponentType }>) => async () => ({
  Component: (await load()).default,
});

export const router = createBrowserRouter([
  { path: '/sign-in', lazy: page(() => import('../pages/SignInPage')), errorElement: <RouteError /> },
  {
    element: <Layout />,
    errorElement: <RouteError />,
    children: [
      { index: true, lazy: page(() => import('../pages/DashboardPage')) },
      { path: 'fleet', lazy: page(() => import('../pages/FleetPage')) },
      { path: 'fleet/:id', lazy: page(() => import('../pages/AircraftPage')) },
      { path: 'tasks/:id', lazy: page(() => import('../pages/TaskPage')) },
      { path: 'schedule', lazy: page(() => import('../pages/SchedulePage')) },
      { path: 'parts', lazy: page(() => import('../pages/PartsPage')) },
      { path: 'imports', lazy: page(() => import('../pages/ImportsPage')) },
      { path: 'webhooks', lazy: page(() => import('../pages/WebhooksPage')) },
      { path: 'audit', lazy: page(() => import('../pages/AuditPage')) },
      { path: 'admin', lazy: page(() => import('../pages/AdminPage')) },
      { path: 'alerts', lazy: page(() => import('../pages/AlertsPage')) },
      { path: 'people', lazy: page(() => import('../pages/PeoplePage')) },
      { path: 'people/:id', lazy: page(() => import('../pages/people/PersonProfilePage')) },
      { path: 'directives', lazy: page(() => import('../pages/DirectivesPage')) },
      { path: 'directives/:id', lazy: page(() => import('../pages/directives/DirectivePage')) },
      { path: '*', lazy: page(() => import('../pages/NotFoundPage')) },
    ],
  },
]);
