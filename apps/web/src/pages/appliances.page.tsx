/**
 * Appliances: energy and cost per appliance per day, week or month, from /energy; costs under a
 * time-of-use tariff are priced hour by hour (state/costs.ts). Below, the devices found in the
 * building's mains and the building's labels (issue 13).
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { FoundDevicesPanel } from '../components/found.devices.js';
import { LabelsPanel } from '../components/labels.panel.js';
import { Segmented } from '../components/range.tabs.js';
import { ResponsiveTable } from '../components/responsive.table.js';
import { Empty, ErrorState, Loading, Panel } from '../components/states.js';
import { isPartial, periodCoverage } from '../lib/coverage.js';
import { currentLocale, i18n } from '../i18n/i18n.setup.js';
import { applianceName, formatKwh, formatMoney, formatPercent } from '../lib/format.js';
import { hasTimeOfUse, type PeriodCost } from '../lib/pricing.js';
import { usePeriodCosts } from '../state/costs.js';
import { useAppliances, useBuilding, useEnergy, useTariff } from '../state/queries.js';
import { useSettings } from '../state/settings.js';

type Period = 'day' | 'week' | 'month';
const PERIODS: readonly Period[] = ['day', 'week', 'month'];
/** How far back each view looks: a week of days, four weeks, three months. */
const LOOKBACK: Record<Period, number> = { day: 7, week: 28, month: 90 };
const PERIOD_KEYS = {
  day: 'reports.day',
  week: 'reports.week',
  month: 'reports.month',
} as const satisfies Record<Period, string>;

/** A period's name from its start, a local midnight in the building's zone. */
function periodLabel(iso: string, period: Period, zone: string): string {
  const d = new Date(iso);
  let timeZone = zone;
  try {
    new Intl.DateTimeFormat(undefined, { timeZone });
  } catch {
    timeZone = 'UTC';
  }
  const locale = currentLocale();
  if (period === 'month')
    return d.toLocaleDateString(locale, { month: 'short', year: 'numeric', timeZone });
  const day = d.toLocaleDateString(locale, { month: 'short', day: 'numeric', timeZone });
  return period === 'week' ? i18n.t('appliances.weekOf', { day }) : day;
}

export default function AppliancesPage() {
  const { t } = useTranslation();
  const { buildingId = '' } = useParams();
  const { settings } = useSettings();
  const [period, setPeriod] = useState<Period>('day');
  const energy = useEnergy(buildingId, { start: `-${LOOKBACK[period]}d`, period });
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
  const role = useBuilding(buildingId).data?.my_role;
  const canEdit = role === 'owner' || role === 'admin';
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
          <span className="text-slate-500 dark:text-slate-400">{t('compareSection.noData')}</span>
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
    {
      key: 'appliance',
      label: t('compareSection.appliance'),
      name: t('compareSection.appliance'),
    },
    ...periods.map((p) => {
      const partial = p.coverage > 0 && isPartial(p.share);
      const name = periodLabel(p.start, period, zone);
      return {
        key: p.start,
        name: partial
          ? t('appliances.partialName', { name, percent: formatPercent(p.share) })
          : name,
        label: (
          <>
            {name}
            {partial && (
              <span className="block text-xs font-normal text-amber-800 dark:text-amber-300">
                {t('appliances.dataFor', { percent: formatPercent(p.share) })}
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
          {applianceName(n)}
        </Link>
      ),
      cells: periods.map((p) => cell(p.appliances[n], p, (c) => c.appliances[n])),
    })),
    {
      key: '~other',
      label: <span className={muted}>{t('appliances.other')}</span>,
      cells: periods.map((p) => cell(p.other_kwh, p, (c) => c.other)),
    },
    {
      key: '~baseload',
      label: <span className={muted}>{t('appliances.baseload')}</span>,
      cells: periods.map((p) => cell(p.baseload_kwh, p, (c) => c.baseload)),
    },
    {
      key: '~total',
      label: t('compare.total'),
      className: 'font-semibold',
      cells: periods.map((p) => cell(p.total_kwh, p, (c) => c.total)),
    },
  ];

  return (
    <div className="space-y-4">
      <Panel
        id="appliances"
        title={t('appliances.title')}
        actions={
          <Segmented
            label={t('reports.periodChoice')}
            value={period}
            options={PERIODS}
            optionLabel={(p) => t(PERIOD_KEYS[p])}
            onChange={setPeriod}
          />
        }
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
          <Empty>{t('appliances.noReadings', { days: LOOKBACK[period] })}</Empty>
        ) : (
          <ResponsiveTable
            label={t('appliances.table')}
            caption={t(
              period === 'day'
                ? 'appliances.captionDay'
                : period === 'week'
                  ? 'appliances.captionWeek'
                  : 'appliances.captionMonth',
            )}
            columns={columns}
            headCellClass="px-3 py-2 font-medium whitespace-nowrap first:sticky first:left-0 first:bg-white first:font-semibold dark:first:bg-slate-900"
            rowHeadClass={`${sticky} font-medium`}
            rows={rows}
            after={
              <p className="mt-2 text-xs text-slate-500 dark:text-slate-400">
                {tariff && hasTimeOfUse(tariff) ? t('reports.costsTou') : t('appliances.costsFlat')}{' '}
                {t('appliances.partialNote')}
              </p>
            }
          />
        )}
      </Panel>
      <FoundDevicesPanel buildingId={buildingId} canEdit={canEdit} />
      <LabelsPanel buildingId={buildingId} canEdit={canEdit} />
    </div>
  );
}
