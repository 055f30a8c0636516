/**
 * Per-head calibration from validation windows, on the samples whose target is known: Platt
 * scaling of the logit (baked into the graph), then per level of estimated power an isotonic
 * map of that probability (applied by the inference code), the F1-best threshold on the result
 * and a band meant to hold on-minutes too.
 */
import type { createBatchBuffers, WindowSampler } from '../data/window.sampler.js';
import type { createForwardSession } from '../onnx/graph.session.js';
import {
  applyIsotonic,
  BAND_EDGES,
  bestF1Threshold,
  isotonicFit,
  LEVEL_FRACTIONS,
  levelOf,
  plattFit,
  residualBandOn,
  type IsotonicMap,
} from './calibration.js';
import { INPUT_TARGET_POWER_MASK, OUTPUT_ON_PROB, OUTPUT_POWER } from './transformer.graph.js';
import { forEachValidationBatch } from './train.validation.js';

/** One head's calibration: Platt scaling, per power level isotonic maps, threshold, band. */
export interface HeadCalibration {
  scale: number;
  offset: number;
  levels: { edges_w: number[]; maps: IsotonicMap[] };
  threshold: number;
  f1: number;
  q90: number[];
}

/** One head's known validation samples, in pass order. */
interface HeadSamples {
  logit: number[];
  target: number[];
  absErr: number[];
  est: number[];
  /** Whether each sample's power is known (the residual band is taken over those only). */
  powerKnown: boolean[];
}

/** Calibrates every head on the validation windows `ids` (see the file comment). */
export async function calibrateHeads(
  session: Awaited<ReturnType<typeof createForwardSession>>,
  sampler: WindowSampler,
  ids: readonly number[],
  buffers: ReturnType<typeof createBatchBuffers>,
  A: number,
  L: number,
  B: number,
  powerScaleW: readonly number[],
  /** As forEachValidationBatch's; a sample whose power it masks (0) adds no power error. */
  prepare?: () => Record<string, Float32Array>,
): Promise<HeadCalibration[]> {
  const heads: HeadSamples[] = Array.from({ length: A }, () => ({
    logit: [],
    target: [],
    absErr: [],
    est: [],
    powerKnown: [],
  }));
  let powerMask: Float32Array | undefined;
  const prep =
    prepare &&
    ((): Record<string, Float32Array> => {
      const feeds = prepare();
      powerMask = feeds[INPUT_TARGET_POWER_MASK];
      return feeds;
    });
  await forEachValidationBatch(
    session,
    sampler,
    ids,
    buffers,
    B,
    (out, real) => {
      const power = out.get(OUTPUT_POWER)! as Float32Array;
      const onProb = out.get(OUTPUT_ON_PROB)! as Float32Array;
      for (let b = 0; b < real; b++) {
        for (let a = 0; a < A; a++) {
          const h = heads[a]!;
          for (let t = 0; t < L; t++) {
            const i = (b * A + a) * L + t;
            if (!buffers.known[i]) continue;
            const p = Math.min(1 - 1e-7, Math.max(1e-7, onProb[i]!));
            h.logit.push(Math.log(p / (1 - p)));
            h.target.push(buffers.onOff[i]! >= 0.5 ? 1 : 0);
            h.absErr.push(Math.abs(power[i]! - buffers.power[i]!));
            h.est.push(power[i]!);
            h.powerKnown.push(!powerMask || powerMask[i]! > 0);
          }
        }
      }
    },
    prep,
  );
  return heads.map((h, a) => calibrateHead(h, powerScaleW[a]!));
}

/** Fits one head's calibration to its samples; `powerScaleW` sets its power levels. */
function calibrateHead(h: HeadSamples, powerScaleW: number): HeadCalibration {
  const x = h.logit;
  const y = h.target;
  const { scale, offset } = plattFit(x, y);
  const p1 = x.map((v) => 1 / (1 + Math.exp(-(scale * v + offset))));
  const edges_w = LEVEL_FRACTIONS.map((f) => Math.round(f * powerScaleW));
  const lv = h.est.map((w) => levelOf(edges_w, w));
  const maps = edges_w.map((_, k) => {
    const idx = lv.flatMap((l, i) => (l === k ? [i] : []));
    return isotonicFit(
      idx.map((i) => p1[i]!),
      idx.map((i) => y[i]!),
    );
  });
  const p = p1.map((v, i) => applyIsotonic(maps[lv[i]!]!, v));
  const { threshold, f1 } = bestF1Threshold(p, y);
  const pick = <T>(v: readonly T[]): T[] => v.filter((_, i) => h.powerKnown[i]);
  return {
    scale,
    offset,
    levels: { edges_w, maps },
    threshold,
    f1,
    q90: residualBandOn(pick(p), pick(h.absErr), pick(y), BAND_EDGES, {
      threshold,
      missW: powerScaleW,
    }),
  };
}
