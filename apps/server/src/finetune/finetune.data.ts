/**
 * What a fine-tune learns from and is scored on, read from a building's stores: its mains at one
 * minute and, per appliance to train, the true power of each minute that is known: a sub-meter's
 * reading, or 0 W inside an owner's "nothing of <appliance> here" label (a minute with both
 * takes the sub-meter). Inside a "this was the <appliance>" label the appliance ran at a power
 * nobody read: such a minute (with no sub-meter reading) is marked in `onLabelled` and teaches
 * the head its on/off state only (the fine-tune masks its power error).
 *
 * A named found device (finetune.devices.ts) teaches its head from its runs: over the span its
 * runs were looked for in, its power is its step power during each of its runs and 0 W outside
 * them. Missed runs count as off: discovery does not find every run (one hidden under another
 * load, one too short), and such a minute teaches the head "off" where the device ran, so the
 * head learns the runs discovery can see. A sub-meter reading or a label of the same name takes
 * precedence over the runs on every minute it covers.
 *
 * The known minutes are split in time, oldest first: 70 % to learn from, the next 10 % to
 * choose the epoch and calibrate, the newest 20 % held out for the scorecard, so the scorecard
 * scores days the model never saw, after the ones it learnt from.
 */
import type { FinetuneSeries } from '@nilm/ml';
import type { LabelStore, TimeSeriesStore } from '@nilm/stores';
import { ApiError } from '../errors.js';
import type { DeviceHead } from './finetune.devices.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

/** How far back a fine-tune looks (days). */
export const FINETUNE_LOOKBACK_DAYS = 90;
/** Known minutes a fine-tune needs at least: a model window for each part, and more. */
export const MIN_KNOWN_MINUTES = 3 * 1440;

export interface HomeData {
  train: FinetuneSeries[];
  val: FinetuneSeries[];
  heldOut: FinetuneSeries[];
  /** Known minutes per part, and the time each part covers. */
  parts: Record<'train' | 'val' | 'held_out', { minutes: number; fromMs: number; toMs: number }>;
}

/** A device's power per minute of [from, from + n minutes): NaN outside its span. */
function devicePower(d: Pick<DeviceHead, 'fromMs' | 'toMs' | 'runs'>, from: number, n: number) {
  const ch = new Float32Array(n).fill(NaN);
  const i0 = Math.max(0, Math.ceil((d.fromMs - from) / MINUTE));
  const i1 = Math.min(n, Math.floor((d.toMs - from) / MINUTE));
  ch.fill(0, i0, Math.max(i0, i1));
  for (const r of d.runs) {
    const a = Math.max(0, Math.floor((r.startMs - from) / MINUTE));
    const b = Math.min(n, Math.ceil((r.endMs - from) / MINUTE));
    if (b > a) ch.fill(r.powerW, a, b);
  }
  return ch;
}

/**
 * The minutes of [fromMs, toMs) as one series: NaN where no power is known. `devices` are the
 * named found devices among `appliances` (by head name), whose runs fill what sub-meters and
 * labels leave unknown.
 */
export async function readHomeSeries(
  deps: { timeseries: TimeSeriesStore; metadata: Pick<LabelStore, 'listLabels'> },
  buildingId: string,
  appliances: readonly string[],
  fromMs: number,
  toMs: number,
  devices: readonly DeviceHead[] = [],
): Promise<FinetuneSeries> {
  const from = Math.floor(fromMs / MINUTE) * MINUTE;
  const n = Math.max(0, Math.floor((toMs - from) / MINUTE));
  const mains = new Float32Array(n).fill(NaN);
  for (const b of await deps.timeseries.readBuckets(buildingId, from, from + n * MINUTE, 60)) {
    const i = Math.round((b.ts - from) / MINUTE);
    if (i >= 0 && i < n && b.powerW !== null) mains[i] = b.powerW;
  }
  const channels: Record<string, Float32Array> = {};
  const onLabelled: Record<string, Uint8Array> = {};
  for (const a of appliances) {
    const ch = new Float32Array(n).fill(NaN);
    const on = new Uint8Array(n);
    for (const l of await deps.metadata.listLabels(buildingId, {
      fromMs: from,
      toMs: from + n * MINUTE,
      appliance: a,
    })) {
      const i0 = Math.max(0, Math.ceil((l.startMs - from) / MINUTE));
      const i1 = Math.min(n, Math.floor((l.endMs - from) / MINUTE));
      for (let i = i0; i < i1; i++) {
        if (l.kind === 'off') ch[i] = 0;
        else on[i] = 1;
      }
    }
    for (const r of await deps.timeseries.readSubmeterBuckets(
      buildingId,
      a,
      from,
      from + n * MINUTE,
      60,
    )) {
      const i = Math.round((r.ts - from) / MINUTE);
      if (i >= 0 && i < n) {
        ch[i] = r.powerW;
        on[i] = 0;
      }
    }
    // A minute labelled both on and off says nothing.
    for (let i = 0; i < n; i++)
      if (on[i] && ch[i] === 0) {
        on[i] = 0;
        ch[i] = NaN;
      }
    const device = devices.find((d) => d.name === a);
    if (device) {
      const runs = devicePower(device, from, n);
      for (let i = 0; i < n; i++) if (!Number.isFinite(ch[i]) && !on[i]) ch[i] = runs[i]!;
    }
    channels[a] = ch;
    if (on.includes(1)) onLabelled[a] = on;
  }
  return {
    startMs: from,
    periodS: 60,
    mains,
    appliances: channels,
    onLabelled,
    source: `building ${buildingId}`,
  };
}

/** Slice `s` to samples [i0, i1). */
function slice(s: FinetuneSeries, i0: number, i1: number): FinetuneSeries {
  return {
    onLabelled: Object.fromEntries(
      Object.entries(s.onLabelled ?? {}).map(([k, v]) => [k, v.subarray(i0, i1)]),
    ),
    startMs: s.startMs + i0 * s.periodS * 1000,
    periodS: s.periodS,
    mains: s.mains.subarray(i0, i1),
    appliances: Object.fromEntries(
      Object.entries(s.appliances).map(([k, v]) => [k, v.subarray(i0, i1)]),
    ),
    source: s.source,
  };
}

/**
 * The building's data for a fine-tune of `appliances` (among them the heads of `devices`), over the last FINETUNE_LOOKBACK_DAYS
 * before `nowMs`, split as the module comment says. Refuses (422, nothing queued) when an
 * appliance has no known minute, or the known minutes are too few to learn from.
 */
export async function readHomeData(
  deps: { timeseries: TimeSeriesStore; metadata: Pick<LabelStore, 'listLabels'> },
  buildingId: string,
  appliances: readonly string[],
  nowMs: number,
  devices: readonly DeviceHead[] = [],
): Promise<HomeData> {
  const s = await readHomeSeries(
    deps,
    buildingId,
    appliances,
    nowMs - FINETUNE_LOOKBACK_DAYS * DAY,
    nowMs,
    devices,
  );
  const known = new Uint8Array(s.mains.length);
  let total = 0;
  for (const a of appliances) {
    const ch = s.appliances[a]!;
    const on = s.onLabelled?.[a];
    let mine = 0;
    let ran = 0;
    for (let i = 0; i < ch.length; i++)
      if ((Number.isFinite(ch[i]) || on?.[i]) && Number.isFinite(s.mains[i])) {
        mine++;
        if (on?.[i] || ch[i]! > 0) ran++;
        if (!known[i]) total++;
        known[i] = 1;
      }
    if (mine === 0)
      throw new ApiError(
        'VALIDATION_FAILED',
        `nothing is known of "${a}" in the last ${FINETUNE_LOOKBACK_DAYS} days: attach a sub-meter (a smart plug) to it, or label some of its runs and stretches where it did not run, then try again`,
        { appliance: a, reason: 'no_data' },
      );
    if (ran === 0)
      throw new ApiError(
        'VALIDATION_FAILED',
        `only "nothing of ${a} here" is known in the last ${FINETUNE_LOOKBACK_DAYS} days, so nothing says what it looks like when it runs: label some of its runs ("this was the ${a}") or attach a sub-meter, then try again`,
        { appliance: a, reason: 'never_on' },
      );
  }
  if (total < MIN_KNOWN_MINUTES)
    throw new ApiError(
      'VALIDATION_FAILED',
      `only ${Math.round(total / 60)} hours of this building's minutes have a sub-meter reading or a label for ${appliances.join(', ')}; a fine-tune needs ${MIN_KNOWN_MINUTES / 1440} days at least (a week or more is better)`,
      { reason: 'too_little_data', known_minutes: total, needed_minutes: MIN_KNOWN_MINUTES },
    );
  // Cut where 70 % and 80 % of the known minutes lie behind.
  const cutAt = (share: number): number => {
    let seen = 0;
    for (let i = 0; i < known.length; i++) if (known[i] && ++seen >= share * total) return i + 1;
    return known.length;
  };
  const c1 = cutAt(0.7);
  const c2 = cutAt(0.8);
  const part = (i0: number, i1: number) => {
    let minutes = 0;
    for (let i = i0; i < i1; i++) minutes += known[i]!;
    return { minutes, fromMs: s.startMs + i0 * MINUTE, toMs: s.startMs + i1 * MINUTE };
  };
  return {
    train: [slice(s, 0, c1)],
    val: [slice(s, c1, c2)],
    heldOut: [slice(s, c2, s.mains.length)],
    parts: { train: part(0, c1), val: part(c1, c2), held_out: part(c2, s.mains.length) },
  };
}
