/**
 * Validation during training: a pass over the validation windows in fixed batches, scored per
 * head and per validation house (loss, F1 at probability 0.5, MAE in W).
 */
import type { createBatchBuffers, WindowSampler } from '../data/window.sampler.js';
import type { createForwardSession } from '../onnx/graph.session.js';
import {
  INPUT_MAINS,
  INPUT_TARGET_MASK,
  INPUT_TARGET_ON,
  INPUT_TARGET_POWER,
  OUTPUT_HEAD_LOSS,
  OUTPUT_LOSS,
  OUTPUT_ON_PROB,
  OUTPUT_POWER,
} from './transformer.graph.js';
import type { RunWindows } from './train.data.js';
import type { EpochLog } from './train.settings.js';

type ForwardSession = Awaited<ReturnType<typeof createForwardSession>>;
type ForwardOutputs = Awaited<ReturnType<ForwardSession['run']>>;

/** An epoch's validation scores, as its metrics line records them. */
export type ValidationScores = Pick<
  EpochLog,
  'val_loss' | 'val_head_loss' | 'val_f1' | 'val_mae_w' | 'val_houses'
>;

/**
 * Run `session` over the validation windows `ids` in batches of `B`; the last batch is topped
 * up with windows from the start (the graph has a static batch size), and `each` is told how
 * many of a batch's windows are real.
 */
export async function forEachValidationBatch(
  session: Awaited<ReturnType<typeof createForwardSession>>,
  sampler: WindowSampler,
  ids: readonly number[],
  buffers: ReturnType<typeof createBatchBuffers>,
  B: number,
  each: (
    out: Awaited<ReturnType<Awaited<ReturnType<typeof createForwardSession>>['run']>>,
    real: number,
  ) => void,
  /** Called after each batch is filled: may adjust it and returns further inputs to feed. */
  prepare?: () => Record<string, Float32Array>,
): Promise<void> {
  for (let k = 0; k < ids.length; k += B) {
    const real = Math.min(B, ids.length - k);
    sampler.fillWindows(
      Array.from({ length: B }, (_, j) => ids[(k + j) % ids.length]!),
      buffers,
    );
    const out = await session.run({
      ...prepare?.(),
      [INPUT_MAINS]: buffers.mains,
      [INPUT_TARGET_POWER]: buffers.power,
      [INPUT_TARGET_ON]: buffers.onOff,
      [INPUT_TARGET_MASK]: buffers.known,
    });
    each(out, real);
  }
}

/** Running sums of a validation pass; per house and head (`h * A + a`) for the JS metrics. */
interface ValidationSums {
  lossSum: number;
  headSum: Float64Array;
  absErr: Float64Array;
  count: Float64Array;
  tp: Float64Array;
  fp: Float64Array;
  fn: Float64Array;
  /** Batches seen, the topped-up last one counting by its share of real windows. */
  batches: number;
}

/**
 * Scores the current weights on the validation windows; `houses` are the validation series'
 * sources, in cache segment order.
 */
export async function validateEpoch(
  evalSession: ForwardSession,
  { valSampler, valIds, buffers }: RunWindows,
  houses: readonly string[],
  appliances: readonly string[],
  L: number,
  B: number,
): Promise<ValidationScores> {
  const A = appliances.length;
  const HA = houses.length * A;
  const sums: ValidationSums = {
    lossSum: 0,
    headSum: new Float64Array(A),
    absErr: new Float64Array(HA),
    count: new Float64Array(HA),
    tp: new Float64Array(HA),
    fp: new Float64Array(HA),
    fn: new Float64Array(HA),
    batches: 0,
  };
  await forEachValidationBatch(evalSession, valSampler, valIds, buffers, B, (out, real) =>
    addBatch(sums, out, real, valSampler, buffers, A, L, B),
  );
  return validationScores(sums, houses, appliances);
}

/**
 * Adds one batch to the sums. The repeats that top up the last batch count in the loss with
 * the batch's share, not in the JS metrics.
 */
function addBatch(
  sums: ValidationSums,
  out: ForwardOutputs,
  real: number,
  valSampler: WindowSampler,
  buffers: ReturnType<typeof createBatchBuffers>,
  A: number,
  L: number,
  B: number,
): void {
  const { headSum, absErr, count, tp, fp, fn } = sums;
  const share = real / B;
  sums.lossSum += share * Number(out.get(OUTPUT_LOSS)![0]);
  const hl = out.get(OUTPUT_HEAD_LOSS)! as Float32Array;
  for (let a = 0; a < A; a++) headSum[a] += share * hl[a]!;
  const power = out.get(OUTPUT_POWER)! as Float32Array;
  const onProb = out.get(OUTPUT_ON_PROB)! as Float32Array;
  for (let i = 0; i < real * A * L; i++) {
    if (!buffers.known[i]) continue;
    const a = Math.floor(i / L) % A;
    const hAt = valSampler.segmentOf(buffers.windowIds[Math.floor(i / (A * L))]!) * A + a;
    absErr[hAt] += Math.abs(power[i]! - buffers.power[i]!);
    count[hAt]++;
    const p = onProb[i]! >= 0.5;
    const t = buffers.onOff[i]! >= 0.5;
    if (p && t) tp[hAt]++;
    else if (p) fp[hAt]++;
    else if (t) fn[hAt]++;
  }
  sums.batches += share;
}

const f1Of = (t: number, p: number, n: number): number | null =>
  2 * t + p + n === 0 ? null : (2 * t) / (2 * t + p + n);

/** The pass's scores: over all houses per head, and per house for the heads it meters. */
function validationScores(
  { lossSum, headSum, absErr, count, tp, fp, fn, batches }: ValidationSums,
  houses: readonly string[],
  appliances: readonly string[],
): ValidationScores {
  const A = appliances.length;
  const H = houses.length;
  const sumOver = (x: Float64Array, a: number): number => {
    let v = 0;
    for (let h = 0; h < H; h++) v += x[h * A + a]!;
    return v;
  };
  const byName = <T>(f: (a: number) => T): Record<string, T> =>
    Object.fromEntries(appliances.map((n, a) => [n, f(a)]));
  const val_houses: EpochLog['val_houses'] = {};
  houses.forEach((src, h) => {
    const scores: Record<string, { f1: number | null; mae_w: number }> = {};
    appliances.forEach((n, a) => {
      const j = h * A + a;
      if (count[j]! > 0)
        scores[n] = { f1: f1Of(tp[j]!, fp[j]!, fn[j]!), mae_w: absErr[j]! / count[j]! };
    });
    if (Object.keys(scores).length > 0) val_houses[src] = scores;
  });
  return {
    val_loss: batches ? lossSum / batches : NaN,
    val_head_loss: byName((a) => (batches ? headSum[a]! / batches : NaN)),
    val_f1: byName((a) => f1Of(sumOver(tp, a), sumOver(fp, a), sumOver(fn, a))),
    val_mae_w: byName((a) => {
      const c = sumOver(count, a);
      return c ? sumOver(absErr, a) / c : NaN;
    }),
    val_houses,
  };
}
