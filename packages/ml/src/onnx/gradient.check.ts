// Finite-difference verification of the differentiator: compares every analytic gradient the
// training graph returns with central differences of the loss, both computed by ONNX Runtime.

import { buildTrainingGraph } from './graph.autodiff.js';
import { createForwardSession, TrainingSession } from './graph.session.js';
import type { Feeds } from './graph.session.js';
import type { Graph, TensorData, TensorRef } from './graph.types.js';

/** Tolerances and sampling for {@link checkGradients}. */
export interface GradCheckOptions {
  /** Perturbation size (use about 1e-6 for float64 graphs, 1e-2..1e-3 for float32). */
  readonly eps: number;
  /** An element passes when |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|). */
  readonly rtol: number;
  readonly atol: number;
  /** Batch inputs (data, targets, masks) the loss needs. */
  readonly feeds?: Feeds;
  /** Check at most this many elements per parameter, spread evenly (default: all). */
  readonly maxPerParam?: number;
}

/** One compared element. */
export interface GradCheckEntry {
  readonly param: string;
  readonly index: number;
  readonly analytic: number;
  readonly numeric: number;
}

/** Outcome of a check: every failure, and how many elements were compared. */
export interface GradCheckResult {
  readonly checked: number;
  readonly failures: readonly GradCheckEntry[];
  /** Largest |analytic - numeric| / (atol + rtol * scale); <= 1 means pass. */
  readonly worstRatio: number;
}

function pick(feeds: Feeds, names: readonly { name: string }[]): Record<string, TensorData> {
  const out: Record<string, TensorData> = {};
  for (const { name } of names) {
    const d = feeds[name];
    if (d) out[name] = d;
  }
  return out;
}

/**
 * Differentiates `graph` w.r.t. all its trainable parameters and checks each gradient element
 * against central differences (f(p + h) - f(p - h)) / 2h, where h is the perturbation actually
 * stored (so float32 rounding of p + eps does not bias the estimate).
 */
export async function checkGradients(
  graph: Graph,
  loss: string | TensorRef,
  options: GradCheckOptions,
): Promise<GradCheckResult> {
  const feeds = options.feeds ?? {};
  const lossName = typeof loss === 'string' ? loss : loss.name;
  const training = buildTrainingGraph(graph, { loss });
  const trainer = await TrainingSession.create(training);
  let analytic: Map<string, Float64Array>;
  try {
    const step = await trainer.run(pick(feeds, trainer.inputs));
    analytic = new Map([...step.grads].map(([k, v]) => [k, Float64Array.from(v)] as const));
  } finally {
    await trainer.release();
  }

  const forward = await createForwardSession(graph, [loss], { dropout: 'mask' });
  const forwardFeeds = pick(feeds, forward.inputs);
  const evaluate = async (): Promise<number> =>
    Number((await forward.run(forwardFeeds)).get(lossName)![0]);
  const failures: GradCheckEntry[] = [];
  let checked = 0;
  let worstRatio = 0;
  try {
    for (const p of training.params) {
      const grad = analytic.get(p.name)!;
      const n = p.data.length;
      const count = Math.min(n, options.maxPerParam ?? n);
      for (let j = 0; j < count; j++) {
        const index = count === n ? j : Math.floor((j * n) / count);
        const original = p.data[index]!;
        let numeric: number;
        try {
          p.data[index] = original + options.eps;
          const hi = p.data[index]!;
          const fHi = await evaluate();
          p.data[index] = original - options.eps;
          const lo = p.data[index]!;
          const fLo = await evaluate();
          numeric = (fHi - fLo) / (hi - lo);
        } finally {
          // The weights are the caller's live arrays: never leave one perturbed.
          p.data[index] = original;
        }
        const a = grad[index]!;
        const scale = Math.max(Math.abs(a), Math.abs(numeric));
        const ratio = Math.abs(a - numeric) / (options.atol + options.rtol * scale);
        worstRatio = Math.max(worstRatio, ratio);
        if (!(ratio <= 1)) failures.push({ param: p.name, index, analytic: a, numeric });
        checked++;
      }
    }
  } finally {
    await forward.release();
  }
  return { checked, failures, worstRatio };
}
