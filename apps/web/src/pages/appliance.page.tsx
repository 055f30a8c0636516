/** One appliance: power history, on/off timeline, typical run length and energy per run. */
import { i18n } from '../i18n/i18n.setup.js';
import { useTranslation } from 'react-i18next';
import { useMemo } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { StackedPowerChart, useWidth } from '../components/power.chart.js';
import { Segmented } from '../components/range.tabs.js';
import { CoverageNote, Empty, ErrorState, Loading, Panel } from '../components/states.js';
import {
  applianceRows,
  parseRange,
  RANGES,
  rangeQuery,
  readingsCoverage,
  widthBucket,
  type RangeKey,
} from '../lib/chart.data.js';
import {
  applianceName,
  formatDateTime,
  formatKwh,
  formatMoney,
  type Units,
} from '../lib/format.js';
import { costInZone, hasTimeOfUse } from '../lib/pricing.js';
import {
  useApplianceRuns,
  useAppliances,
  useBuildings,
  useReadings,
  useTariff,
} from '../state/queries.js';
import { useSettings } from '../state/settings.js';

function formatDuration(ms: number): string {
  const min = Math.round(ms / 60_000);
  return min < 60
    ? i18n.t('appliancePage.minutes', { m: min })
    : i18n.t('appliancePage.hoursMinutes', { h: Math.floor(min / 60), m: min % 60 });
}

/** One run as the page draws and prices it: epoch ms and kWh. */
interface Run {
  start: number;
  end: number;
  kwh: number;
}

/** A strip with one coloured block per run, positioned in the range's span. */
function Timeline({
  runs,
  count,
  start,
  end,
  units,
}: {
  runs: Run[];
  count: number;
  start: number;
  end: number;
  units: Units;
}) {
  const { t } = useTranslation();
  const span = Math.max(1, end - start);
  return (
    <div
      role="img"
      aria-label={t('appliancePage.timelineLabel', { count })}
      className="relative h-6 w-full overflow-hidden rounded bg-slate-100 dark:bg-slate-800"
    >
      {runs.map((r) => (
        <span
          key={r.start}
          title={`${formatDateTime(r.start, units)} – ${formatDuration(r.end - r.start)}`}
          className="absolute inset-y-0 bg-emerald-500"
          style={{
            left: `${((r.start - start) / span) * 100}%`,
            width: `max(2px, ${((r.end - r.start) / span) * 100}%)`,
          }}
        />
      ))}
    </div>
  );
}

export default function AppliancePage() {
  const { t } = useTranslation();
  const { buildingId = '', name = '' } = useParams();
  const { settings } = useSettings();
  const [search, setSearch] = useSearchParams();
  const range = parseRange(search.get('range'));
  const setRange = (r: RangeKey) => setSearch({ range: r }, { replace: true });
  const { ref, width } = useWidth<HTMLDivElement>();
  const readings = useReadings(buildingId, rangeQuery(range, widthBucket(width || 600)));
  const data = readings.data;
  const list = useAppliances(buildingId);
  const known = list.data ? list.data.appliances.some((a) => a.name === name) : undefined;
  // Stretches without readings break the line and are hatched (lib/chart.data.ts).
  const rows = useMemo(() => (data ? applianceRows(data, name).rows : []), [data, name]);
  const coverage = useMemo(
    () => (data && data.time_ms.length > 0 ? readingsCoverage(data) : undefined),
    [data],
  );
  // Runs come from the server at the model's 1-minute resolution: the chart's buckets are too
  // coarse for a two-minute kettle run.
  const runsQuery = useApplianceRuns(buildingId, name, { start: `-${range}` });
  const runsData = runsQuery.data;
  const runs: Run[] = useMemo(
    () =>
      runsData?.runs.map((r) => ({
        start: Date.parse(r.start),
        end: Date.parse(r.end),
        kwh: r.energy_kwh,
      })) ?? [],
    [runsData],
  );
  const { units } = settings;
  const building = useTariff(buildingId);
  const tariff = building.data?.tariff;
  const currency = building.data?.currency ?? '';
  // Under time-of-use a run costs what its hours cost in the building's zone, so the zone is needed.
  const timeZone = useBuildings().data?.buildings.find((b) => b.id === buildingId)?.timezone;
  const costPerRun = useMemo(() => {
    // Priced over the listed runs (every run, unless the server capped a very busy range).
    if (runs.length === 0 || !tariff || (hasTimeOfUse(tariff) && !timeZone)) return undefined;
    const slices = runs.map((r) => ({
      start: new Date(r.start),
      end: new Date(r.end),
      kwh: r.kwh,
    }));
    return costInZone(slices, tariff, timeZone ?? 'UTC') / runs.length;
  }, [runs, tariff, timeZone]);

  return (
    <div className="space-y-4">
      <p className="text-sm">
        <Link
          to={`/b/${encodeURIComponent(buildingId)}/appliances`}
          className="text-emerald-700 hover:underline dark:text-emerald-400"
        >
          ← {t('layout.appliances')}
        </Link>
      </p>
      <h1 className="text-2xl font-bold">{applianceName(name)}</h1>
      {known === false && <ErrorState error={t('appliancePage.unknown', { name })} />}
      <Panel
        id="history"
        title={t('appliancePage.history')}
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
        <div ref={ref} className="min-h-[240px] w-full">
          {readings.error ? (
            <ErrorState error={readings.error} onRetry={() => void readings.refetch()} />
          ) : !data ? (
            <Loading />
          ) : rows.length === 0 ? (
            <Empty>{t('dashboard.noReadingsRange')}</Empty>
          ) : width > 0 ? (
            <StackedPowerChart rows={rows} series={[name]} width={width} height={240} />
          ) : null}
        </div>
      </Panel>
      <Panel id="timeline" title={t('appliancePage.timeline')}>
        {runsQuery.error ? (
          <ErrorState error={runsQuery.error} onRetry={() => void runsQuery.refetch()} />
        ) : !runsData ? (
          <Loading />
        ) : (
          <>
            <Timeline
              runs={runs}
              count={runsData.count}
              start={Date.parse(runsData.start)}
              end={Date.parse(runsData.end)}
              units={units}
            />
            {runsData.count > 0 ? (
              <dl className="mt-3 grid grid-cols-3 gap-2 text-sm">
                <div>
                  <dt className="text-xs text-slate-500 dark:text-slate-400">
                    {t('appliancePage.runs')}
                  </dt>
                  <dd className="font-semibold tabular-nums">{runsData.count}</dd>
                </div>
                <div>
                  <dt className="text-xs text-slate-500 dark:text-slate-400">
                    {t('appliancePage.typical')}
                  </dt>
                  <dd className="font-semibold tabular-nums">
                    {formatDuration((runsData.typical_minutes ?? 0) * 60_000)}
                  </dd>
                </div>
                <div>
                  <dt className="text-xs text-slate-500 dark:text-slate-400">
                    {t('appliancePage.perRun')}
                  </dt>
                  <dd className="font-semibold tabular-nums">
                    {formatKwh(runsData.mean_energy_kwh ?? 0, units)}
                    {costPerRun !== undefined && ` · ${formatMoney(costPerRun, currency)}`}
                  </dd>
                </div>
              </dl>
            ) : (
              <Empty>{t('appliancePage.notOn')}</Empty>
            )}
            {/* Runs and energy per run count only what was read. */}
            <CoverageNote coverage={coverage} of={t('appliancePage.thisRange')} />
            {runsData.truncated && (
              <p className="mt-2 text-xs text-slate-500 dark:text-slate-400">
                {t('appliancePage.newest', { limit: runsData.limit })}
              </p>
            )}
          </>
        )}
      </Panel>
    </div>
  );
}
