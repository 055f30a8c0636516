/**
 * The one in-memory shape of power data: a regular time grid, mains plus sub-metered
 * appliances in watts, with missing samples made explicit as NaN. Every reader produces it,
 * every model and metric consumes it.
 */
export interface Series {
  /** Epoch milliseconds (UTC) of sample 0. Naive timestamps in files are read as UTC. */
  startMs: number;
  /** Seconds between samples. */
  periodS: number;
  /** Whole-house active power in W; NaN where no data. */
  mains: Float32Array;
  /** Sub-metered power in W by canonical appliance name; NaN where no data. */
  appliances: Record<string, Float32Array>;
  /** Human-readable description of where the data came from (files, house). */
  source: string;
}

/** Epoch ms of sample `i`. */
export function timeAt(s: Series, i: number): number {
  return s.startMs + i * s.periodS * 1000;
}

/**
 * Mask of samples usable for training and scoring: mains and every listed appliance finite.
 * A run of mains == 0 has already been turned into NaN by the readers (it means "no data").
 */
export function validMask(
  s: Series,
  appliances: readonly string[] = Object.keys(s.appliances),
): Uint8Array {
  const n = s.mains.length;
  const mask = new Uint8Array(n);
  const chans = appliances.map((a) => s.appliances[a]).filter((c): c is Float32Array => !!c);
  for (let i = 0; i < n; i++) {
    let ok = Number.isFinite(s.mains[i]);
    for (let c = 0; ok && c < chans.length; c++) ok = Number.isFinite(chans[c]![i]);
    mask[i] = ok ? 1 : 0;
  }
  return mask;
}

/** A new series holding samples [from, to) of `s` (views, no copy). */
export function sliceSeries(s: Series, from: number, to: number): Series {
  const appliances: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(s.appliances)) appliances[k] = v.subarray(from, to);
  return {
    startMs: timeAt(s, from),
    periodS: s.periodS,
    mains: s.mains.subarray(from, to),
    appliances,
    source: s.source,
  };
}

/** Count of runs of missing mains samples and the total number missing. */
export function gapStats(s: Series): { gaps: number; missing: number; longestGap: number } {
  let gaps = 0;
  let missing = 0;
  let run = 0;
  let longestGap = 0;
  for (let i = 0; i < s.mains.length; i++) {
    if (Number.isFinite(s.mains[i])) {
      run = 0;
      continue;
    }
    missing++;
    if (run === 0) gaps++;
    run++;
    if (run > longestGap) longestGap = run;
  }
  return { gaps, missing, longestGap };
}
