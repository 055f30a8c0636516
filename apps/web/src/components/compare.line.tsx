/**
 * The dashboard's one line on what changed most this week so far against the same days and hours
 * of last week ("Kettle used 1.2 kWh more than last week so far (+35 %)"), linking to the Reports
 * page's Compare for the numbers. Missing data is said, never shown as a drop.
 */
import { Link } from 'react-router';
import { changeSentence } from '../lib/compare.js';
import { useComparison } from '../state/compare.js';

export function CompareLine({ buildingId }: { buildingId: string }) {
  const c = useComparison(buildingId, 'week');
  const text = c.error
    ? `Could not compare with last week: ${c.error instanceof Error ? c.error.message : 'unknown error'}.`
    : c.justBegun
      ? 'The week has only just begun: nothing to compare with last week yet.'
      : c.comparison && c.names
        ? changeSentence(c.comparison, c.names)
        : 'Comparing with last week…';
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
        See the numbers
      </Link>
    </p>
  );
}
