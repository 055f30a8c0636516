/**
 * What a run reads its batches from: the training and validation series written once to window
 * caches on disk (training reads windows by offset, never the whole set in memory), seeded
 * samplers over them, and the per-head scales that shape targets and loss.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { applianceSpec, canonicalAppliance, onOffStates } from '../data/appliances.js';
import type { Series } from '../data/series.js';
import type { OnOffRule } from '../data/window.cache.format.js';
import { WindowCache } from '../data/window.cache.reader.js';
import { writeWindowCache } from '../data/window.cache.writer.js';
import { createBatchBuffers, WindowSampler } from '../data/window.sampler.js';
import { NilmError } from '../errors.js';
import type { CheckpointState } from './train.checkpoint.js';
import type { ResolvedSettings, TrainData } from './train.settings.js';

/**
 * Power that a head's output 1.0 stands for: a high percentile of the appliance when on, by its
 * vocabulary rule or, for a head outside the vocabulary (a named found device), by its own.
 */
export function powerScale(
  series: readonly Series[],
  name: string,
  rule: OnOffRule = applianceSpec(name),
): number {
  const on: number[] = [];
  for (const s of series) {
    const p = s.appliances[name];
    if (!p) continue;
    const st = onOffStates(p, s.periodS, rule);
    for (let i = 0; i < p.length; i++) if (st[i] && Number.isFinite(p[i])) on.push(p[i]!);
  }
  if (on.length === 0)
    throw new NilmError(
      'DATA_EMPTY',
      `"${name}" is never on in the training data; it cannot be learned`,
    );
  on.sort((a, b) => a - b);
  return Math.max(100, Math.round(on[Math.min(on.length - 1, Math.floor(on.length * 0.99))]!));
}

/** The samplers a run draws from, the buffers batches are read into, and the validation set. */
export interface RunWindows {
  sampler: WindowSampler;
  valSampler: WindowSampler;
  buffers: ReturnType<typeof createBatchBuffers>;
  /** The validation windows, at most `maxValWindows`, evenly spread. */
  valIds: number[];
}

/**
 * Writes the window caches under `<outDir>/cache` (kept when resuming) and opens samplers on
 * them; throws DATA_EMPTY when either set has no gap-free window.
 */
export async function prepareWindows(
  { cfg, arch, appliances }: ResolvedSettings,
  data: TrainData,
  outDir: string,
  resuming: boolean,
  log: (line: string) => void,
): Promise<RunWindows> {
  const L = arch.window;
  const trainCachePath = join(outDir, 'cache', 'train.win');
  const valCachePath = join(outDir, 'cache', 'val.win');
  await mkdir(join(outDir, 'cache'), { recursive: true });
  const cacheOptions = { appliances, periodS: arch.periodS, allowMissing: true };
  if (!resuming || !existsSync(trainCachePath))
    await writeWindowCache(trainCachePath, data.train, cacheOptions);
  if (!resuming || !existsSync(valCachePath))
    await writeWindowCache(valCachePath, data.val, cacheOptions);
  const trainCache = WindowCache.open(trainCachePath);
  const valCache = WindowCache.open(valCachePath);
  const stride = cfg.stride ?? Math.max(1, Math.floor(L / 8));
  const sampler = new WindowSampler(trainCache, { length: L, stride, appliances });
  const valSampler = new WindowSampler(valCache, {
    length: L,
    stride: cfg.valStride ?? Math.max(1, Math.floor(L / 4)),
    appliances,
  });
  if (sampler.windowCount === 0)
    throw new NilmError('DATA_EMPTY', `the training data has no gap-free window of ${L} samples`);
  if (valSampler.windowCount === 0)
    throw new NilmError('DATA_EMPTY', `the validation data has no gap-free window of ${L} samples`);
  log(
    `windows: ${sampler.windowCount} train (stride ${stride}), ${valSampler.windowCount} validation`,
  );
  const n = Math.min(valSampler.windowCount, cfg.maxValWindows);
  const valIds = Array.from({ length: n }, (_, k) => Math.floor((k * valSampler.windowCount) / n));
  const buffers = createBatchBuffers(cfg.batch, L, appliances.length);
  return { sampler, valSampler, buffers, valIds };
}

/** Per head: the power its output 1.0 stands for, and the weight of its "on" samples. */
export interface HeadScales {
  powerScaleW: number[];
  posWeight: number[];
}

/** The heads' scales: from the checkpoint when resuming, else from the training data. */
export function headScales(
  resolved: ResolvedSettings,
  data: TrainData,
  saved: CheckpointState | undefined,
  windows: RunWindows,
  log: (line: string) => void,
): HeadScales {
  const { appliances } = resolved;
  const powerScaleW = saved?.powerScaleW ?? appliances.map((a) => powerScale(data.train, a));
  const posWeight = saved?.posWeight ?? positiveWeights(resolved, windows);
  log(
    `power scales ${appliances.map((a, i) => `${a} ${powerScaleW[i]} W`).join(', ')}; positive weights ${posWeight.map((w) => w.toFixed(1)).join(', ')}`,
  );
  return { powerScaleW, posWeight };
}

/**
 * Positive weights from the on-fraction of balanced batches, so the cross-entropy is not
 * dominated by "off" even after balancing.
 */
function positiveWeights(
  { cfg, arch, appliances }: ResolvedSettings,
  { sampler, buffers }: RunWindows,
): number[] {
  const L = arch.window;
  const A = appliances.length;
  const B = cfg.batch;
  const probe = sampler.random({
    seed: cfg.seed,
    balance: {
      targetOnFraction: cfg.balance.targetOnFraction,
      appliances: cfg.balance.cycle?.map(canonicalAppliance),
    },
  });
  const on = new Float64Array(A);
  const seen = new Float64Array(A);
  for (let k = 0; k < 20; k++) {
    probe.fill(buffers);
    for (let b = 0; b < B; b++)
      for (let a = 0; a < A; a++)
        for (let t = 0; t < L; t++) {
          const i = (b * A + a) * L + t;
          on[a] += buffers.onOff[i]! * buffers.known[i]!;
          seen[a] += buffers.known[i]!;
        }
  }
  return Array.from(on, (c, a) => {
    const f = seen[a]! > 0 ? c / seen[a]! : 0;
    return f <= 0
      ? cfg.loss.posWeightMax
      : Math.min(cfg.loss.posWeightMax, Math.max(1, (1 - f) / f));
  });
}
