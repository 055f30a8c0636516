/** Summary of a loaded series for `nilm data inspect`: span, period, gaps, appliance usage. */
import { applianceSpec, onOffStates } from './appliances.js';
import { gapStats, type Series } from './series.js';
import { energyKwh } from '../metrics/metrics.js';

export interface SeriesSummary {
  source: string;
  start: string;
  end: string;
  period_s: number;
  samples: number;
  missing: number;
  missing_fraction: number;
  gaps: number;
  longest_gap_s: number;
  mains: { mean_w: number | null; max_w: number | null; energy_kwh: number };
  appliances: Record<
    string,
    { on_fraction: number | null; energy_kwh: number; max_w: number | null; on_threshold_w: number }
  >;
}

/** Describe one series. Appliance figures count only samples where mains and the appliance exist. */
export function summarise(s: Series): SeriesSummary {
  const g = gapStats(s);
  const n = s.mains.length;
  let sum = 0;
  let max = -Infinity;
  let valid = 0;
  for (let i = 0; i < n; i++) {
    const v = s.mains[i]!;
    if (!Number.isFinite(v)) continue;
    sum += v;
    valid++;
    if (v > max) max = v;
  }
  const appliances: SeriesSummary['appliances'] = {};
  for (const [name, a] of Object.entries(s.appliances)) {
    const rule = applianceSpec(name);
    const on = onOffStates(a, s.periodS, rule);
    let onCount = 0;
    let count = 0;
    let e = 0;
    let amax = -Infinity;
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(s.mains[i]) || !Number.isFinite(a[i])) continue;
      count++;
      onCount += on[i]!;
      e += a[i]!;
      if (a[i]! > amax) amax = a[i]!;
    }
    appliances[name] = {
      on_fraction: count ? onCount / count : null,
      energy_kwh: energyKwh(e, s.periodS),
      max_w: count ? amax : null,
      on_threshold_w: rule.onPowerW,
    };
  }
  return {
    source: s.source,
    start: new Date(s.startMs).toISOString(),
    end: new Date(s.startMs + (n - 1) * s.periodS * 1000).toISOString(),
    period_s: s.periodS,
    samples: n,
    missing: g.missing,
    missing_fraction: n ? g.missing / n : 0,
    gaps: g.gaps,
    longest_gap_s: g.longestGap * s.periodS,
    mains: {
      mean_w: valid ? sum / valid : null,
      max_w: valid ? max : null,
      energy_kwh: energyKwh(sum, s.periodS),
    },
    appliances,
  };
}
