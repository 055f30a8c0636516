/**
 * The Reports page's stacked bar chart: kWh per appliance and Other for each period. It is a
 * picture of the table beside it, which stays the accessible data; the caption sums it up in
 * words. Imported only by lazily loaded pages, so recharts stays out of the first load.
 */
import { Fragment, useId } from 'react';
import { useTranslation } from 'react-i18next';
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from 'recharts';
import type { TooltipContentProps } from 'recharts';
import { formatKwh, formatKwhTick, type Units } from '../lib/format.js';
import { periodTick, type BarRow, type ReportBars } from '../lib/report.chart.js';
import { useSettings } from '../state/settings.js';

function BarTooltip({
  active,
  payload,
  bars,
  units,
}: Pick<TooltipContentProps, 'active' | 'payload'> & { bars: ReportBars; units: Units }) {
  const { t } = useTranslation();
  const row = payload[0]?.payload as BarRow | undefined;
  if (!active || !row) return null;
  const values = bars.series.map((s) => ({ s, kwh: row[s.key] }));
  const total = values.reduce((sum, v) => sum + (v.kwh ?? 0), 0);
  return (
    <div className="rounded-md border border-slate-200 bg-white px-3 py-2 text-xs shadow-md dark:border-slate-700 dark:bg-slate-900">
      <p className="mb-1 font-semibold">{row.period}</p>
      {values.every((v) => v.kwh === null) ? (
        <p>{t('compareSection.noData')}</p>
      ) : (
        // A list, not a table: the page's one table is the report itself.
        <dl className="grid grid-cols-[auto_auto] gap-x-3">
          {/* Top of the stack first, as the bars read. */}
          {[...values].reverse().map(({ s, kwh }) => (
            <Fragment key={s.key}>
              <dt>
                <span
                  className="mr-1.5 inline-block size-2 rounded-sm"
                  style={{ backgroundColor: s.color }}
                  aria-hidden="true"
                />
                {s.label}
              </dt>
              <dd className="text-right tabular-nums">{formatKwh(kwh, units)}</dd>
            </Fragment>
          ))}
          <dt className="font-semibold">{t('compare.total')}</dt>
          <dd className="text-right font-semibold tabular-nums">{formatKwh(total, units)}</dd>
        </dl>
      )}
    </div>
  );
}

/** Stacked bars of kWh per appliance and Other per period, with the summary as caption. */
export function EnergyBarChart({
  bars,
  summary,
  width,
  height = 260,
}: {
  bars: ReportBars;
  /** What the chart shows, in words (lib/report.chart.ts `barsSummary`). */
  summary: string;
  width: number;
  height?: number;
}) {
  const { units } = useSettings().settings;
  const captionId = useId();
  return (
    <figure aria-labelledby={captionId} className="text-slate-600 dark:text-slate-300">
      <BarChart
        width={width}
        height={height}
        data={bars.rows}
        margin={{ top: 8, right: 8, bottom: 0, left: 0 }}
      >
        <CartesianGrid
          vertical={false}
          strokeDasharray="3 3"
          className="stroke-slate-200 dark:stroke-slate-800"
        />
        <XAxis
          dataKey="period"
          tickFormatter={periodTick}
          tick={{ fill: 'currentColor' }}
          minTickGap={16}
          fontSize={12}
        />
        <YAxis
          tickFormatter={(v: number) => formatKwhTick(v, units)}
          tick={{ fill: 'currentColor' }}
          width={72}
          fontSize={12}
        />
        <Tooltip
          content={(props) => <BarTooltip {...props} bars={bars} units={units} />}
          cursor={{ fill: 'currentColor', fillOpacity: 0.08 }}
        />
        {/* Legend in stacking order (appliances, then Other), not alphabetical. */}
        <Legend wrapperStyle={{ fontSize: 12 }} itemSorter={null} />
        {bars.series.map((s) => (
          <Bar
            key={s.key}
            dataKey={s.key}
            name={s.label}
            stackId="kwh"
            fill={s.color}
            isAnimationActive={false}
          />
        ))}
      </BarChart>
      <figcaption id={captionId} className="mt-1 text-xs text-slate-500 dark:text-slate-400">
        {summary}
      </figcaption>
    </figure>
  );
}
