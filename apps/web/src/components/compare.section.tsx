/**
 * The Reports page's Compare: this week so far against the same days and hours of last week, or
 * this month so far against the same days a year before, per appliance (plus Other, Baseload and
 * Total) as a table and a grouped bar chart. A window without data, or with only part of it, is
 * said in words and its change left out, so a gap never reads as a drop in use.
 */
import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
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

type Choice = 'week' | 'month';
const CHOICES: readonly Choice[] = ['week', 'month'];

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
  const { t } = useTranslation();
  return (
    <div {...scrollRegion(t('compareSection.table'))}>
      <table className="w-full text-sm">
        <caption className="sr-only">
          {t('compareSection.caption', { now: names.now, before: names.before })}
        </caption>
        <TableHead
          columns={[
            t('compareSection.appliance'),
            { label: capitalised(names.now), align: 'right' },
            { label: capitalised(names.before), align: 'right' },
            { label: t('compareSection.change'), align: 'right' },
            { label: t('compareSection.changePct'), align: 'right' },
          ]}
        />
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {rows.map((r) => (
            <tr key={r.key} className={r.kind === 'total' ? 'font-semibold' : undefined}>
              <th scope="row" className="px-3 py-2 text-left whitespace-nowrap">
                {r.label}
              </th>
              <td className="px-3 py-2 text-right tabular-nums">
                {r.nowKwh === null ? t('compareSection.noData') : formatKwh(r.nowKwh, units)}
              </td>
              <td className="px-3 py-2 text-right tabular-nums">
                {r.beforeKwh === null ? t('compareSection.noData') : formatKwh(r.beforeKwh, units)}
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
  const { t } = useTranslation();
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
          formatter={(v) =>
            typeof v === 'number' ? formatKwh(v, units) : t('compareSection.noData')
          }
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
        {t('compareSection.chartCaption', { now: names.now, before: names.before })}
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
  const { t } = useTranslation();
  const share = (s: Comparison['now'], who: string) =>
    s.state === 'none'
      ? t('compareSection.noReadingsFor', { who })
      : t('compareSection.shareOf', { percent: formatPercent(s.coverage), who });
  return (
    <p className="mb-2 text-xs text-slate-500 dark:text-slate-400">
      {t(windows.mode === 'week' ? 'compareSection.likeWeek' : 'compareSection.likeMonth', {
        now: windowText(windows.now, timeZone),
        before: windowText(windows.before, timeZone),
        timeZone,
        nowShare: share(comparison.now, names.now),
        beforeShare: share(comparison.before, names.before),
        percent: formatPercent(COMPARABLE_COVERAGE),
      })}
    </p>
  );
}

/** The Compare section: a toggle, the one-line summary, the numbers and the chart. */
export function CompareSection({ buildingId }: { buildingId: string }) {
  const { t } = useTranslation();
  const [mode, setMode] = useState<Choice>('week');
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
      title={t('compareSection.title')}
      actions={
        <Segmented
          label={t('compareSection.title')}
          value={mode}
          options={CHOICES}
          optionLabel={(o) => t(o === 'week' ? 'compareSection.week' : 'compareSection.month')}
          onChange={setMode}
        />
      }
    >
      <div ref={ref} className="w-full">
        {c.error ? (
          <ErrorState error={c.error} onRetry={c.refetch} />
        ) : c.justBegun ? (
          <Empty>
            {t(mode === 'week' ? 'compareSection.weekBegun' : 'compareSection.monthBegun')}
          </Empty>
        ) : !c.comparison || !c.windows || !c.names ? (
          <Loading label={t('compareSection.comparing')} />
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
