/** Reports: kWh and flat-tariff cost per appliance per day, week or month over a chosen span, with CSV export. */
import { useMemo, useState } from 'react';
import { useParams } from 'react-router';
import { Segmented } from '../components/range.tabs.js';
import { Empty, ErrorState, Loading, Panel } from '../components/states.js';
import { formatMoney } from '../lib/format.js';
import { buildReport, reportCsv, type ReportPeriod, type ReportTable } from '../lib/report.csv.js';
import { useAppliances, useEnergy } from '../state/queries.js';
import { useSettings } from '../state/settings.js';

const PERIODS: readonly ReportPeriod[] = ['day', 'week', 'month'];
type Span = '7 days' | '30 days' | '90 days';
const SPANS: readonly Span[] = ['7 days', '30 days', '90 days'];
const SPAN_START: Record<Span, string> = { '7 days': '-7d', '30 days': '-30d', '90 days': '-90d' };

/** Offers the CSV as a file download (browser only). */
function download(filename: string, csv: string) {
  const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  URL.revokeObjectURL(url);
}

function ReportGrid({ table }: { table: ReportTable }) {
  const last = table.rows.length - 1;
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-sm">
        <caption className="sr-only">Energy and cost per appliance and period</caption>
        <thead>
          <tr className="border-b border-slate-200 dark:border-slate-800">
            {table.header.map((h, i) => (
              <th
                key={h}
                scope="col"
                className={`px-3 py-2 font-medium whitespace-nowrap ${i === 0 ? 'text-left' : 'text-right'}`}
              >
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {table.rows.map((r, ri) => (
            <tr key={r[0]} className={ri === last ? 'font-semibold' : undefined}>
              {r.map((c, ci) =>
                ci === 0 ? (
                  <th key={ci} scope="row" className="px-3 py-2 text-left whitespace-nowrap">
                    {c}
                  </th>
                ) : (
                  <td
                    key={ci}
                    className={`px-3 py-2 text-right tabular-nums ${c === 'no data' ? 'text-slate-400' : ''}`}
                  >
                    {c}
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default function ReportsPage() {
  const { buildingId = '' } = useParams();
  const { settings } = useSettings();
  const [period, setPeriod] = useState<ReportPeriod>('day');
  const [span, setSpan] = useState<Span>('30 days');
  const energy = useEnergy(buildingId, { start: SPAN_START[span], end: 'now', period });
  const list = useAppliances(buildingId);
  const price = settings.tariff.pricePerKwh;
  const table = useMemo(() => {
    if (!energy.data) return undefined;
    const labels = Object.fromEntries(list.data?.appliances.map((a) => [a.name, a.label]) ?? []);
    return buildReport(energy.data, period, price, settings.currency, labels);
  }, [energy.data, list.data, period, price, settings.currency]);
  const empty = !energy.data || energy.data.periods.every((p) => p.coverage === 0);

  return (
    <Panel
      id="reports"
      title="Energy report"
      actions={
        <div className="flex flex-wrap items-center gap-2">
          <Segmented label="Span" value={span} options={SPANS} onChange={setSpan} />
          <Segmented label="Period" value={period} options={PERIODS} onChange={setPeriod} />
          <button
            type="button"
            disabled={!table || empty}
            onClick={() =>
              table &&
              download(
                `energy-${buildingId}-${period}-${SPAN_START[span].slice(1)}.csv`,
                reportCsv(table),
              )
            }
            className="rounded-md border border-slate-300 px-3 py-1 text-sm font-medium hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-emerald-500 disabled:opacity-50 dark:border-slate-700 dark:hover:bg-slate-800"
          >
            Export CSV
          </button>
        </div>
      }
    >
      <p className="mb-2 text-xs text-slate-500 dark:text-slate-400">
        Costs use the flat tariff from Settings ({formatMoney(price, settings.currency)} per kWh)
        {settings.tariff.bands.length > 0 ? '; time-of-use bands are not applied here' : ''}.
        Periods are in the building&apos;s time zone
        {energy.data ? ` (${energy.data.timezone})` : ''}. The export holds exactly this table.
      </p>
      {energy.error ? (
        <ErrorState error={energy.error} onRetry={() => void energy.refetch()} />
      ) : energy.isPending || !table ? (
        <Loading />
      ) : empty ? (
        <Empty>No readings in the last {span}. Try a longer span.</Empty>
      ) : (
        <ReportGrid table={table} />
      )}
    </Panel>
  );
}
