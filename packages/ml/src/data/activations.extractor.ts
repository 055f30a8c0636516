/**
 * Activations: single runs of one appliance (a kettle boil, a wash cycle), cut from a
 * sub-metered series or a single-appliance trace, to be added into the mains of houses that
 * lack that appliance (`synthetic.mixer.ts`). The idea and the run rule follow Kelly &
 * Knottenbelt 2015 ("Neural NILM": activations found with the on-power threshold and the
 * minimum on/off durations, then placed at random to synthesise training windows).
 */
import { runsOf } from '../metrics/events.metrics.js';
import { applianceSpec, onOffStates, type ApplianceSpec } from './appliances.js';
import type { Series } from './series.js';
import type { ApplianceTrace } from './tracebase.reader.js';

/** One run of one appliance: power in W on a regular grid, finite and >= 0. */
export interface Activation {
  /** Canonical appliance name. */
  appliance: string;
  periodS: number;
  power: Float32Array;
  /** Where it was cut from: the file or series, and its first sample's time (epoch ms). */
  source: string;
  startMs: number;
  /** Attribution required by the source's licence (tracebase: ODbL), when there is one. */
  attribution?: string;
}

export interface ExtractOptions {
  /** On/off rule; default: the appliance's (appliances.ts). */
  rule?: Pick<ApplianceSpec, 'onPowerW' | 'minOnS' | 'minOffS'>;
  /**
   * Samples kept on each side of a run (default 1): at 60 s the minutes where an appliance
   * starts and stops are only partly covered and can sit below the threshold; they belong to
   * the run's energy. Padding never reaches into the neighbouring run.
   */
  padSamples?: number;
}

/** What a power channel is and where it came from, for {@link extractActivations}. */
export interface ChannelInfo {
  appliance: string;
  periodS: number;
  startMs: number;
  source: string;
  attribution?: string;
}

/**
 * The runs of `power` as activations. The channel's standby level (the median of its off
 * samples) is subtracted and the result floored at 0, so an activation adds the run's own
 * energy and the label between runs stays 0. A run that touches a missing (NaN) sample is left
 * out: its energy is not known.
 */
export function extractActivations(
  power: ArrayLike<number>,
  info: ChannelInfo,
  opts: ExtractOptions = {},
): Activation[] {
  const rule = opts.rule ?? applianceSpec(info.appliance);
  const pad = opts.padSamples ?? 1;
  const on = onOffStates(power, info.periodS, rule);
  const n = power.length;
  const off: number[] = [];
  for (let i = 0; i < n; i++) if (!on[i] && Number.isFinite(power[i]!)) off.push(power[i]!);
  off.sort((a, b) => a - b);
  const standby = off.length ? off[Math.floor(off.length / 2)]! : 0;

  const runs = runsOf(on);
  const out: Activation[] = [];
  runs.forEach(({ start, end }, r) => {
    const from = Math.max(start - pad, r > 0 ? runs[r - 1]!.end : 0, 0);
    const to = Math.min(end + pad, r + 1 < runs.length ? runs[r + 1]!.start : n, n);
    const values = new Float32Array(to - from);
    for (let i = from; i < to; i++) {
      const v = power[i]!;
      if (!Number.isFinite(v)) return;
      values[i - from] = Math.max(0, v - standby);
    }
    out.push({
      appliance: info.appliance,
      periodS: info.periodS,
      power: values,
      source: info.source,
      startMs: info.startMs + from * info.periodS * 1000,
      ...(info.attribution ? { attribution: info.attribution } : {}),
    });
  });
  return out;
}

/** Activations of one sub-metered appliance of a series (none when it has no such channel). */
export function activationsFromSeries(
  s: Series,
  appliance: string,
  opts: ExtractOptions = {},
): Activation[] {
  const name = applianceSpec(appliance).name;
  const power = s.appliances[name];
  if (!power) return [];
  return extractActivations(
    power,
    { appliance: name, periodS: s.periodS, startMs: s.startMs, source: s.source },
    opts,
  );
}

/** Activations of a single-appliance trace (tracebase), carrying its attribution. */
export function activationsFromTrace(t: ApplianceTrace, opts: ExtractOptions = {}): Activation[] {
  return extractActivations(t.power, t, opts);
}

/** Energy of an activation in kWh. */
export function activationKwh(a: Activation): number {
  let sum = 0;
  for (const v of a.power) sum += v;
  return (sum * a.periodS) / 3_600_000;
}
