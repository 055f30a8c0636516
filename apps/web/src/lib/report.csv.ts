/**
 * The energy report as a table of display strings, and that same table as CSV. The page renders
 * `ReportTable` and the Export button serialises it, so the download is exactly what is shown.
 */
import type { EnergyResponse } from '@nilm/contracts';
import { applianceLabel } from './format.js';

export type ReportPeriod = 'day' | 'week' | 'month';

/** A header row and body rows of display strings; the last body row is the span's total. */
export interface ReportTable {
  header: string[];
  rows: string[][];
}

/** 'YYYY-MM-DD' of an instant in an IANA zone (UTC when the zone is unknown). */
function localDate(iso: string, timeZone: string): string {
  const opts = { year: 'numeric', month: '2-digit', day: '2-digit' } as const;
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-CA', { ...opts, timeZone });
  } catch {
    fmt = new Intl.DateTimeFormat('en-CA', { ...opts, timeZone: 'UTC' });
  }
  const parts = Object.fromEntries(fmt.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** How a period is named in the report: "2026-01-02", "Week of 2026-01-05", "2026-01". */
export function reportPeriodLabel(iso: string, period: ReportPeriod, timeZone: string): string {
  const d = localDate(iso, timeZone);
  if (period === 'month') return d.slice(0, 7);
  return period === 'week' ? `Week of ${d}` : d;
}

const kwh = (v: number) => v.toFixed(3);
const money = (v: number) => v.toFixed(2);

/**
 * One row per period (oldest first) and a Total row, with kWh and cost columns for each
 * appliance, then Other, Baseload and Total. Cost is kWh times the flat `pricePerKwh`. A period
 * without readings (coverage 0) reads "no data" rather than a false 0, and adds nothing to Total.
 * `labels` maps appliance names to display labels (the model's, else a humanised name).
 */
export function buildReport(
  energy: EnergyResponse,
  period: ReportPeriod,
  pricePerKwh: number,
  currency: string,
  labels: Record<string, string> = {},
): ReportTable {
  const names = [...new Set(energy.periods.flatMap((p) => Object.keys(p.appliances)))].sort();
  const groups = [
    ...names.map((n) => labels[n] ?? applianceLabel(n)),
    'Other',
    'Baseload',
    'Total',
  ];
  const header = ['Period', ...groups.flatMap((g) => [`${g} (kWh)`, `${g} (${currency})`])];
  const sums = new Array<number>(groups.length).fill(0);
  const rows = energy.periods.map((p) => {
    const label = reportPeriodLabel(p.start, period, energy.timezone);
    if (p.coverage === 0) return [label, ...groups.flatMap(() => ['no data', 'no data'])];
    const values = [
      ...names.map((n) => p.appliances[n] ?? 0),
      p.other_kwh,
      p.baseload_kwh,
      p.total_kwh,
    ];
    values.forEach((v, i) => (sums[i] = (sums[i] ?? 0) + v));
    return [label, ...values.flatMap((v) => [kwh(v), money(v * pricePerKwh)])];
  });
  rows.push(['Total', ...sums.flatMap((v) => [kwh(v), money(v * pricePerKwh)])]);
  return { header, rows };
}

/** One CSV field: quoted (with inner quotes doubled) when it holds a comma, quote or newline. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** The table as RFC 4180 CSV: header first, CRLF line ends, a final CRLF. */
export function reportCsv(table: ReportTable): string {
  return [table.header, ...table.rows].map((r) => r.map(csvField).join(',') + '\r\n').join('');
}
