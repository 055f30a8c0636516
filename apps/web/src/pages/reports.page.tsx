/**
 * Reports: kWh and cost per appliance per day, week or month over a chosen span (flat or
 * time-of-use tariff), as a stacked bar chart and a table, with CSV export of the table, and
 * each appliance's energy over the span with its likely range; then Compare (this week or month
 * so far against the same stretch before, components/compare.section.tsx).
 */
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { ApplianceEnergyList } from '../components/appliance.energy.js';
import { CompareSection } from '../components/compare.section.js';
import { EnergyBarChart } from '../components/energy.chart.js';
import { useWidth } from '../components/power.chart.js';
import { Segmented } from '../components/range.tabs.js';
import { ResponsiveTable } from '../components/responsive.table.js';
import { Empty, ErrorState, EstimatingNotice, Loading, Panel } from '../components/states.js';
import { applianceName, formatMoney, formatNumber } from '../lib/format.js';
import { hasTimeOfUse } from '../lib/pricing.js';
import { barsSummary, reportBars } from '../lib/report.chart.js';
import {
  buildReport,
  fromFirstReading,
  reportCsv,
  reportTable,
  type ReportPeriod,
  type ReportTable,
  type ReportWords,
} from '../lib/report.csv.js';
import { usePeriodCosts } from '../state/costs.js';
import { useAppliances, useEnergy, useTariff } from '../state/queries.js';
import { useSettings } from '../state/settings.js';

const PERIODS: readonly ReportPeriod[] = ['day', 'week', 'month'];
type Span = 7 | 30 | 90;
const SPANS: readonly Span[] = [7, 30, 90];
const PERIOD_KEYS = {
  day: 'reports.day',
  week: 'reports.week',
  month: 'reports.month',
} as const satisfies Record<ReportPeriod, string>;

/** Offers the CSV as a file download (browser only). */
function download(filename: string, csv: string) {
  const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  URL.revokeObjectURL(url);
}

/**
 * The report table. On a desk each group's kWh and cost sit under one heading (two narrow
 * columns), so every column fits a 1280 px screen; on a phone each period is a card.
 */
function ReportGrid({
  table,
  groups,
  noData,
}: {
  table: ReportTable;
  groups: readonly string[];
  noData: string;
}) {
  const { t } = useTranslation();
  const last = table.rows.length - 1;
  const columns = table.header.map((h) => ({ key: h, label: h, name: h }));
  const extras = table.header.slice(1 + groups.length * 2);
  // The unit in a heading like "Kettle (kWh)": the second heading row shows only the unit.
  const unit = (h: string) => /\(([^()]*)\)$/.exec(h)?.[1] ?? h;
  const th = 'px-1.5 py-1 font-medium';
  const head = (
    <thead>
      <tr>
        <th scope="col" rowSpan={2} className={`${th} text-left align-bottom`}>
          {table.header[0]}
        </th>
        {groups.map((g) => (
          <th
            key={g}
            scope="colgroup"
            colSpan={2}
            className={`${th} border-l border-slate-100 text-center dark:border-slate-800`}
          >
            {g}
          </th>
        ))}
        {extras.map((h) => (
          <th
            key={h}
            scope="col"
            rowSpan={2}
            className={`${th} border-l border-slate-100 text-right align-bottom dark:border-slate-800`}
          >
            {h}
          </th>
        ))}
      </tr>
      <tr className="border-b border-slate-200 dark:border-slate-800">
        {table.header.slice(1, 1 + groups.length * 2).map((h, i) => (
          <th
            key={h}
            scope="col"
            className={`${th} text-right font-normal text-slate-600 dark:text-slate-300 ${i % 2 === 0 ? 'border-l border-slate-100 dark:border-slate-800' : ''}`}
          >
            <abbr title={h} className="no-underline">
              {unit(h)}
            </abbr>
          </th>
        ))}
      </tr>
    </thead>
  );
  return (
    <ResponsiveTable
      label={t('reports.table')}
      caption={t('reports.caption')}
      columns={columns}
      head={head}
      tableClass="w-full text-xs"
      rowHeadClass="px-1.5 py-1.5 text-left whitespace-nowrap"
      cellClass="px-1.5 py-1.5 text-right tabular-nums"
      rows={table.rows.map((r, ri) => ({
        key: r[0]!,
        label: r[0],
        cells: r.slice(1),
        className: ri === last ? 'font-semibold' : undefined,
        cellClass: (i) => (r[i + 1] === noData ? 'text-slate-500 dark:text-slate-400' : ''),
      }))}
    />
  );
}

/** The Reports page: the energy report, then Compare. */
export default function ReportsPage() {
  const { buildingId = '' } = useParams();
  return (
    // minmax(0, 1fr): a wide table scrolls inside its own region instead of widening the page.
    <div className="grid grid-cols-[minmax(0,1fr)] gap-4">
      <EnergyReport buildingId={buildingId} />
      <CompareSection buildingId={buildingId} />
    </div>
  );
}

/** The page's table in the language shown: its words, and numbers in its format. */
function useScreenWords(): ReportWords {
  const { t } = useTranslation();
  return useMemo(
    () => ({
      period: t('reports.period'),
      other: t('compare.other'),
      baseload: t('reports.baseload'),
      total: t('compare.total'),
      noData: t('compareSection.noData'),
      standingCharge: t('reports.standingCharge'),
      exportCredit: t('reports.exportCredit'),
      bill: t('reports.bill'),
      coverage: t('reports.coverage'),
      weekOf: (date) => t('reports.weekOf', { date }),
      appliance: applianceName,
      number: formatNumber,
    }),
    [t],
  );
}

function EnergyReport({ buildingId }: { buildingId: string }) {
  const { t } = useTranslation();
  const words = useScreenWords();
  const { settings } = useSettings();
  const [period, setPeriod] = useState<ReportPeriod>('day');
  const [span, setSpan] = useState<Span>(30);
  const { units } = settings;
  const building = useTariff(buildingId);
  const tariff = building.data?.tariff;
  const currency = building.data?.currency ?? '';
  const energy = useEnergy(buildingId, { start: `-${span}d`, end: 'now', period });
  const list = useAppliances(buildingId);
  const priced = usePeriodCosts(buildingId, energy.data, tariff);
  // The page's report in the language shown; the CSV's in its fixed words (lib/report.csv.ts).
  const reportIn = (w?: ReportWords) => {
    if (!energy.data || !priced.costs) return undefined;
    const labels = Object.fromEntries(list.data?.appliances.map((a) => [a.name, a.label]) ?? []);
    // The running period's coverage is of the time until the server answered.
    return fromFirstReading(
      buildReport(energy.data, period, priced.costs, currency, labels, energy.dataUpdatedAt, w),
    );
  };
  const report = useMemo(
    () => reportIn(words),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- reportIn reads exactly these
    [energy.data, energy.dataUpdatedAt, priced.costs, list.data, period, currency, words],
  );
  const table = useMemo(() => report && reportTable(report, units, words), [report, units, words]);
  const bars = useMemo(() => report && reportBars(report), [report]);
  const { ref, width } = useWidth<HTMLDivElement>();
  const empty = !energy.data || energy.data.periods.every((p) => p.coverage === 0);
  const estimated = useMemo(() => estimatedShare(energy.data?.periods), [energy.data]);
  const error = energy.error ?? building.error ?? priced.error;

  return (
    <Panel
      id="reports"
      title={t('reports.title')}
      actions={
        <div className="flex flex-wrap items-center gap-2">
          <Segmented
            label={t('reports.span')}
            value={String(span)}
            options={SPANS.map(String)}
            optionLabel={(d) => t('reports.days', { count: Number(d) })}
            onChange={(d) => setSpan(Number(d) as Span)}
          />
          <Segmented
            label={t('reports.periodChoice')}
            value={period}
            options={PERIODS}
            optionLabel={(p) => t(PERIOD_KEYS[p])}
            onChange={setPeriod}
          />
          <button
            type="button"
            disabled={!report || empty}
            onClick={() =>
              report &&
              download(`energy-${buildingId}-${period}-${span}d.csv`, reportCsv(reportIn()!))
            }
            className="rounded-md border border-slate-300 px-3 py-1 text-sm font-medium hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-emerald-500 disabled:opacity-50 dark:border-slate-700 dark:hover:bg-slate-800"
          >
            {t('reports.export')}
          </button>
        </div>
      }
    >
      <EstimatingNotice coverage={estimated} />
      <p className="mb-2 text-xs text-slate-500 dark:text-slate-400">
        {!tariff
          ? ''
          : hasTimeOfUse(tariff)
            ? t('reports.costsTou')
            : t('reports.costsFlat', { price: formatMoney(tariff.pricePerKwh, currency) })}{' '}
        {energy.data ? t('reports.zoneOf', { zone: energy.data.timezone }) : t('reports.zone')}{' '}
        {t('reports.csvNote')}
      </p>
      {/* Always rendered, so its width is measured before the chart needs it. */}
      <div ref={ref} className="w-full">
        {error ? (
          <ErrorState
            error={error}
            onRetry={() => {
              void energy.refetch();
              priced.refetch();
            }}
          />
        ) : energy.isPending || !table || !bars || !report ? (
          <Loading />
        ) : empty ? (
          <Empty>{t('reports.noReadings', { count: span })}</Empty>
        ) : (
          <>
            {width > 0 && (
              <div className="mb-4">
                <EnergyBarChart
                  bars={bars}
                  summary={barsSummary(report, period, units)}
                  width={width}
                />
              </div>
            )}
            {report.omitted > 0 && (
              <p className="mb-2 text-sm text-slate-600 dark:text-slate-300">
                {t(
                  period === 'day'
                    ? 'reports.omittedDays'
                    : period === 'week'
                      ? 'reports.omittedWeeks'
                      : 'reports.omittedMonths',
                  { first: report.rows[0]?.label, count: report.omitted },
                )}
              </p>
            )}
            <ReportGrid table={table} groups={report.groups} noData={words.noData} />
            <h3 className="mt-4 mb-1 text-sm font-semibold text-slate-600 dark:text-slate-300">
              {t('reports.eachAppliance', { count: span })}
            </h3>
            <ApplianceEnergyList
              periods={energy.data?.periods ?? []}
              labels={Object.fromEntries(list.data?.appliances.map((a) => [a.name, a.label]) ?? [])}
              caption={t('reports.perAppliance', { count: span })}
            />
            <p className="mt-1 text-xs text-slate-500 dark:text-slate-400">
              {t('reports.rangeNote')}
            </p>
          </>
        )}
      </div>
    </Panel>
  );
}

/** Share of the minutes with readings, over every period, that have per-appliance estimates. */
function estimatedShare(
  periods:
    | ReadonlyArray<{
        start: string;
        end: string;
        coverage: number;
        estimate_coverage: number | null;
      }>
    | undefined,
): number | null {
  let withReadings = 0;
  let estimated = 0;
  for (const p of periods ?? []) {
    if (p.estimate_coverage === null) continue;
    const minutes = ((Date.parse(p.end) - Date.parse(p.start)) / 60_000) * p.coverage;
    withReadings += minutes;
    estimated += minutes * p.estimate_coverage;
  }
  return withReadings > 0 ? estimated / withReadings : null;
}
