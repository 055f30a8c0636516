/**
 * The dashboard: what changed most against last week, live power, today, the stacked power chart,
 * what's on, baseload and other.
 */
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useParams, useSearchParams } from 'react-router';
import {
  BaseloadPanel,
  GridPanel,
  LivePowerPanel,
  TodayPanel,
  WhatsOnPanel,
  type ApplianceNow,
} from '../components/dashboard.panels.js';
import { ApplianceEnergyList } from '../components/appliance.energy.js';
import { CompareLine } from '../components/compare.line.js';
import { LabelDialog } from '../components/labels.panel.js';
import { StackedPowerChart, useWidth, type ChartMark } from '../components/power.chart.js';
import { Segmented } from '../components/range.tabs.js';
import { Empty, ErrorState, EstimatingNotice, Loading, Panel } from '../components/states.js';
import {
  parseRange,
  RANGES,
  rangeQuery,
  toStackedRows,
  widthBucket,
  type RangeKey,
} from '../lib/chart.data.js';
import { CheapestHoursPanel } from '../components/cheapest.hours.js';
import { useTariffWithPrices } from '../state/prices.js';
import { periodCoverage } from '../lib/coverage.js';
import { latestEstimates } from '../lib/readings.columns.js';
import { startOfZonedDay, todayCost } from '../lib/today.js';
import { useLive } from '../state/live.js';
import { applianceName } from '../lib/format.js';
import { useLabels } from '../state/learn.queries.js';
import {
  useAppliances,
  useBuilding,
  useBuildings,
  useEnergy,
  useReadings,
  useTariff,
} from '../state/queries.js';

export default function DashboardPage() {
  const { buildingId = '' } = useParams();
  return <Dashboard key={buildingId} buildingId={buildingId} />;
}

function Dashboard({ buildingId }: { buildingId: string }) {
  const { t } = useTranslation();
  const live = useLive(buildingId);
  // The range lives in the URL (?range=7d) so a view can be bookmarked and shared.
  const [search, setSearch] = useSearchParams();
  const range = parseRange(search.get('range'));
  const setRange = (r: RangeKey) => setSearch({ range: r }, { replace: true });
  const { ref, width } = useWidth<HTMLDivElement>();
  const chartWidth = widthBucket(width || 600);
  const readings = useReadings(
    buildingId,
    rangeQuery(range, chartWidth),
    range === '1h' ? 15_000 : 60_000,
  );
  const chart = useMemo(
    () => (readings.data ? toStackedRows(readings.data) : undefined),
    [readings.data],
  );
  // Owners mark spans of the chart ("this was the kettle"); everyone sees the labels shaded.
  const role = useBuilding(buildingId).data?.my_role;
  const canLabel = role === 'owner' || role === 'admin';
  const [span, setSpan] = useState<{ from: number; to: number } | null>(null);
  const labels = useLabels(buildingId, { from: `-${range}` });
  const marks: ChartMark[] = (labels.data?.labels ?? []).map((l) => ({
    key: l.id,
    from: Date.parse(l.start),
    to: Date.parse(l.end),
    kind: l.kind,
    title: t(l.kind === 'on' ? 'learn.labels.wasIt' : 'learn.labels.wasNot', {
      appliance: applianceName(l.appliance),
    }),
  }));

  // "Today" is the building's day, as the API's energy periods count it.
  const timeZone =
    useBuildings().data?.buildings.find((b) => b.id === buildingId)?.timezone ?? 'UTC';
  const dayStart = startOfZonedDay(new Date(), timeZone);
  const energy = useEnergy(buildingId, { start: dayStart, period: 'day' });
  const building = useTariff(buildingId);
  // Dynamic prices stored for today price each minute (lib/pricing.ts's one rule).
  const priced = useTariffWithPrices(buildingId, building.data?.tariff, dayStart);
  const tariff = priced.tariff;
  const varies = (building.data?.tariff.bands.length ?? 0) > 0 || !!building.data?.tariff.dynamic;
  const tou = varies;
  const todayReadings = useReadings(
    buildingId,
    { start: dayStart, resolution: '15m' },
    60_000,
    tou,
  );
  const todayPeriod = energy.data?.periods.at(-1);
  // Priced like the Reports page's Bill: what came from the grid (the mains without an import meter).
  const todayKwh = todayPeriod?.total_kwh ?? (energy.data ? 0 : undefined);
  const importKwh = todayPeriod?.import_kwh ?? todayKwh;
  const cost =
    importKwh === undefined || tariff === undefined
      ? undefined
      : todayCost(importKwh, tariff, todayReadings.data, timeZone, todayPeriod?.export_kwh ?? 0);

  const appliances = useAppliances(buildingId);
  const now: ApplianceNow[] | undefined = useMemo(() => {
    const thresholds = new Map(
      (appliances.data?.appliances ?? []).map((a) => [a.name, a.on_prob_threshold]),
    );
    const latest = live.appliances ?? (readings.data ? latestEstimates(readings.data) : undefined);
    if (!latest) return readings.data ? [] : undefined;
    return Object.entries(latest).map(([name, v]) => ({
      name,
      powerW: v.power_w,
      onProb: v.on_prob,
      onThreshold: thresholds.get(name),
    }));
  }, [live.appliances, readings.data, appliances.data]);

  return (
    <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-4">
      <div className="md:col-span-2 xl:col-span-4">
        <CompareLine buildingId={buildingId} />
      </div>
      <LivePowerPanel live={live} />
      <TodayPanel
        data={
          todayKwh !== undefined && cost !== undefined
            ? {
                kwh: todayKwh,
                cost,
                currency: building.data?.currency ?? '',
                coverage: todayPeriod && periodCoverage(todayPeriod, energy.dataUpdatedAt),
              }
            : undefined
        }
        isLoading={energy.isPending || building.isPending || (tou && todayReadings.isPending)}
        error={energy.error ?? building.error ?? todayReadings.error}
      />
      <div className="md:col-span-2">
        <BaseloadPanel
          energy={energy.data}
          labels={Object.fromEntries(
            (appliances.data?.appliances ?? []).map((a) => [a.name, a.label]),
          )}
          isLoading={energy.isPending}
          error={energy.error}
        />
      </div>
      <GridPanel energy={energy.data} />
      {varies && <CheapestHoursPanel buildingId={buildingId} />}
      <div className="md:col-span-2 xl:col-span-3">
        <Panel
          id="power-chart"
          title={t('dashboard.powerByAppliance')}
          actions={
            <Segmented
              label={t('dashboard.timeRange')}
              value={range}
              options={RANGES}
              optionLabel={(r) => t(`dashboard.range.${r}`)}
              onChange={setRange}
            />
          }
        >
          <EstimatingNotice coverage={readings.data?.estimate_coverage} />
          <div ref={ref} className="min-h-[280px] w-full">
            {readings.error ? (
              <ErrorState error={readings.error} onRetry={() => void readings.refetch()} />
            ) : !chart ? (
              <Loading label={t('dashboard.loadingReadings')} />
            ) : chart.rows.length === 0 ? (
              <Empty>{t('dashboard.noReadingsRange')}</Empty>
            ) : width > 0 ? (
              <StackedPowerChart
                rows={chart.rows}
                series={chart.series}
                width={width}
                marks={marks}
                onSelectSpan={canLabel ? setSpan : undefined}
              />
            ) : null}
          </div>
          {canLabel && chart && chart.rows.length > 0 && (
            <p className="mt-1 text-xs text-slate-500 dark:text-slate-400">
              {t('learn.labels.dragHint')}
            </p>
          )}
          <LabelDialog buildingId={buildingId} span={span} onClose={() => setSpan(null)} />
        </Panel>
      </div>
      <div className="md:col-span-2 xl:col-span-1">
        <WhatsOnPanel
          buildingId={buildingId}
          appliances={now}
          isLoading={now === undefined && readings.isPending}
          error={now === undefined ? readings.error : null}
        />
      </div>
      <div className="md:col-span-2">
        <Panel id="today-by-appliance" title={t('dashboard.todayByAppliance')}>
          {energy.error ? (
            <ErrorState error={energy.error} />
          ) : energy.isPending ? (
            <Loading />
          ) : Object.keys(energy.data.periods.at(-1)?.appliances ?? {}).length === 0 ? (
            <Empty>{t('dashboard.noEstimatesToday')}</Empty>
          ) : (
            <>
              <ApplianceEnergyList
                periods={energy.data.periods.slice(-1)}
                labels={Object.fromEntries(
                  (appliances.data?.appliances ?? []).map((a) => [a.name, a.label]),
                )}
                caption={t('dashboard.energyPerApplianceToday')}
              />
              <p className="mt-2 text-xs text-slate-500 dark:text-slate-400">
                {t('dashboard.likelyNote')}
              </p>
            </>
          )}
        </Panel>
      </div>
    </div>
  );
}
