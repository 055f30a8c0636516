/**
 * The line under the header while the app is offline: "Offline — showing data from 14:05", the
 * time being when the oldest answer on screen was kept by the service worker (or when the
 * server last answered). Hidden while online with fresh data.
 */
import { useTranslation } from 'react-i18next';
import { currentLocale } from '../i18n/i18n.setup.js';
import { useOfflineStatus, type OfflineStatus } from '../lib/offline.status.js';

/** A time today as "14:05", another day's as "4 Dec 2026, 14:05" (the language's locale). */
function dataTime(ms: number, now = new Date()): string {
  const d = new Date(ms);
  const today = d.toDateString() === now.toDateString();
  return today
    ? d.toLocaleTimeString(currentLocale(), { timeStyle: 'short' })
    : d.toLocaleString(currentLocale(), { dateStyle: 'medium', timeStyle: 'short' });
}

export function OfflineBanner({ status }: { status?: OfflineStatus }) {
  const { t } = useTranslation();
  const { online, cachedAt, lastFreshAt } = useOfflineStatus(status);
  if (online && cachedAt === null) return null;
  const from = cachedAt ?? lastFreshAt;
  return (
    <div
      role="status"
      className="border-b border-amber-300 bg-amber-50 px-4 py-1.5 text-center text-sm font-medium text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100"
    >
      {from === null ? t('offline.lastData') : t('offline.dataFrom', { time: dataTime(from) })}
    </div>
  );
}
