// Loss building blocks made of differentiable primitive ops, so the differentiator handles them
// like any other part of the model. Every loss is a mean; a mask (1 = counts, 0 = ignore) turns
// it into a mean over the unmasked elements only.

import type { GraphBuilder } from './graph.builder.js';
import type { TensorRef } from './graph.types.js';

/**
 * Mean of `values` over the elements where `mask` (float 0/1 or bool, broadcastable to
 * values) is set. An all-zero mask gives 0 rather than NaN.
 */
export function maskedMean(g: GraphBuilder, values: TensorRef, mask: TensorRef): TensorRef {
  const m = mask.dtype === 'bool' ? g.cast(mask, g.floatType) : mask;
  const total = g.sumAll(g.mul(values, m));
  const count = g.sumAll(g.expandAs(m, values));
  const safe = g.where(g.greater(count, 0), count, 1);
  return g.div(total, safe);
}

function reduce(g: GraphBuilder, values: TensorRef, mask: TensorRef | undefined): TensorRef {
  return mask ? maskedMean(g, values, mask) : g.meanAll(values);
}

/** Mean squared error, optionally masked. */
export function mseLoss(
  g: GraphBuilder,
  pred: TensorRef,
  target: TensorRef,
  mask?: TensorRef,
): TensorRef {
  const diff = g.sub(pred, target);
  return reduce(g, g.mul(diff, diff), mask);
}

/**
 * Per-element binary cross-entropy of logits x against targets y in the overflow-free form
 * max(x, 0) - x y + log(1 + exp(-|x|)); its gradient is sigmoid(x) - y.
 */
export function bceWithLogitsTerms(
  g: GraphBuilder,
  logits: TensorRef,
  target: TensorRef,
): TensorRef {
  const softplusTail = g.log(g.add(g.exp(g.neg(g.abs(logits))), 1));
  return g.add(g.sub(g.relu(logits), g.mul(logits, target)), softplusTail);
}

/** Mean binary cross-entropy with logits, optionally masked. */
export function bceWithLogitsLoss(
  g: GraphBuilder,
  logits: TensorRef,
  target: TensorRef,
  mask?: TensorRef,
): TensorRef {
  return reduce(g, bceWithLogitsTerms(g, logits, target), mask);
}

/**
 * Mean Huber loss: 0.5 r^2 for |r| <= delta, delta (|r| - 0.5 delta) beyond. Written as
 * 0.5 q^2 + delta (|r| - q) with q = min(|r|, delta) = delta - relu(delta - |r|), which needs
 * no branch.
 */
export function huberLoss(
  g: GraphBuilder,
  pred: TensorRef,
  target: TensorRef,
  delta = 1,
  mask?: TensorRef,
): TensorRef {
  if (!(delta > 0)) throw new Error(`Huber delta ${delta} must be positive`);
  const a = g.abs(g.sub(pred, target));
  const q = g.sub(delta, g.relu(g.sub(delta, a)));
  const terms = g.add(g.mul(g.mul(q, q), 0.5), g.mul(g.sub(a, q), delta));
  return reduce(g, terms, mask);
}
