/**
 * Appliances: energy and cost per appliance per day, week or month, from /energy; costs under a
 * time-of-use tariff are priced hour by hour (state/costs.ts).
 */
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { Segmented } from '../components/range.tabs.js';
import { ResponsiveTable } from '../components/responsive.table.js';
import { Empty, ErrorState, Loading, Panel } from '../components/states.js';
import { isPartial, periodCoverage } from '../lib/coverage.js';
import { applianceLabel, formatKwh, formatMoney, formatPercent } from '../lib/format.js';
import { hasTimeOfUse, type PeriodCost } from '../lib/pricing.js';
import { usePeriodCosts } from '../state/costs.js';
import { useAppliances, useEnergy, useTariff } from '../state/queries.js';
import { useSettings } from '../state/settings.js';

type Period = 'day' | 'week' | 'month';
const PERIODS: readonly Period[] = ['day', 'week', 'month'];
/** How far back each view looks: a week of days, four weeks, three months. */
const LOOKBACK: Record<Period, string> = { day: '-7d', week: '-28d', month: '-90d' };

/** A period's name from its start, a local midnight in the building's zone. */
function periodLabel(iso: string, period: Period, zone: string): string {
  const d = new Date(iso);
  let timeZone = zone;
  try {
    new Intl.DateTimeFormat(undefined, { timeZone });
  } catch {
    timeZone = 'UTC';
  }
  if (period === 'month')
    return d.toLocaleDateString(undefined, { month: 'short', year: 'numeric', timeZone });
  const day = d.toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone });
  return period === 'week' ? `wk of ${day}` : day;
}

export default function AppliancesPage() {
  const { buildingId = '' } = useParams();
  const { settings } = useSettings();
  const [period, setPeriod] = useState<Period>('day');
  const energy = useEnergy(buildingId, { start: LOOKBACK[period], period });
  const building = useTariff(buildingId);
  const tariff = building.data?.tariff;
  const priced = usePeriodCosts(buildingId, energy.data, tariff);
  // Most recent first, each period with its cost (the API lists them oldest first).
  // `share`: how much of the period had readings; for the running one, of the time until the
  // server answered (when it measured the coverage).
  const answeredAt = energy.dataUpdatedAt;
  const periods = (energy.data?.periods ?? [])
    .map((p, i) => ({ ...p, cost: priced.costs?.[i], share: periodCoverage(p, answeredAt) }))
    .reverse();
  const list = useAppliances(buildingId);
  const names = [
    ...new Set([
      ...(list.data?.appliances.map((a) => a.name) ?? []),
      ...periods.flatMap((p) => Object.keys(p.appliances)),
    ]),
  ].sort();
  const { units } = settings;
  const currency = building.data?.currency ?? '';
  // A period with no readings at all says so, rather than showing a false 0 kWh.
  const cell = (
    kwh: number | undefined,
    p: { coverage: number; start: string; cost?: PeriodCost },
    cost: (c: PeriodCost) => number | undefined,
  ) => {
    const money = p.cost && cost(p.cost);
    return (
      <>
        {p.coverage === 0 ? (
          <span className="text-slate-500 dark:text-slate-400">no data</span>
        ) : kwh === undefined ? (
          '–'
        ) : (
          formatKwh(kwh, units)
        )}
        {kwh !== undefined && p.coverage > 0 && money !== undefined && (
          <span className="block text-xs text-slate-500 dark:text-slate-400">
            {formatMoney(money, currency)}
          </span>
        )}
      </>
    );
  };
  const zone = energy.data?.timezone ?? 'UTC';
  const sticky = 'sticky left-0 bg-white px-3 py-2 text-left dark:bg-slate-900';
  const columns = [
    { key: 'appliance', label: 'Appliance', name: 'Appliance' },
    ...periods.map((p) => {
      const partial = p.coverage > 0 && isPartial(p.share);
      const name = periodLabel(p.start, period, zone);
      return {
        key: p.start,
        name: partial ? `${name} (data for ${formatPercent(p.share)})` : name,
        label: (
          <>
            {name}
            {partial && (
              <span className="block text-xs font-normal text-amber-800 dark:text-amber-300">
                data for {formatPercent(p.share)}
              </span>
            )}
          </>
        ),
      };
    }),
  ];
  const muted = 'font-normal text-slate-600 dark:text-slate-300';
  const rows = [
    ...names.map((n) => ({
      key: n,
      label: (
        <Link to={encodeURIComponent(n)} className="hover:underline focus-visible:outline-2">
          {applianceLabel(n)}
        </Link>
      ),
      cells: periods.map((p) => cell(p.appliances[n], p, (c) => c.appliances[n])),
    })),
    {
      key: '~other',
      label: <span className={muted}>Other / untracked</span>,
      cells: periods.map((p) => cell(p.other_kwh, p, (c) => c.other)),
    },
    {
      key: '~baseload',
      label: <span className={muted}>Always-on baseload</span>,
      cells: periods.map((p) => cell(p.baseload_kwh, p, (c) => c.baseload)),
    },
    {
      key: '~total',
      label: 'Total',
      className: 'font-semibold',
      cells: periods.map((p) => cell(p.total_kwh, p, (c) => c.total)),
    },
  ];

  return (
    <Panel
      id="appliances"
      title="Energy by appliance"
      actions={<Segmented label="Period" value={period} options={PERIODS} onChange={setPeriod} />}
    >
      {energy.error || priced.error ? (
        <ErrorState
          error={energy.error ?? priced.error}
          onRetry={() => {
            void energy.refetch();
            priced.refetch();
          }}
        />
      ) : energy.isPending || !priced.costs ? (
        <Loading />
      ) : periods.length === 0 || periods.every((p) => p.coverage === 0) ? (
        <Empty>
          No readings in the last {LOOKBACK[period].slice(1)}. Try a longer period (week or month).
        </Empty>
      ) : (
        <ResponsiveTable
          label="Energy by appliance table"
          caption={`Energy and cost per appliance, most recent ${period} first`}
          columns={columns}
          headCellClass="px-3 py-2 font-medium whitespace-nowrap first:sticky first:left-0 first:bg-white first:font-semibold dark:first:bg-slate-900"
          rowHeadClass={`${sticky} font-medium`}
          rows={rows}
          after={
            <p className="mt-2 text-xs text-slate-500 dark:text-slate-400">
              {tariff && hasTimeOfUse(tariff)
                ? "Costs use the building's time-of-use tariff (Settings): each hour is priced at the rate in force then, in the building's local time."
                : "Costs use the building's flat tariff (Settings)."}{' '}
              Where a period says &ldquo;data for&rdquo; a share, readings were missing for the rest
              of it (of the time so far, for the current one), and its energy and cost count only
              the time with readings.
            </p>
          }
        />
      )}
    </Panel>
  );
}
