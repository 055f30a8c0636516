/**
 * Appliance-aware post-processing of a method's per-minute estimates into believable runs, one
 * pure function used by `nilm eval` and by inference (`TransformerModel.disaggregate`, which
 * the server's worker calls), so both see the same runs:
 *
 * 1. kettle and microwave are not on at the same minute unless the mains step there fits both:
 *    where both are on and the mains above its local baseload (minimum over +-30 min) is less
 *    than 80 % of their summed estimates, only the one more confidently on (on_prob over its
 *    threshold) stays on;
 * 2. cycle model (washing machine, washer-dryer, dishwasher, tumble dryer): fragments separated
 *    by less than the appliance's longest pause inside a cycle are one run, and a run shorter
 *    than a real cycle is dropped; the pauses inside a cycle are turned on where the appliance
 *    draws power in them (washing machine), else left off (dishwasher; `runs-v1` turned all on);
 * 3. every appliance: off-gaps shorter than its minimum off time are bridged and runs shorter
 *    than its minimum on time dropped (the rule that defines its true on/off states,
 *    docs/data.md), so predicted and true runs are cut the same way.
 *
 * 4. `runs-v3` only: a tumble dryer (or washer-dryer) is on where the mains shows a dryer's run
 *    by its cool-down (`dryer.signature.ts`), with the mains above the run's base as its power,
 *    besides where its head says so.
 *
 * The decision is written into what every consumer already reads: a minute turned off gets
 * power 0 and on_prob just below the threshold (if it was above), a minute turned on (a
 * bridged gap) gets on_prob at the threshold (if it was below); other minutes are unchanged.
 */
import { applianceSpec, findAppliance, onOffStates } from '../data/appliances.js';
import type { ApplianceEstimate } from './disaggregator.js';
import { dryerPower, findDryerRuns, type DryerRun } from './dryer.signature.js';

/** Run rules of one appliance, seconds. */
export interface RunRule {
  minOnS: number;
  minOffS: number;
  /** Cycle model: gaps shorter than this inside a cycle are merged (0: none). */
  mergeGapS?: number;
  /** Cycle model: merged runs shorter than this are not a cycle and are dropped. */
  minCycleS?: number;
  /**
   * Cycle model: the pauses inside a cycle are on (the appliance draws power in them, as a
   * washing machine soaking) or, when false, left off (a dishwasher drying without heat).
   */
  bridgePauses?: boolean;
}

/**
 * Cycles of program appliances at 60 s: a washing machine pauses up to ~15 min between wash,
 * rinse and spin (heating and soaking at low power, still over its 20 W on-threshold, so the
 * pauses are on), a dishwasher up to ~40 min (drying without heat, under its 10 W threshold
 * for up to its 30 min minimum off time and beyond, so the pauses are off); the shortest real
 * programmes are about 30 min (quick wash) and 45 min (dishwasher eco-quick); a tumble dryer's
 * heater pauses a few minutes (the drum turns on) and a run lasts 20 min or more.
 */
export const CYCLE_RULES: Readonly<
  Record<string, Pick<RunRule, 'mergeGapS' | 'minCycleS' | 'bridgePauses'>>
> = {
  washing_machine: { mergeGapS: 15 * 60, minCycleS: 30 * 60, bridgePauses: true },
  washer_dryer: { mergeGapS: 15 * 60, minCycleS: 30 * 60, bridgePauses: true },
  dishwasher: { mergeGapS: 40 * 60, minCycleS: 45 * 60, bridgePauses: false },
  tumble_dryer: { mergeGapS: 5 * 60, minCycleS: 20 * 60, bridgePauses: true },
};

/**
 * Options of a card's `postprocess` value: `runs-v1` (model 2026.12.04) turns every pause inside
 * a merged cycle on; `runs-v2` follows each appliance's `bridgePauses` (a dishwasher's pauses
 * stay off unless shorter than its minimum off time, rule 3, the way its sub-meter counts
 * them). On REFIT House 20 with model 2026.12.04 that took the dishwasher's minute F1 from 0.558
 * to 0.575 and its run F1 from 0.876 to 0.881 (docs/model.md).
 */
export function postProcessOptionsOf(postprocess: 'runs-v1' | 'runs-v2' | 'runs-v3'): {
  bridgeCycles?: boolean;
  dryerSignature?: boolean;
} {
  if (postprocess === 'runs-v1') return { bridgeCycles: true };
  return postprocess === 'runs-v3' ? { dryerSignature: true } : {};
}

/** Heads that rule 4 (`runs-v3`) turns on where the mains shows a dryer's run. */
export const DRYER_HEADS: readonly string[] = ['tumble_dryer', 'washer_dryer'];

/** Pairs of appliances that are not on at the same minute unless the mains fits both. */
export const EXCLUSIVE_PAIRS: ReadonlyArray<readonly [string, string]> = [['kettle', 'microwave']];

/** The rule of an appliance: its on/off durations plus a cycle model where it has one. */
export function runRuleOf(name: string): RunRule {
  const spec = findAppliance(name) ? applianceSpec(name) : undefined;
  return { minOnS: spec?.minOnS ?? 0, minOffS: spec?.minOffS ?? 0, ...CYCLE_RULES[name] };
}

const isOn = (e: ApplianceEstimate, t: number): boolean =>
  e.onProb ? e.onProb[t]! >= (e.onThreshold ?? 0.5) : e.power[t]! > 0;

/** Local baseload: the minimum of finite mains within +-`half` samples. */
function localMinimum(mains: ArrayLike<number>, half: number): Float32Array {
  const n = mains.length;
  const out = new Float32Array(n);
  for (let t = 0; t < n; t++) {
    let m = Infinity;
    for (let j = Math.max(0, t - half); j <= Math.min(n - 1, t + half); j++) {
      const v = mains[j]!;
      if (Number.isFinite(v) && v < m) m = v;
    }
    out[t] = Number.isFinite(m) ? m : 0;
  }
  return out;
}

/**
 * Heads of loads that themselves run on at low power after heating, as a dryer's drum does: a
 * dishwasher's wash pump after its heater, a washing machine's drum after heating its water, a
 * heat pump's circulation pump and fan after its compressor (grouped into `electric_heater`).
 * Heating that one of them explains, followed by a low tail, is that load's, not a dryer's.
 * Loads that stop dead (water heater, EV charger, shower, kettle, cooker) have no such tail, so
 * a cool-down after their heating says the heating was a dryer's (their heads confuse a flat
 * 3 kW dryer with them: docs/model.md).
 */
export const RUN_ON_HEADS: readonly string[] = [
  'dishwasher',
  'washing_machine',
  'washer_dryer',
  'electric_heater',
  'heat_pump',
  'air_conditioner',
  'furnace',
];

/**
 * The dryer runs whose heating no run-on head explains: a run is dropped where, over most of its
 * heating, one of {@link RUN_ON_HEADS} is on with at least half the run's heating step.
 */
function unexplainedRuns(
  runs: readonly DryerRun[],
  estimates: Readonly<Record<string, ApplianceEstimate>>,
): DryerRun[] {
  const others = Object.entries(estimates).filter(([name]) => RUN_ON_HEADS.includes(name));
  return runs.filter((r) => {
    let explained = 0;
    for (let t = r.start; t < r.tailStart; t++)
      if (others.some(([, e]) => isOn(e, t) && e.power[t]! >= 0.5 * r.heaterW)) explained++;
    return explained <= 0.5 * (r.tailStart - r.start);
  });
}

/** Post-process estimates over one series (see the file comment); returns new estimates. */
export function postProcessRuns(
  mains: ArrayLike<number>,
  periodS: number,
  estimates: Readonly<Record<string, ApplianceEstimate>>,
  opts: {
    rules?: Readonly<Record<string, RunRule>>;
    /**
     * Turn every pause inside a merged cycle on (true, `runs-v1`) or none (false); default:
     * each appliance's `bridgePauses` (`runs-v2`).
     */
    bridgeCycles?: boolean;
    exclusive?: ReadonlyArray<readonly [string, string]>;
    /** Rule 4: dryer runs found by their cool-down in the mains (`runs-v3`). */
    dryerSignature?: boolean;
  } = {},
): Record<string, ApplianceEstimate> {
  const n = mains.length;
  const decision: Record<string, Uint8Array> = {};
  for (const [name, e] of Object.entries(estimates))
    decision[name] = Uint8Array.from({ length: n }, (_, t) =>
      Number.isFinite(e.power[t]!) && isOn(e, t) ? 1 : 0,
    );

  // 1. Exclusive pairs.
  let base: Float32Array | undefined;
  for (const [a, b] of opts.exclusive ?? EXCLUSIVE_PAIRS) {
    const ea = estimates[a];
    const eb = estimates[b];
    if (!ea || !eb) continue;
    const da = decision[a]!;
    const db = decision[b]!;
    base ??= localMinimum(mains, Math.round(1800 / periodS));
    const margin = (e: ApplianceEstimate, t: number): number =>
      e.onProb ? e.onProb[t]! - (e.onThreshold ?? 0.5) : 0;
    for (let t = 0; t < n; t++) {
      if (!da[t] || !db[t]) continue;
      const above = mains[t]! - base[t]!;
      if (above >= 0.8 * (ea.power[t]! + eb.power[t]!)) continue;
      if (margin(ea, t) >= margin(eb, t)) db[t] = 0;
      else da[t] = 0;
    }
  }

  // 4. Dryer runs in the mains, found once for every dryer head.
  const dryer =
    opts.dryerSignature && DRYER_HEADS.some((h) => estimates[h])
      ? dryerPower(mains, unexplainedRuns(findDryerRuns(mains, periodS), estimates), n)
      : undefined;

  const out: Record<string, ApplianceEstimate> = {};
  for (const [name, e] of Object.entries(estimates)) {
    const rule = opts.rules?.[name] ?? runRuleOf(name);
    // Decisions as numbers with NaN where the mains is missing: onOffStates never bridges a gap
    // across a missing sample.
    const asLevels = (x: ArrayLike<number>): Float32Array =>
      Float32Array.from(x, (v, t) => (Number.isFinite(e.power[t]!) ? v : NaN));
    let d: Uint8Array = decision[name]!;
    // 2. Cycle model: merge fragments of one cycle, then drop what is too short to be one.
    if (rule.mergeGapS || rule.minCycleS) {
      const cycles = onOffStates(asLevels(d), periodS, {
        onPowerW: 0.5,
        minOffS: Math.max(rule.mergeGapS ?? 0, rule.minOffS),
        minOnS: Math.max(rule.minCycleS ?? 0, rule.minOnS),
      });
      const fragments = d;
      d =
        (opts.bridgeCycles ?? rule.bridgePauses ?? true)
          ? cycles
          : cycles.map((v, t) => v & fragments[t]!);
    }
    // 3. Minimum on/off durations.
    d = onOffStates(asLevels(d), periodS, {
      onPowerW: 0.5,
      minOffS: rule.minOffS,
      minOnS: rule.minOnS,
    });

    const power = Float32Array.from(e.power);
    const onProb = e.onProb ? Float32Array.from(e.onProb) : undefined;
    const threshold = e.onThreshold ?? 0.5;
    const lower = e.lower ? Float32Array.from(e.lower) : undefined;
    const upper = e.upper ? Float32Array.from(e.upper) : undefined;
    const signature = dryer && DRYER_HEADS.includes(name) ? dryer : undefined;
    for (let t = 0; t < n; t++) {
      if (!Number.isFinite(e.power[t]!)) continue;
      const sig = signature?.[t] ?? 0;
      if (sig > 0) {
        // The mains above the run's base is the dryer's power, within a fifth (another load
        // switching meanwhile moves it); the band never reaches over the mains.
        power[t] = sig;
        if (onProb) onProb[t] = Math.max(onProb[t]!, threshold);
        if (lower) lower[t] = 0.8 * sig;
        if (upper) upper[t] = Math.max(sig, Math.min(1.2 * sig, mains[t]!));
        continue;
      }
      const was = isOn(e, t);
      if (was && !d[t]) {
        power[t] = 0;
        if (lower) lower[t] = 0;
        if (onProb) onProb[t] = Math.min(onProb[t]!, Math.max(0, threshold - 1e-3));
      } else if (!was && d[t] && onProb) {
        onProb[t] = Math.max(onProb[t]!, threshold);
      }
    }
    out[name] = {
      ...e,
      power,
      ...(onProb ? { onProb } : {}),
      ...(lower ? { lower } : {}),
      ...(upper ? { upper } : {}),
    };
  }
  return out;
}
