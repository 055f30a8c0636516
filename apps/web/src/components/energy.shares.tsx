/**
 * A period's energy as parts of one whole (lib/energy.shares.ts): a bar and a list, each
 * appliance, always-on, the rest of Other and what is not estimated yet, percents adding up to
 * 100. Always-on is part of the whole, taken out of Other first, never counted on top of it.
 */
import { useTranslation } from 'react-i18next';
import { energyShares, type PeriodEnergy, type SharePart } from '../lib/energy.shares.js';
import { applianceName, formatKwh, formatPercent } from '../lib/format.js';
import { useSettings } from '../state/settings.js';

const NAMES = {
  baseload: 'shares.baseload',
  other: 'shares.other',
  pending: 'shares.pending',
} as const satisfies Record<Exclude<SharePart['kind'], 'appliance'>, string>;
const FILL: Record<SharePart['kind'], string> = {
  appliance: 'bg-emerald-500',
  baseload: 'bg-sky-500',
  other: 'bg-slate-400',
  pending: 'bg-amber-300',
};

/** The parts of `period` with their kWh and share, and how always-on was counted. */
export function EnergySharesList({
  period,
  labels = {},
  caption,
}: {
  period: PeriodEnergy;
  /** The building's own names for its appliances; the vocabulary's otherwise. */
  labels?: Record<string, string>;
  caption: string;
}) {
  const { t } = useTranslation();
  const { units } = useSettings().settings;
  const s = energyShares(period);
  const name = (p: SharePart): string =>
    p.kind === 'appliance' ? applianceName(p.key, labels[p.key]) : t(NAMES[p.kind]);
  // One string, so it reads (and is found) as one sentence.
  const note = [
    t('shares.whole', { kwh: formatKwh(s.wholeKwh, units) }),
    t('shares.baseloadExplained'),
    s.baseloadInAppliancesKwh > 0
      ? t('shares.baseloadInside', {
          baseload: formatKwh(s.baseloadKwh, units),
          inside: formatKwh(s.baseloadInAppliancesKwh, units),
        })
      : '',
    s.overEstimated ? t('shares.overEstimated') : '',
  ]
    .filter(Boolean)
    .join(' ');
  return (
    <div className="space-y-2 text-sm">
      <div
        aria-hidden="true"
        className="flex h-3 overflow-hidden rounded bg-slate-100 dark:bg-slate-800"
      >
        {s.parts.map((p, i) =>
          p.percent > 0 ? (
            <span
              key={p.key}
              className={`${FILL[p.kind]} ${p.kind === 'appliance' && i % 2 ? 'opacity-70' : ''}`}
              style={{ width: `${p.percent}%` }}
            />
          ) : null,
        )}
      </div>
      <ul aria-label={caption} className="divide-y divide-slate-100 dark:divide-slate-800">
        {s.parts.map((p) => (
          <li key={p.key} className="flex items-baseline justify-between gap-2 py-1">
            <span className="flex items-center gap-2">
              <span aria-hidden="true" className={`inline-block h-2 w-2 rounded ${FILL[p.kind]}`} />
              {name(p)}
            </span>
            <span className="tabular-nums">
              {formatKwh(p.kwh, units)} · {formatPercent(p.percent / 100)}
            </span>
          </li>
        ))}
      </ul>
      <p className="text-xs text-slate-500 dark:text-slate-400">{note}</p>
    </div>
  );
}
