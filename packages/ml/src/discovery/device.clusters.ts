/**
 * Found devices (issue 13.1): the runs of `load.events.ts` grouped into unnamed devices, each
 * with its typical power, run length, runs per day, energy per month, periodicity, time-of-day
 * profile and example runs.
 *
 * Clustering is greedy and deterministic, in log power and log run length: the run with the
 * most neighbours (power within `powerTolerance`, run length within a factor `lengthFactor`;
 * ties: the earlier run) seeds a device, which takes its unassigned neighbours once around the
 * seed and once more around their medians; a device needs `minRuns` runs and `minRunsPerDay`
 * runs per day with readings; repeat until no seed has enough. A device using less than
 * `minKWhPerMonth` is left out (a few watts now and then are not worth an owner's attention). So a 2 kW kettle (3 min) and a 2 kW dishwasher heater (20 min) stay apart, and
 * powers never chain from 50 W to 3 kW the way single-linkage clustering lets them.
 *
 * Extrapolation: runs per day and energy per month are over the days with readings (valid
 * samples x period / 86 400 s), energy per month = energy of the device's runs (step power x
 * run length) per such day x 30. Periodic: at least `minPeriodicRuns` runs and 60 % of the
 * intervals between consecutive starts (no gap between them) within 30 % of their median.
 */
import { NilmError } from '../errors.js';
import {
  detectLoadEvents,
  type DiscoveryInput,
  type EventOptions,
  type LoadRun,
} from './load.events.js';

/** Settings of discovery; every field has a default (`DISCOVERY_DEFAULTS`). */
export interface DiscoveryOptions extends EventOptions {
  /** Fewest runs a device needs. */
  minRuns: number;
  /** Fewest runs per day with readings a device needs (over a month: 0.25 -> 8 runs). */
  minRunsPerDay: number;
  /** Least energy a device must use, kWh per month; smaller loads are not worth listing. */
  minKWhPerMonth: number;
  /** Fewest hours with readings the span needs before anything is reported. */
  minHours: number;
  /** Runs of one device differ in step power by at most this share (of the larger). */
  powerTolerance: number;
  /** Runs of one device differ in length by at most this factor. */
  lengthFactor: number;
  /** Fewest runs before a device can be called periodic. */
  minPeriodicRuns: number;
  /** Example runs kept per device. */
  examples: number;
  /** Hour of day (0..23) of an epoch ms, for the time-of-day profile; default UTC. */
  hourOf: (ms: number) => number;
}

export const DISCOVERY_DEFAULTS: Readonly<Omit<DiscoveryOptions, keyof EventOptions>> = {
  minRuns: 3,
  minRunsPerDay: 0.25,
  minKWhPerMonth: 0.5,
  minHours: 12,
  powerTolerance: 0.25,
  lengthFactor: 2.5,
  minPeriodicRuns: 6,
  examples: 3,
  hourOf: (ms) => new Date(ms).getUTCHours(),
};

/** What identifies a device across discovery runs (see `sameDevice`). */
export interface DeviceSignature {
  powerW: number;
  runMinutes: number;
  /** Median minutes between starts when the device is periodic, else null. */
  periodMinutes: number | null;
}

/** One run shown as an example: epoch ms start and end (exclusive), mean power above before. */
export interface ExampleRun {
  startMs: number;
  endMs: number;
  meanW: number;
}

export interface FoundDevice {
  /** "Device A", "Device B", ... in the order of this list. */
  label: string;
  signature: DeviceSignature;
  runs: number;
  runsPerDay: number;
  energyPerMonthKWh: number;
  /** Share of the runs starting in each hour of the day (24 values adding up to 1). */
  hourProfile: number[];
  examples: ExampleRun[];
  /** Every run of the device, epoch ms, in time order (for drawing and for estimating). */
  runTimes: { startMs: number; endMs: number; stepW: number }[];
}

export interface DiscoveryResult {
  devices: FoundDevice[];
  baseloadW: number;
  thresholdW: number;
  /** Days with readings in the span (valid samples x period / 1 day). */
  coveredDays: number;
  /** Runs found before clustering. */
  runsFound: number;
  /** Why nothing could be reported (too few readings), else null. */
  insufficient: string | null;
}

/** Spreadsheet-style letters: 0 -> A, 25 -> Z, 26 -> AA. */
export function deviceLetters(i: number): string {
  let s = '';
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26))
    s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/**
 * Whether two signatures describe the same device (a re-run of discovery updates it instead of
 * adding another): power within 25 % and run length within a factor 2.
 */
export function sameDevice(a: DeviceSignature, b: DeviceSignature): boolean {
  const p = Math.abs(a.powerW - b.powerW) <= 0.25 * Math.max(a.powerW, b.powerW);
  const l = Math.max(a.runMinutes, b.runMinutes) <= 2 * Math.min(a.runMinutes, b.runMinutes);
  return p && l;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function cluster(runs: readonly LoadRun[], o: DiscoveryOptions): number[][] {
  const lp = runs.map((r) => Math.log(r.stepW));
  const ll = runs.map((r) => Math.log(r.end - r.start));
  const dp = -Math.log(1 - o.powerTolerance);
  const dl = Math.log(o.lengthFactor);
  const near = (i: number, p: number, l: number): boolean =>
    Math.abs(lp[i] - p) <= dp && Math.abs(ll[i] - l) <= dl;
  const free = new Set(runs.map((_, i) => i));
  const groups: number[][] = [];
  for (;;) {
    let seed = -1;
    let best = 0;
    for (const i of free) {
      let n = 0;
      for (const j of free) if (near(j, lp[i], ll[i])) n++;
      if (n > best) [seed, best] = [i, n];
    }
    if (seed < 0 || best < o.minRuns) return groups;
    let members = [...free].filter((j) => near(j, lp[seed], ll[seed]));
    const p = median(members.map((j) => lp[j]));
    const l = median(members.map((j) => ll[j]));
    const refined = [...free].filter((j) => near(j, p, l));
    if (refined.length >= o.minRuns) members = refined;
    for (const j of members) free.delete(j);
    groups.push(members.sort((a, b) => a - b));
  }
}

function periodOf(
  runs: readonly LoadRun[],
  residual: Float64Array,
  minRuns: number,
): number | null {
  if (runs.length < minRuns) return null;
  const intervals: number[] = [];
  for (let k = 1; k < runs.length; k++) {
    let gap = false;
    for (let i = runs[k - 1].start; i < runs[k].start && !gap; i++)
      gap = !Number.isFinite(residual[i]);
    if (!gap) intervals.push(runs[k].start - runs[k - 1].start);
  }
  if (intervals.length < minRuns - 1) return null;
  const m = median(intervals);
  const regular = intervals.filter((x) => Math.abs(x - m) <= 0.3 * m).length;
  return regular >= 0.6 * intervals.length ? m : null;
}

const round = (x: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/**
 * Find the repeated loads a model does not explain in a building's mains (see the file's
 * comment for the method). Deterministic; devices ordered by energy per month (most first),
 * then power, then first run, and lettered in that order.
 */
export function discoverDevices(
  input: DiscoveryInput,
  options: Partial<DiscoveryOptions> = {},
): DiscoveryResult {
  const o: DiscoveryOptions = {
    ...DISCOVERY_DEFAULTS,
    minStepW: 30,
    pairTolerance: 0.3,
    maxRunMinutes: 360,
    ...options,
  };
  if (!Number.isInteger(o.minRuns) || o.minRuns < 2) {
    throw new NilmError(
      'CONFIG_INVALID',
      `minRuns must be an integer of 2 or more (got ${o.minRuns})`,
    );
  }
  const events = detectLoadEvents(input, o);
  const minute = input.periodS / 60;
  const coveredDays = (events.validSamples * input.periodS) / 86_400;
  const base = {
    baseloadW: round(events.baseloadW, 1),
    thresholdW: round(events.thresholdW, 1),
    coveredDays: round(coveredDays, 3),
    runsFound: events.runs.length,
  };
  if (coveredDays * 24 < o.minHours) {
    return {
      ...base,
      devices: [],
      insufficient: `discovery needs at least ${o.minHours} hours of readings in the span; it has ${round(coveredDays * 24, 1)}`,
    };
  }
  const at = (i: number): number => input.startMs + i * input.periodS * 1000;
  const minRuns = Math.max(o.minRuns, Math.ceil(o.minRunsPerDay * coveredDays));
  const devices = cluster(events.runs, { ...o, minRuns }).map((idx) => {
    const runs = idx.map((i) => events.runs[i]);
    const powerW = median(runs.map((r) => r.stepW));
    const lengths = runs.map((r) => (r.end - r.start) * minute);
    const runMinutes = median(lengths);
    const kWh = runs.reduce((s, r, k) => s + (r.stepW * lengths[k]) / 60_000, 0);
    const period = periodOf(runs, events.residual, o.minPeriodicRuns);
    const hours = new Array<number>(24).fill(0);
    for (const r of runs) hours[o.hourOf(at(r.start))] += 1 / runs.length;
    // Examples: the runs nearest the typical one (log power and length), shown in time order.
    const typical = (k: number): number =>
      Math.abs(Math.log(runs[k].stepW / powerW)) + Math.abs(Math.log(lengths[k] / runMinutes));
    const examples = runs
      .map((_, k) => k)
      .sort((a, b) => typical(a) - typical(b) || a - b)
      .slice(0, o.examples)
      .sort((a, b) => a - b)
      .map((k) => ({
        startMs: at(runs[k].start),
        endMs: at(runs[k].end),
        meanW: round(runs[k].meanW, 1),
      }));
    return {
      label: '',
      signature: {
        powerW: round(powerW, 1),
        runMinutes: round(runMinutes, 1),
        periodMinutes: period === null ? null : round(period * minute, 1),
      },
      runs: runs.length,
      runsPerDay: round(runs.length / coveredDays, 2),
      energyPerMonthKWh: round((kWh / coveredDays) * 30, 2),
      hourProfile: hours.map((h) => round(h, 4)),
      examples,
      runTimes: runs.map((r) => ({
        startMs: at(r.start),
        endMs: at(r.end),
        stepW: round(r.stepW, 1),
      })),
    };
  });
  const kept = devices.filter((d) => d.energyPerMonthKWh >= o.minKWhPerMonth);
  kept.sort(
    (a, b) =>
      b.energyPerMonthKWh - a.energyPerMonthKWh ||
      a.signature.powerW - b.signature.powerW ||
      a.runTimes[0].startMs - b.runTimes[0].startMs,
  );
  kept.forEach((d, i) => (d.label = `Device ${deviceLetters(i)}`));
  return { ...base, devices: kept, insufficient: null };
}
