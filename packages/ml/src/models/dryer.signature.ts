/**
 * Tumble dryer runs found in the mains by their cool-down, the part of a run that no other
 * large load has. A vented or condenser dryer heats its air with a 1.2-3.5 kW element (a North
 * American 240 V dryer: 4-5.6 kW) while the drum turns, then switches the element off and turns
 * the drum alone for 5-15 minutes so the load cools (Deans 2001, "The modelling of a domestic tumble dryer", Applied Thermal
 * Engineering 21, 977-990; `data/dryer.generator.ts` models the same phases). Every dryer in the
 * shared data shows it: tracebase B7E43D and D36122, REFIT Houses 7 and 20, REFIT House 9's
 * washer-dryer: 110-260 W held flat for 9-16 minutes after the last heating, then off. A water
 * heater, an EV charger, a shower or a kettle stops at once.
 *
 * So a run is: a drop of at least `heaterW[0]` to a level held for `tailMin` minutes (a fridge
 * stopping meanwhile may lower it), then a drop of `drumW` (the run's end: the tail's level at
 * its end over what follows is the drum's own power); before the first drop, heating
 * at least `minHeatMin` minutes long (pauses of the element with the drum turning, up to
 * `maxPauseMin`, stay inside the run), starting from about the level the run ends on. Its power
 * is the mains above that level, capped at the heating step. Pure and deterministic; used by
 * the `runs-v3` post-processing (`runs.postprocess.ts`).
 */

export interface DryerSignatureOptions {
  /**
   * The heating element's step, W (range). Default 1200..6000: European dryers draw 1.2-3.5 kW,
   * North American 240 V ones 4-5.6 kW.
   */
  heaterW?: readonly [number, number];
  /** The drum and fan alone, W (range). Default 100..400. */
  drumW?: readonly [number, number];
  /** Minutes the drum turns alone after the last heating (range). Default 4..18. */
  tailMin?: readonly [number, number];
  /** Shortest heating, minutes. Default 15. */
  minHeatMin?: number;
  /** Longest pause of the element inside a run, minutes. Default 5. */
  maxPauseMin?: number;
  /** Longest run, minutes. Default 240. */
  maxRunMin?: number;
}

/** One run found: sample indices [start, end) and the levels it was found with. */
export interface DryerRun {
  start: number;
  end: number;
  /** First sample of the cool-down (the drum alone). */
  tailStart: number;
  /** The mains level the run ends on (everything else in the home), W. */
  baseW: number;
  heaterW: number;
  drumW: number;
}

const median3 = (a: number, b: number, c: number): number =>
  Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));

/** Runs of a tumble dryer in `mains` (W at `periodS`), in time order, not overlapping. */
export function findDryerRuns(
  mains: ArrayLike<number>,
  periodS: number,
  opts: DryerSignatureOptions = {},
): DryerRun[] {
  const [heatLo, heatHi] = opts.heaterW ?? [1200, 6000];
  const [drumLo, drumHi] = opts.drumW ?? [100, 400];
  const [tailLo, tailHi] = opts.tailMin ?? [4, 18];
  const perMin = 60 / periodS;
  const samples = (min: number): number => Math.max(1, Math.round(min * perMin));
  const minHeat = samples(opts.minHeatMin ?? 15);
  const maxPause = samples(opts.maxPauseMin ?? 5);
  const maxRun = samples(opts.maxRunMin ?? 240);
  const n = mains.length;
  const m = (t: number): number => (t >= 0 && t < n ? mains[t]! : NaN);
  const runs: DryerRun[] = [];

  let s = 2;
  while (s + 3 < n) {
    const found = runEndingAt(s);
    if (found) {
      runs.push(found);
      s = found.end;
    } else s++;
  }
  return runs;

  /** The run whose cool-down starts at sample `s`, if there is one. */
  function runEndingAt(s: number): DryerRun | undefined {
    const level = median3(m(s), m(s + 1), m(s + 2));
    if (!Number.isFinite(level)) return undefined;
    // The cool-down's own flatness: a drum draws the same to within a few tens of W.
    const tol = 60;
    if (!(Math.abs(m(s) - level) <= tol && Math.abs(m(s + 1) - level) <= tol)) return undefined;
    // s is the first sample at that level, after heating (one sample may be a partial minute).
    if (!(m(s - 1) - level > tol)) return undefined;
    const heatTop = Math.max(m(s - 1), m(s - 2), m(s - 3));
    // The cool-down: the drum alone, then its own drop. A fridge's compressor stopping
    // meanwhile lowers the level a little, a load switching on ends the search.
    let found: { e: number; partial: number; base: number } | undefined;
    let low = Math.min(m(s), m(s + 1));
    for (let e = s + samples(tailLo); e <= s + samples(tailHi) && e + 3 < n; e++) {
      const prev = m(e - 1);
      if (!(prev <= level + tol)) break;
      low = Math.min(low, prev);
      const v = m(e);
      const after = median3(m(e + 1), m(e + 2), m(e + 3));
      const partial = v > after + tol && v < prev - tol ? 1 : 0;
      const base = partial ? after : median3(v, m(e + 1), m(e + 2));
      // The drum's own power: the tail's level at its end over what follows (at its start the
      // level may still hold a fridge that stops meanwhile).
      const drum = median3(prev, m(e - 2), m(e - 3)) - base;
      if (!(drum >= drumLo && drum <= drumHi && level - base <= drumHi)) continue;
      if (!(prev - base >= Math.max(drumLo * 0.8, 0.5 * drum) && v < prev - 0.3 * drum)) continue;
      if (!(low >= base + 0.4 * drum)) continue;
      found = { e, partial, base };
      break;
    }
    if (!found) return undefined;
    const { e, partial, base } = found;
    const drum = median3(m(e - 1), m(e - 2), m(e - 3)) - base;
    const heater = heatTop - level;
    if (heater < heatLo || heater > heatHi) return undefined;
    // Heating, walked back from the cool-down: the element on (above half its step), or paused
    // with the drum turning for at most maxPause samples.
    const heatOn = base + drum + heater / 2;
    const drumOn = base + drum / 2;
    let start = s;
    let pause = 0;
    for (let t = s - 1; t >= 0 && s - t <= maxRun; t--) {
      const v = m(t);
      if (!Number.isFinite(v)) break;
      if (v >= heatOn) {
        start = t;
        pause = 0;
      } else if (v >= drumOn && ++pause <= maxPause) continue;
      else break;
    }
    // A partial first minute.
    if (start > 0 && m(start - 1) >= drumOn + drum) start--;
    if (s - start < minHeat) return undefined;
    // The run starts from about the level it ends on (loads that come and go meanwhile, a
    // fridge's compressor, move it a little).
    const before = median3(m(start - 1), m(start - 2), m(start - 3));
    if (!(Math.abs(before - base) <= 250)) return undefined;
    // The element's power: the median of the heating samples (the last one before the cool-down
    // may be a partial minute, another load may add to a few).
    const heating: number[] = [];
    for (let t = start; t < s; t++) if (m(t) >= heatOn) heating.push(m(t) - base - drum);
    heating.sort((a, b) => a - b);
    const element = heating[heating.length >> 1]!;
    if (element < heatLo || element > heatHi) return undefined;
    return { start, end: e + partial, tailStart: s, baseW: base, heaterW: element, drumW: drum };
  }
}

/**
 * The dryer's power over `runs` (W, 0 elsewhere): the mains above the run's base, capped at
 * its heating and drum steps (another load switched on meanwhile is not the dryer's).
 */
export function dryerPower(
  mains: ArrayLike<number>,
  runs: readonly DryerRun[],
  n = mains.length,
): Float32Array {
  const out = new Float32Array(n);
  for (const r of runs) {
    const cap = r.heaterW + r.drumW + 150;
    for (let t = r.start; t < r.end; t++) {
      const above = mains[t]! - r.baseW;
      out[t] =
        t >= r.tailStart
          ? Math.min(Math.max(above, 0), r.drumW + 60)
          : Math.min(Math.max(above, 0), cap);
    }
  }
  return out;
}
