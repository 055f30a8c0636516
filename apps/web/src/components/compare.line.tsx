/**
 * The dashboard's one line on what changed most this week so far against the same days and hours
 * of last week ("Kettle used 1.2 kWh more than last week so far (+35 %)"), linking to the Reports
 * page's Compare for the numbers. Missing data is said, never shown as a drop.
 */
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { changeSentence } from '../lib/compare.js';
import { useComparison } from '../state/compare.js';

export function CompareLine({ buildingId }: { buildingId: string }) {
  const { t } = useTranslation();
  const c = useComparison(buildingId, 'week');
  const text = c.error
    ? t('compareLine.failed', {
        error: c.error instanceof Error ? c.error.message : t('compareLine.unknownError'),
      })
    : c.justBegun
      ? t('compareLine.justBegun')
      : c.comparison && c.names
        ? changeSentence(c.comparison, c.names)
        : t('compareLine.comparing');
  return (
    <p
      role="status"
      className="rounded-xl border border-slate-200 bg-white px-4 py-3 text-sm shadow-sm dark:border-slate-800 dark:bg-slate-900"
    >
      {text}{' '}
      <Link
        to={`/b/${encodeURIComponent(buildingId)}/reports#compare`}
        className="font-medium whitespace-nowrap text-emerald-700 underline dark:text-emerald-400"
      >
        {t('compareLine.seeNumbers')}
      </Link>
    </p>
  );
}
