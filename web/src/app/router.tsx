import { createBrowserRouter, type LoaderFunctionArgs } from 'react-router';
import { sessionStore } from '../auth/store';
import { dashboardQuery, fleetQuery } from '../pages/dashboard/queries';
import { rangeOfAddress } from '../pages/schedule/model';
import { timelineQuery } from '../pages/schedule/queries';
import { queryClient } from './query-client';
import { Layout } from './Layout';
import { RouteError } from './RouteError';

// Each page is its own chunk, loaded when first visited: the sign-in and dashboard routes stay small.
const page = (load: () => Promise<{ default: React.ComponentType }>) => async () => ({
  Component: (await load()).default,
});

/** Starts the dashboard's figures and fleet board while the page's code loads (signed in only). */
function prefetchDashboard(): null {
  if (sessionStore.get()) {
    void queryClient.prefetchQuery({ ...dashboardQuery, staleTime: 10_000 });
    void queryClient.prefetchQuery({ ...fleetQuery, staleTime: 10_000 });
  }
  return null;
}

/**
 * Starts the schedule's one big read while the page's code is still loading (a signed-in user
 * only; the page itself shows any error). Never waits for it.
 */
function prefetchTimeline({ request }: LoaderFunctionArgs): null {
  if (sessionStore.get()) {
    const params = new URL(request.url).searchParams;
    const range = rangeOfAddress(params.get('view'), params.get('from'));
    // Data fetched in the last seconds (a change of only ?task=) is not fetched again.
    void queryClient.prefetchQuery({ ...timelineQuery(range), staleTime: 10_000 });
  }
  return null;
}

export const router = createBrowserRouter([
  { path: '/sign-in', lazy: page(() => import('../pages/SignInPage')), errorElement: <RouteError /> },
  {
    element: <Layout />,
    errorElement: <RouteError />,
    children: [
      { index: true, loader: prefetchDashboard, lazy: page(() => import('../pages/DashboardPage')) },
      { path: 'fleet', lazy: page(() => import('../pages/FleetPage')) },
      { path: 'fleet/:id', lazy: page(() => import('../pages/AircraftPage')) },
      { path: 'tasks/:id', lazy: page(() => import('../pages/TaskPage')) },
      { path: 'schedule', loader: prefetchTimeline, lazy: page(() => import('../pages/SchedulePage')) },
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
