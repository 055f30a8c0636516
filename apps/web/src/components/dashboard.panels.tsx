/** The dashboard's panels: live power, today, what's on, where today's energy went (appliances, always-on, other) and grid/solar. */
import type { EnergyResponse } from '@nilm/contracts';
import { Link } from 'react-router';
import {
  applianceLabel,
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
  const { units } = useSettings().settings;
  return (
    <Panel id="live-power" title="Live power">
      {live.powerW === undefined ? (
        live.status === 'error' ? (
          <ErrorState error={live.error ?? 'The live stream is down; reconnecting…'} />
        ) : (
          <Loading
            label={live.status === 'open' ? 'Waiting for the next reading…' : 'Connecting…'}
          />
        )
      ) : (
        <div>
          <p
            className="text-4xl font-bold tabular-nums"
            aria-live="polite"
            aria-atomic="true"
            data-testid="live-power"
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
                Live · {live.powerTime ? formatWhen(live.powerTime, units) : ''}
              </>
            ) : (
              `Reconnecting… ${live.error ?? ''}`
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
  const { units } = useSettings().settings;
  return (
    <Panel id="today" title="Today">
      {error ? (
        <ErrorState error={error} />
      ) : isLoading || !data ? (
        <Loading />
      ) : (
        <>
          <dl className="grid grid-cols-2 gap-2">
            <div>
              <dt className="text-xs text-slate-500 dark:text-slate-400">Energy</dt>
              <dd className="text-2xl font-semibold tabular-nums">{formatKwh(data.kwh, units)}</dd>
            </div>
            <div>
              <dt className="text-xs text-slate-500 dark:text-slate-400">Cost</dt>
              <dd className="text-2xl font-semibold tabular-nums">
                {formatMoney(data.cost, data.currency)}
              </dd>
            </div>
          </dl>
          <CoverageNote coverage={data.coverage} of="today so far" />
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
  const { units } = useSettings().settings;
  return (
    <Panel id="whats-on" title="What's on now">
      {error ? (
        <ErrorState error={error} />
      ) : isLoading ? (
        <Loading />
      ) : !appliances || appliances.length === 0 ? (
        <Empty>
          No appliance estimates yet. They appear once the model has a window of readings.
        </Empty>
      ) : (
        <ul className="divide-y divide-slate-100 dark:divide-slate-800">
          {[...appliances]
            .sort((a, b) => b.onProb - a.onProb)
            .map((a) => {
              const on = a.onProb >= (a.onThreshold ?? ON_THRESHOLD);
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
                    {applianceLabel(a.name)}
                  </Link>
                  <span className="text-sm tabular-nums text-slate-500 dark:text-slate-400">
                    {on ? formatPower(a.powerW, units) : 'off'}
                  </span>
                  <span className="w-24" title={`on-probability ${formatPercent(a.onProb)}`}>
                    <span className="sr-only">{`${applianceLabel(a.name)} is ${on ? 'on' : 'off'}, on-probability `}</span>
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
                        style={{ width: formatPercent(a.onProb) }}
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
  const p = energy?.periods.at(-1);
  const { units } = useSettings().settings;
  return (
    <Panel id="baseload" title="Where today’s energy went">
      {error ? (
        <ErrorState error={error} />
      ) : isLoading ? (
        <Loading />
      ) : !p ? (
        <Empty>No readings today yet.</Empty>
      ) : (
        <div>
          <EnergySharesList period={p} labels={labels} caption="Today's energy by part" />
          {p.pending_kwh > 0 ? (
            <p className="mt-2 text-xs text-slate-600 dark:text-slate-300">
              {formatKwh(p.pending_kwh, units)} of today is not estimated yet: the worker has not
              reached it.
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
  const { units } = useSettings().settings;
  const p = energy?.periods.at(-1);
  const rows = p
    ? (
        [
          ['From the grid', p.import_kwh],
          ['To the grid (export)', p.export_kwh],
          ['Made on site (solar)', p.production_kwh],
          ['Made and used on site', p.self_consumption_kwh],
        ] as const
      ).filter(([, v]) => v !== null && v !== undefined)
    : [];
  if (rows.length === 0) return null;
  return (
    <Panel id="grid" title="Grid and solar (today)">
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
