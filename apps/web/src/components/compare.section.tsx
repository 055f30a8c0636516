/**
 * The Reports page's Compare: this week so far against the same days and hours of last week, or
 * this month so far against the same days a year before, per appliance (plus Other, Baseload and
 * Total) as a table and a grouped bar chart. A window without data, or with only part of it, is
 * said in words and its change left out, so a gap never reads as a drop in use.
 */
import { useEffect, useId, useState } from 'react';
import { useLocation } from 'react-router';
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from 'recharts';
import {
  changeSentence,
  COMPARABLE_COVERAGE,
  pctText,
  windowText,
  type CompareRow,
  type CompareWindows,
  type Comparison,
  type WindowNames,
} from '../lib/compare.js';
import { formatKwh, formatKwhTick, formatPercent, type Units } from '../lib/format.js';
import { useComparison } from '../state/compare.js';
import { useSettings } from '../state/settings.js';
import { useWidth } from './power.chart.js';
import { Segmented } from './range.tabs.js';
import { Empty, ErrorState, Loading, Panel } from './states.js';
import { scrollRegion, TableHead } from './table.head.js';

type Choice = 'week vs last week' | 'month vs last year';
const CHOICES: readonly Choice[] = ['week vs last week', 'month vs last year'];

const NOW_COLOR = '#059669';
const BEFORE_COLOR = '#64748b';

function capitalised(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** "+1.20 kWh", "−0.350 kWh"; a dash where there is no fair change. */
function signedKwh(kwh: number | null, units: Units): string {
  if (kwh === null) return '–';
  const sign = kwh > 0 ? '+' : kwh < 0 ? '−' : '±';
  return `${sign}${formatKwh(Math.abs(kwh), units)}`;
}

function CompareTable({
  rows,
  names,
  units,
}: {
  rows: CompareRow[];
  names: WindowNames;
  units: Units;
}) {
  return (
    <div {...scrollRegion('Comparison table')}>
      <table className="w-full text-sm">
        <caption className="sr-only">
          Energy per appliance, {names.now} against {names.before}
        </caption>
        <TableHead
          columns={[
            'Appliance',
            { label: capitalised(names.now), align: 'right' },
            { label: capitalised(names.before), align: 'right' },
            { label: 'Change', align: 'right' },
            { label: 'Change %', align: 'right' },
          ]}
        />
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {rows.map((r) => (
            <tr key={r.key} className={r.kind === 'total' ? 'font-semibold' : undefined}>
              <th scope="row" className="px-3 py-2 text-left whitespace-nowrap">
                {r.label}
              </th>
              <td className="px-3 py-2 text-right tabular-nums">
                {r.nowKwh === null ? 'no data' : formatKwh(r.nowKwh, units)}
              </td>
              <td className="px-3 py-2 text-right tabular-nums">
                {r.beforeKwh === null ? 'no data' : formatKwh(r.beforeKwh, units)}
              </td>
              <td className="px-3 py-2 text-right tabular-nums">{signedKwh(r.changeKwh, units)}</td>
              <td className="px-3 py-2 text-right tabular-nums">
                {r.changeKwh === null ? '–' : pctText(r.changePct)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Grouped bars, now beside before, per appliance, Other and Baseload (Total is in the table). */
function CompareChart({
  rows,
  names,
  width,
  units,
}: {
  rows: CompareRow[];
  names: WindowNames;
  width: number;
  units: Units;
}) {
  const captionId = useId();
  const data = rows
    .filter((r) => r.kind !== 'total')
    .map((r) => ({ label: r.label, now: r.nowKwh, before: r.beforeKwh }));
  return (
    <figure aria-labelledby={captionId} className="text-slate-600 dark:text-slate-300">
      <BarChart
        width={width}
        height={data.length * 44 + 60}
        data={data}
        layout="vertical"
        margin={{ top: 8, right: 8, bottom: 0, left: 0 }}
      >
        <CartesianGrid
          horizontal={false}
          strokeDasharray="3 3"
          className="stroke-slate-200 dark:stroke-slate-800"
        />
        <XAxis
          type="number"
          tickFormatter={(v: number) => formatKwhTick(v, units)}
          tick={{ fill: 'currentColor' }}
          fontSize={12}
        />
        <YAxis
          type="category"
          dataKey="label"
          tick={{ fill: 'currentColor' }}
          width={150}
          fontSize={12}
        />
        <Tooltip
          formatter={(v) => (typeof v === 'number' ? formatKwh(v, units) : 'no data')}
          cursor={{ fill: 'currentColor', fillOpacity: 0.08 }}
          // The tooltip's box is white in both themes; series colours as text fail contrast there.
          contentStyle={{ fontSize: 12, backgroundColor: '#fff', color: '#0f172a' }}
          labelStyle={{ color: '#334155' }}
          itemStyle={{ color: '#0f172a' }}
        />
        <Legend wrapperStyle={{ fontSize: 12 }} itemSorter={null} />
        <Bar
          dataKey="now"
          name={capitalised(names.now)}
          fill={NOW_COLOR}
          isAnimationActive={false}
        />
        <Bar
          dataKey="before"
          name={capitalised(names.before)}
          fill={BEFORE_COLOR}
          isAnimationActive={false}
        />
      </BarChart>
      <figcaption id={captionId} className="mt-1 text-xs text-slate-500 dark:text-slate-400">
        kWh per appliance, Other and Baseload: {names.now} (green) beside {names.before} (grey). The
        totals are in the table.
      </figcaption>
    </figure>
  );
}

/** What the two windows are, and how much of each had readings, in words. */
function WindowsNote({
  windows,
  names,
  comparison,
  timeZone,
}: {
  windows: CompareWindows;
  names: WindowNames;
  comparison: Comparison;
  timeZone: string;
}) {
  const same = windows.mode === 'week' ? 'of last week' : 'a year before';
  const share = (s: Comparison['now'], who: string) =>
    s.state === 'none' ? `no readings for ${who}` : `${formatPercent(s.coverage)} of ${who}`;
  return (
    <p className="mb-2 text-xs text-slate-500 dark:text-slate-400">
      Like for like: {windowText(windows.now, timeZone)} against the same days and hours {same},{' '}
      {windowText(windows.before, timeZone)} (the building&apos;s time zone, {timeZone}; the last
      two minutes wait for their readings). Readings cover {share(comparison.now, names.now)} and{' '}
      {share(comparison.before, names.before)}. A change is given only where both have readings for{' '}
      {formatPercent(COMPARABLE_COVERAGE)} or more of the time, and for appliances and Other only
      where both have per-appliance estimates for as much.
    </p>
  );
}

/** The Compare section: a toggle, the one-line summary, the numbers and the chart. */
export function CompareSection({ buildingId }: { buildingId: string }) {
  const [choice, setChoice] = useState<Choice>('week vs last week');
  const mode = choice === 'week vs last week' ? 'week' : 'month';
  const c = useComparison(buildingId, mode);
  const { units } = useSettings().settings;
  const { ref, width } = useWidth<HTMLDivElement>();
  // The dashboard's line links here (#compare): bring the section into view on arrival.
  const { hash } = useLocation();
  useEffect(() => {
    if (hash === '#compare') document.getElementById('compare')?.scrollIntoView?.();
  }, [hash]);
  return (
    <Panel
      id="compare"
      title="Compare"
      actions={<Segmented label="Compare" value={choice} options={CHOICES} onChange={setChoice} />}
    >
      <div ref={ref} className="w-full">
        {c.error ? (
          <ErrorState error={c.error} onRetry={c.refetch} />
        ) : c.justBegun ? (
          <Empty>The {mode} has only just begun: there is nothing to compare yet.</Empty>
        ) : !c.comparison || !c.windows || !c.names ? (
          <Loading label="Comparing…" />
        ) : (
          <>
            <p role="status" className="mb-2 text-sm font-medium">
              {changeSentence(c.comparison, c.names)}
            </p>
            <WindowsNote
              windows={c.windows}
              names={c.names}
              comparison={c.comparison}
              timeZone={c.timeZone}
            />
            {width > 0 && (
              <div className="mb-4">
                <CompareChart
                  rows={c.comparison.rows}
                  names={c.names}
                  width={width}
                  units={units}
                />
              </div>
            )}
            <CompareTable rows={c.comparison.rows} names={c.names} units={units} />
          </>
        )}
      </div>
    </Panel>
  );
}
