/** The dashboard's panels: live power, today, what's on, where today's energy went (appliances, always-on, other) and grid/solar. */
import type { EnergyResponse } from '@nilm/contracts';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import {
  applianceName,
  formatDateTime,
  formatKwh,
  formatMoney,
  formatPercent,
  formatPower,
  formatTime,
  type Units,
} from '../lib/format.js';
import type { LiveState } from '../state/live.js';
import { useSettings } from '../state/settings.js';
import { EnergySharesList } from './energy.shares.js';
import { CoverageNote, Empty, ErrorState, Loading, Panel } from './states.js';

/** Time of day for today's stamps, date and time otherwise (a replay or a late meter). */
function formatWhen(iso: string, units: Units): string {
  const d = new Date(iso);
  return d.toDateString() === new Date().toDateString()
    ? formatTime(d, units, { seconds: true })
    : formatDateTime(d, units);
}

/** On-probability at or above which an appliance counts as on (the model's usual threshold). */
export const ON_THRESHOLD = 0.5;

export function LivePowerPanel({ live }: { live: LiveState }) {
  const { t } = useTranslation();
  const { units } = useSettings().settings;
  return (
    <Panel id="live-power" title={t('dashboard.livePower')}>
      {live.powerW === undefined ? (
        live.status === 'error' ? (
          <ErrorState error={live.error ?? t('dashboard.streamDown')} />
        ) : (
          <Loading
            label={live.status === 'open' ? t('dashboard.waiting') : t('dashboard.connecting')}
          />
        )
      ) : (
        <div>
          <p
            className="text-4xl font-bold tabular-nums"
            aria-live="polite"
            aria-atomic="true"
            data-testid="live-power"
            data-at={live.powerTime}
          >
            {formatPower(live.powerW, units)}
          </p>
          <p className="mt-1 text-xs text-slate-500 dark:text-slate-400">
            {live.status === 'open' ? (
              <>
                <span
                  className="mr-1 inline-block size-2 rounded-full bg-emerald-500"
                  aria-hidden="true"
                />
                {t('dashboard.live', {
                  time: live.powerTime ? formatWhen(live.powerTime, units) : '',
                })}
              </>
            ) : (
              t('dashboard.reconnecting', { error: live.error ?? '' })
            )}
          </p>
        </div>
      )}
    </Panel>
  );
}

export interface TodayData {
  kwh: number;
  cost: number;
  currency: string;
  /**
   * Share of today so far with readings (lib/coverage.ts `periodCoverage` of today's energy
   * period); below 1 the panel says that energy and cost count only that share.
   */
  coverage?: number;
}

export function TodayPanel({
  data,
  isLoading,
  error,
}: {
  data?: TodayData;
  isLoading: boolean;
  error: unknown;
}) {
  const { t } = useTranslation();
  const { units } = useSettings().settings;
  return (
    <Panel id="today" title={t('dashboard.today')}>
      {error ? (
        <ErrorState error={error} />
      ) : isLoading || !data ? (
        <Loading />
      ) : (
        <>
          <dl className="grid grid-cols-2 gap-2">
            <div>
              <dt className="text-xs text-slate-500 dark:text-slate-400">
                {t('dashboard.energy')}
              </dt>
              <dd className="text-2xl font-semibold tabular-nums">{formatKwh(data.kwh, units)}</dd>
            </div>
            <div>
              <dt className="text-xs text-slate-500 dark:text-slate-400">{t('dashboard.cost')}</dt>
              <dd className="text-2xl font-semibold tabular-nums">
                {formatMoney(data.cost, data.currency)}
              </dd>
            </div>
          </dl>
          <CoverageNote coverage={data.coverage} of={t('dashboard.todaySoFar')} />
        </>
      )}
    </Panel>
  );
}

export interface ApplianceNow {
  name: string;
  powerW: number;
  onProb: number;
  /** The model's decision threshold for this appliance (default 0.5). */
  onThreshold?: number;
}

export function WhatsOnPanel({
  buildingId,
  appliances,
  isLoading,
  error,
}: {
  buildingId: string;
  appliances?: ApplianceNow[];
  isLoading: boolean;
  error: unknown;
}) {
  const { t } = useTranslation();
  const { units } = useSettings().settings;
  return (
    <Panel id="whats-on" title={t('dashboard.whatsOn')}>
      {error ? (
        <ErrorState error={error} />
      ) : isLoading ? (
        <Loading />
      ) : !appliances || appliances.length === 0 ? (
        <Empty>{t('dashboard.noEstimates')}</Empty>
      ) : (
        <ul className="divide-y divide-slate-100 dark:divide-slate-800">
          {[...appliances]
            .sort((a, b) => b.onProb - a.onProb)
            .map((a) => {
              const on = a.onProb >= (a.onThreshold ?? ON_THRESHOLD);
              const name = applianceName(a.name);
              return (
                <li key={a.name} className="flex items-center gap-3 py-2">
                  <span
                    className={`size-2.5 shrink-0 rounded-full ${on ? 'bg-emerald-500' : 'bg-slate-300 dark:bg-slate-600'}`}
                    aria-hidden="true"
                  />
                  <Link
                    to={`/b/${encodeURIComponent(buildingId)}/appliances/${encodeURIComponent(a.name)}`}
                    className="flex-1 truncate font-medium hover:underline focus-visible:outline-2"
                  >
                    {name}
                  </Link>
                  <span className="text-sm tabular-nums text-slate-500 dark:text-slate-400">
                    {on ? formatPower(a.powerW, units) : t('dashboard.off')}
                  </span>
                  <span
                    className="w-24"
                    title={t('dashboard.onProbability', { percent: formatPercent(a.onProb) })}
                  >
                    <span className="sr-only">
                      {on ? t('dashboard.isOn', { name }) : t('dashboard.isOff', { name })}
                    </span>
                    <meter
                      min={0}
                      max={1}
                      value={a.onProb}
                      className="sr-only"
                      aria-hidden="true"
                    />
                    <span
                      aria-hidden="true"
                      className="block h-1.5 overflow-hidden rounded bg-slate-200 dark:bg-slate-700"
                    >
                      <span
                        className={`block h-full ${on ? 'bg-emerald-500' : 'bg-slate-400'}`}
                        style={{ width: `${Math.round(a.onProb * 100)}%` }}
                      />
                    </span>
                    <span className="text-xs tabular-nums">{formatPercent(a.onProb)}</span>
                  </span>
                </li>
              );
            })}
        </ul>
      )}
    </Panel>
  );
}

export function BaseloadPanel({
  energy,
  labels,
  isLoading,
  error,
}: {
  energy?: EnergyResponse;
  /** The building's own names for its appliances (GET /appliances); the vocabulary's otherwise. */
  labels?: Record<string, string>;
  isLoading: boolean;
  error: unknown;
}) {
  const { t } = useTranslation();
  const p = energy?.periods.at(-1);
  const { units } = useSettings().settings;
  return (
    <Panel id="baseload" title={t('dashboard.whereWent')}>
      {error ? (
        <ErrorState error={error} />
      ) : isLoading ? (
        <Loading />
      ) : !p ? (
        <Empty>{t('dashboard.noReadingsToday')}</Empty>
      ) : (
        <div>
          <EnergySharesList period={p} labels={labels} caption={t('dashboard.partsCaption')} />
          {p.pending_kwh > 0 ? (
            <p className="mt-2 text-xs text-slate-600 dark:text-slate-300">
              {t('dashboard.pending', { kwh: formatKwh(p.pending_kwh, units) })}
            </p>
          ) : null}
        </div>
      )}
    </Panel>
  );
}

/**
 * Where today's energy came from and went, for homes whose meter measures it (net metering,
 * solar): bought from the grid, sent back, made on site and used on site. Nothing for others.
 */
export function GridPanel({ energy }: { energy?: EnergyResponse }) {
  const { t } = useTranslation();
  const { units } = useSettings().settings;
  const p = energy?.periods.at(-1);
  const rows = p
    ? (
        [
          [t('dashboard.fromGrid'), p.import_kwh],
          [t('dashboard.toGrid'), p.export_kwh],
          [t('dashboard.solar'), p.production_kwh],
          [t('dashboard.selfUsed'), p.self_consumption_kwh],
        ] as const
      ).filter(([, v]) => v !== null && v !== undefined)
    : [];
  if (rows.length === 0) return null;
  return (
    <Panel id="grid" title={t('dashboard.grid')}>
      <dl className="grid grid-cols-2 gap-2">
        {rows.map(([label, v]) => (
          <div key={label}>
            <dt className="text-xs text-slate-500 dark:text-slate-400">{label}</dt>
            <dd className="text-xl font-semibold tabular-nums">{formatKwh(v as number, units)}</dd>
          </div>
        ))}
      </dl>
    </Panel>
  );
}
