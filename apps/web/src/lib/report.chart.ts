/**
 * Shapes the energy report into rows for its stacked bar chart (kWh per appliance and Other for
 * each period) and words a summary of it for the figure's caption. Pure: no React, no recharts.
 */
import { currentLocale, i18n } from '../i18n/i18n.setup.js';
import { seriesColor } from './colors.js';
import { formatKwh, type Units } from './format.js';
import { OTHER } from './chart.data.js';
import type { ReportData, ReportPeriod } from './report.csv.js';

/** One bar series. Keys are positional (`s0`, `s1`, ...) so no appliance name can clash with
 * `period` or be read by recharts as a property path ("tv.lounge"). */
export interface BarSeries {
  key: `s${number}`;
  /** The appliance name, or `other`; picks the colour. */
  name: string;
  label: string;
  color: string;
}

/** One bar: the period's label, then kWh per series key; null for a period without readings. */
export type BarRow = { period: string } & { [key: `s${number}`]: number | null };

export interface ReportBars {
  /** Appliances in the report's column order, then Other, so the stack matches the table. */
  series: BarSeries[];
  /** Periods oldest first; the report's Total row is left out. */
  rows: BarRow[];
}

/**
 * The report's periods as stacked bars. Appliances plus Other make up each period's Total;
 * baseload is left out because it overlaps them (it is the always-on part of both). Colours are
 * the app's series colours by position among the appliances, as on the power chart.
 */
export function reportBars(report: ReportData): ReportBars {
  const n = report.appliances.length;
  const series: BarSeries[] = [
    ...report.appliances.map((name, i) => ({
      key: `s${i}` as const,
      name,
      label: report.groups[i] ?? name,
      color: seriesColor(name),
    })),
    { key: `s${n}`, name: OTHER, label: report.groups[n] ?? OTHER, color: seriesColor(OTHER) },
  ];
  const rows = report.rows.slice(0, -1).map((r) => {
    const row: BarRow = { period: r.label };
    series.forEach((s, i) => (row[s.key] = r.kwh ? (r.kwh[i] ?? 0) : null));
    return row;
  });
  return { series, rows };
}

/**
 * A period label ("2026-01-05", "Week of 2026-01-05", "2026-01": local dates in the building's
 * zone) short enough for an axis tick: "Jan 5", "Jan 26".
 */
export function periodTick(label: string): string {
  const m = /(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(label);
  if (!m) return label;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3] ?? 1)));
  return date.toLocaleDateString(
    currentLocale(),
    m[3]
      ? { month: 'short', day: 'numeric', timeZone: 'UTC' }
      : { month: 'short', year: '2-digit', timeZone: 'UTC' },
  );
}

const PERIOD_KEYS = {
  day: 'reports.summaryDays',
  week: 'reports.summaryWeeks',
  month: 'reports.summaryMonths',
} as const satisfies Record<ReportPeriod, string>;

/**
 * A sentence or two for people who cannot see the chart: what it shows, the span's total and
 * the biggest user. The table beside it holds every value.
 */
export function barsSummary(
  report: ReportData,
  period: ReportPeriod,
  units: Pick<Units, 'energy'>,
): string {
  const periods = report.rows.length - 1;
  const withData = report.rows.slice(0, -1).filter((r) => r.kwh).length;
  const total = report.rows.at(-1)?.kwh ?? [];
  const n = report.appliances.length;
  const head = i18n.t(PERIOD_KEYS[period], { count: periods });
  if (withData === 0) return i18n.t('reports.summaryNone', { head });
  const spanTotal = total[n + 2] ?? 0;
  let top = -1;
  for (let i = 0; i < n; i++) if ((total[i] ?? 0) > (total[top] ?? 0)) top = i;
  const biggest =
    top >= 0
      ? i18n.t('reports.summaryBiggest', {
          name: report.groups[top],
          kwh: formatKwh(total[top], units),
          other: formatKwh(total[n], units),
        })
      : '';
  return i18n.t('reports.summary', {
    head,
    withData,
    total: formatKwh(spanTotal, units),
    biggest,
  });
}
