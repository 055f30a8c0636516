/** Routes and providers. Pages are code-split (React.lazy) so the first load stays small. */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, Suspense, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { BrowserRouter, Link, Navigate, Route, Routes, useLocation } from 'react-router';
import { Layout } from './components/layout.js';
import { Empty, ErrorState, Loading } from './components/states.js';
import { mayRetry } from './lib/api.client.js';
import { useBuildings } from './state/queries.js';
import { SessionProvider, useSession } from './state/session.js';
import { SettingsProvider } from './state/settings.js';

const LoginPage = lazy(() => import('./pages/login.page.js'));
const DashboardPage = lazy(() => import('./pages/dashboard.page.js'));
const AppliancesPage = lazy(() => import('./pages/appliances.page.js'));
const AppliancePage = lazy(() => import('./pages/appliance.page.js'));
const ReportsPage = lazy(() => import('./pages/reports.page.js'));
const ModelPage = lazy(() => import('./pages/model.page.js'));
const SettingsPage = lazy(() => import('./pages/settings.page.js'));
const BuildingPage = lazy(() => import('./pages/building.page.js'));
const AdminPage = lazy(() => import('./pages/admin.page.js'));
const AlertsPage = lazy(() => import('./pages/alerts.page.js'));

/** Retry only what may pass by itself: the catalogue's `later` codes and network faults. */
export function newQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        retry: (n, e) => n < 2 && mayRetry(e),
      },
    },
  });
}

function RequireSession({ children }: { children: ReactNode }) {
  const { session } = useSession();
  const location = useLocation();
  if (!session) return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  return children;
}

/** `/` goes to the first building the person may see. */
function FirstBuilding() {
  const { t } = useTranslation();
  const buildings = useBuildings();
  const { session } = useSession();
  if (buildings.error) return <ErrorState error={buildings.error} />;
  if (!buildings.data) return <Loading />;
  const first = buildings.data.buildings[0];
  if (!first)
    return session?.user.role === 'admin' ? (
      <Empty>
        {t('app.noBuildingsAdmin')}{' '}
        <Link to="/admin" className="font-medium text-emerald-700 underline dark:text-emerald-400">
          {t('app.createOne')}
        </Link>
        .
      </Empty>
    ) : (
      <Empty>{t('app.noBuildings')}</Empty>
    );
  return <Navigate to={`/b/${encodeURIComponent(first.id)}`} replace />;
}

function NoPage() {
  const { t } = useTranslation();
  return <Empty>{t('app.noPage')}</Empty>;
}

export function AppRoutes() {
  return (
    <Suspense fallback={<Loading />}>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route
          element={
            <RequireSession>
              <Layout />
            </RequireSession>
          }
        >
          <Route index element={<FirstBuilding />} />
          <Route path="b/:buildingId" element={<DashboardPage />} />
          <Route path="b/:buildingId/appliances" element={<AppliancesPage />} />
          <Route path="b/:buildingId/appliances/:name" element={<AppliancePage />} />
          <Route path="b/:buildingId/reports" element={<ReportsPage />} />
          <Route path="b/:buildingId/alerts" element={<AlertsPage />} />
          <Route path="b/:buildingId/settings" element={<BuildingPage />} />
          <Route path="model" element={<ModelPage />} />
          <Route path="settings" element={<SettingsPage />} />
          <Route path="admin" element={<AdminPage />} />
          <Route path="*" element={<NoPage />} />
        </Route>
      </Routes>
    </Suspense>
  );
}

export function App() {
  const [queryClient] = useState(newQueryClient);
  return (
    <QueryClientProvider client={queryClient}>
      <SettingsProvider>
        <SessionProvider>
          <BrowserRouter>
            <AppRoutes />
          </BrowserRouter>
        </SessionProvider>
      </SettingsProvider>
    </QueryClientProvider>
  );
}
