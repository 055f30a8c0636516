/**
 * The energy report: numbers per period (`ReportData`), the table of display strings the page
 * shows in the person's units, and CSV. The CSV is the same table, row for row and column for
 * column, written in fixed machine units (kWh with three decimals, the unit in each header) so a
 * spreadsheet reads it the same whatever the display settings; with kWh chosen for display it is
 * exactly the table shown.
 */
import { zonedDate, type EnergyResponse } from '@nilm/contracts';
import { periodCoverage } from './coverage.js';
import { applianceLabel, type Units } from './format.js';
import type { PeriodCost } from './pricing.js';

export type ReportPeriod = 'day' | 'week' | 'month';

/** A header row and body rows of display strings; the last body row is the span's total. */
export interface ReportTable {
  header: string[];
  rows: string[][];
}

/** One row of the report: a period (oldest first) or the span's Total. */
export interface ReportRow {
  label: string;
  /** kWh per group (appliances, Other, Baseload, Total); null for a period without readings. */
  kwh: number[] | null;
  /** Cost per group, in the same order; null for a period without readings. */
  cost: number[] | null;
  /** Standing charge, export credit and bill; null for a period without readings. */
  bill?: [number, number, number] | null;
  /**
   * Share of the period with readings, 0..1 (of the time so far for the period still running,
   * lib/coverage.ts); for Total, of all the periods' time together.
   */
  coverage: number;
  /** The period's minutes that count for `coverage` (up to now for the running one). */
  minutes: number;
}

export interface ReportData {
  currency: string;
  /** Appliance names in column order (sorted); the groups start with these. */
  appliances: string[];
  /** Display label of each group: the appliances', then Other, Baseload and Total. */
  groups: string[];
  /** One row per period, then the Total row. */
  rows: ReportRow[];
  /** True when the tariff has a standing charge or export credit: the bill columns are shown. */
  billed?: boolean;
}

/** The heading of the report's last column: the share of each period with readings. */
/**
 * The words and numbers a report is written in. The CSV export always uses CSV_WORDS (English
 * headings, "no data", ISO dates and a decimal point), so a spreadsheet or script reads every
 * export the same whatever language the dashboard shows; the page's table uses the language's
 * words and number format (pages/reports.page.tsx).
 */
export interface ReportWords {
  period: string;
  other: string;
  baseload: string;
  total: string;
  noData: string;
  standingCharge: string;
  exportCredit: string;
  bill: string;
  coverage: string;
  /** A week's row label from its first local day ("2026-01-05"). */
  weekOf: (date: string) => string;
  /** An appliance's column name from its key and the building's label for it. */
  appliance: (name: string, label: string | undefined) => string;
  /** `v` with `digits` decimals. */
  number: (v: number, digits: number) => string;
}

/** The CSV's fixed, machine-readable words and numbers. */
export const CSV_WORDS: ReportWords = {
  period: 'Period',
  other: 'Other',
  baseload: 'Baseload',
  total: 'Total',
  noData: 'no data',
  standingCharge: 'Standing charge',
  exportCredit: 'Export credit',
  bill: 'Bill',
  coverage: 'Data coverage',
  weekOf: (date) => `Week of ${date}`,
  appliance: (name, label) => label ?? applianceLabel(name),
  // Rounded as the table's Intl formatting rounds (toFixed rounds the binary value: 0.705 -> 0.70
  // where the table shows 0.71), with no grouping.
  number: (v, digits) =>
    v.toLocaleString('en-US', {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
      useGrouping: false,
    }),
};

/** The units CSV exports are written in, whatever the display settings. */
export const CSV_UNITS: Pick<Units, 'energy'> = { energy: 'kWh' };

/** How a period is named in the report: "2026-01-02", "Week of 2026-01-05", "2026-01". */
export function reportPeriodLabel(
  iso: string,
  period: ReportPeriod,
  timeZone: string,
  words: ReportWords = CSV_WORDS,
): string {
  const d = zonedDate(Date.parse(iso), timeZone);
  if (period === 'month') return d.slice(0, 7);
  return period === 'week' ? words.weekOf(d) : d;
}

/**
 * The report's numbers: per period (oldest first) kWh and cost for each appliance, then Other,
 * Baseload and Total, and a Total row summing the periods. `costs` holds one entry per period
 * (lib/pricing.ts: flat or time-of-use). A period without readings (coverage 0) has no numbers
 * rather than a false 0, and adds nothing to Total. `labels` maps appliance names to display
 * labels (the model's, else a humanised name). Each row says what share of its period had
 * readings, the running period's share being of the time until `nowMs`.
 */
export function buildReport(
  energy: EnergyResponse,
  period: ReportPeriod,
  costs: readonly PeriodCost[],
  currency: string,
  labels: Record<string, string> = {},
  nowMs: number = Date.now(),
  words: ReportWords = CSV_WORDS,
): ReportData {
  const names = [...new Set(energy.periods.flatMap((p) => Object.keys(p.appliances)))].sort();
  const groups = [
    ...names.map((n) => words.appliance(n, labels[n])),
    words.other,
    words.baseload,
    words.total,
  ];
  const kwhSums = new Array<number>(groups.length).fill(0);
  const costSums = new Array<number>(groups.length).fill(0);
  const billSums: [number, number, number] = [0, 0, 0];
  const billed = costs.some((c) => (c.standing ?? 0) > 0 || (c.exportCredit ?? 0) > 0);
  const rows: ReportRow[] = energy.periods.map((p, i) => {
    const label = reportPeriodLabel(p.start, period, energy.timezone, words);
    const c = costs[i];
    const start = Date.parse(p.start);
    const minutes = Math.max(0, (Math.min(Date.parse(p.end), nowMs) - start) / 60_000);
    const coverage = periodCoverage(p, nowMs);
    if (p.coverage === 0 || !c)
      return { label, kwh: null, cost: null, bill: null, coverage: 0, minutes };
    const kwh = [
      ...names.map((n) => p.appliances[n] ?? 0),
      p.other_kwh,
      p.baseload_kwh,
      p.total_kwh,
    ];
    const cost = [...names.map((n) => c.appliances[n] ?? 0), c.other, c.baseload, c.total];
    kwh.forEach((v, g) => (kwhSums[g] = (kwhSums[g] ?? 0) + v));
    cost.forEach((v, g) => (costSums[g] = (costSums[g] ?? 0) + v));
    const bill: [number, number, number] = [
      c.standing ?? 0,
      c.exportCredit ?? 0,
      c.bill ?? c.total,
    ];
    bill.forEach((v, k) => (billSums[k] += v));
    return { label, kwh, cost, bill, coverage, minutes };
  });
  rows.push({ label: words.total, kwh: kwhSums, cost: costSums, bill: billSums, ...overall(rows) });
  return { currency, appliances: names, groups, rows, ...(billed && { billed }) };
}

/** Coverage over several periods: their shares weighted by their minutes. */
function overall(rows: readonly ReportRow[]): Pick<ReportRow, 'coverage' | 'minutes'> {
  const minutes = rows.reduce((sum, r) => sum + r.minutes, 0);
  const covered = rows.reduce((sum, r) => sum + r.coverage * r.minutes, 0);
  return { coverage: minutes > 0 ? covered / minutes : 0, minutes };
}

/**
 * The report without the periods before the first one with readings (a building that started
 * reporting 5 days ago, shown over 30 days, would otherwise open with 25 rows of "no data").
 * Gaps after the first reading stay, as "no data". `omitted` counts the periods left out; the
 * Total's coverage is then of the periods kept.
 */
export function fromFirstReading(report: ReportData): ReportData & { omitted: number } {
  const periods = report.rows.length - 1; // the last row is Total
  const first = report.rows.findIndex((r, i) => i < periods && r.kwh !== null);
  const omitted = first < 0 ? 0 : first;
  const kept = report.rows.slice(omitted, periods);
  const total = report.rows[periods]!;
  return { ...report, rows: [...kept, { ...total, ...overall(kept) }], omitted };
}

/** Energy cells: kWh with three decimals, or whole Wh. */
function energyCell(kwh: number, units: Pick<Units, 'energy'>, words: ReportWords): string {
  return units.energy === 'Wh' ? words.number(kwh * 1000, 0) : words.number(kwh, 3);
}

/**
 * The report as display strings in the given energy unit (named in each header), money with two
 * decimals, and "no data" for periods without readings; the last column says what share of
 * each period had readings (the API's `coverage`, in percent).
 */
export function reportTable(
  report: ReportData,
  units: Pick<Units, 'energy'>,
  words: ReportWords = CSV_WORDS,
): ReportTable {
  const money = (v: number) => words.number(v, 2);
  const none = words.noData;
  const header = [
    words.period,
    ...report.groups.flatMap((g) => [`${g} (${units.energy})`, `${g} (${report.currency})`]),
  ];
  const rows = report.rows.map((r) =>
    r.kwh && r.cost
      ? [
          r.label,
          ...r.kwh.flatMap((v, g) => [energyCell(v, units, words), money(r.cost?.[g] ?? 0)]),
        ]
      : [r.label, ...report.groups.flatMap(() => [none, none])],
  );
  if (report.billed) {
    // The bill: standing charge per local day, export credit, and what the grid import cost.
    const c = report.currency;
    header.push(
      `${words.standingCharge} (${c})`,
      `${words.exportCredit} (${c})`,
      `${words.bill} (${c})`,
    );
    report.rows.forEach((r, i) =>
      rows[i]!.push(...(r.bill ? r.bill.map(money) : [none, none, none])),
    );
  }
  // Coverage as a percentage with one decimal, so a short gap does not round away: "83.3".
  header.push(`${words.coverage} (%)`);
  report.rows.forEach((r, i) => rows[i]!.push(words.number(r.coverage * 100, 1)));
  return { header, rows };
}

/** One CSV field: quoted (with inner quotes doubled) when it holds a comma, quote or newline. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** A table as RFC 4180 CSV: header first, CRLF line ends, a final CRLF. */
export function tableCsv(table: ReportTable): string {
  return [table.header, ...table.rows].map((r) => r.map(csvField).join(',') + '\r\n').join('');
}

/** The report as CSV: the table shown, in `CSV_UNITS`. */
export function reportCsv(report: ReportData): string {
  return tableCsv(reportTable(report, CSV_UNITS));
}
