/**
 * The multi-head NILM transformer as an ONNX graph, built with our graph builder from the
 * shared layer blocks (onnx/layer.blocks.ts):
 *
 *   mains W [batch, L]
 *     -> features (mains / scale, mains above the window minimum / scale)   [batch, 2, L]
 *     -> conv embedding (kernel k, then a stride-`patch` conv)              [batch, T, d]
 *     -> + learned positional encoding
 *     -> N pre-norm encoder layers (multi-head self-attention, GELU feed-forward)
 *     -> final layer norm
 *     -> one head per appliance (2-layer MLP per token emitting `patch` samples of power and
 *        of on/off logit)                                                  [batch, A, L]
 *   power W = softplus(power) * sigmoid(logit) * scale_a   (power gated by the on-probability,
 *   as in MATNilm), on_prob = sigmoid(logit).
 *
 * The inference model (built without a loss) computes the same function laid out for ONNX
 * Runtime's fused kernels: linear layers over the tokens as rows of 2-D products, and each
 * appliance's head as its own pair of them (docs/benchmarks.md, "The model runtime").
 *
 * The training loss is built on top of the same forward graph: per appliance, squared error of
 * the gated power, absolute error of the ungated power where the appliance is on (so the head
 * learns magnitudes even for rare appliances), and positively weighted on/off cross-entropy;
 * the heads' losses are averaged with equal weight so that no appliance dominates. Each head's
 * terms are means over the samples whose target is known (`target_mask`), so a house without
 * a sub-meter for an appliance trains the other heads and leaves that one alone.
 */
import { GraphBuilder } from '../onnx/graph.builder.js';
import { flatDim } from '../onnx/graph.shapes.js';
import type { Graph, TensorRef } from '../onnx/graph.types.js';
import { Random } from '../onnx/random.generator.js';
import { blockContext, encoderLayer, layerNorm, softplus } from '../onnx/layer.blocks.js';
import type { LossWeights, ModelSpec } from './transformer.config.js';

export const INPUT_MAINS = 'mains';
export const OUTPUT_POWER = 'power';
export const OUTPUT_ON_PROB = 'on_prob';
export const INPUT_TARGET_POWER = 'target_power';
export const INPUT_TARGET_ON = 'target_on';
/**
 * Training only: 1 where a head's target is known (the window's house has a sub-meter, or a
 * synthetic label, for that appliance), 0 where it is not; masked samples add nothing to that
 * head's loss or its gradient.
 */
export const INPUT_TARGET_MASK = 'target_mask';
/**
 * Training only, with `powerMask`: 1 where a head's target power is known, 0 where only its
 * on/off state is (an owner's "this was the <appliance>" label says it ran, not at what power):
 * there the on/off cross-entropy counts and the power errors do not.
 */
export const INPUT_TARGET_POWER_MASK = 'target_power_mask';
export const OUTPUT_LOSS = 'loss';
export const OUTPUT_HEAD_LOSS = 'head_loss';

/** Built graph plus the names a trainer needs. */
export interface TransformerGraph {
  graph: Graph;
  loss?: TensorRef;
  headLoss?: TensorRef;
  power: TensorRef;
  onProb: TensorRef;
}

/** Parameter values by name, for building a graph from trained weights. */
export type Weights = ReadonlyMap<string, Float32Array>;

/**
 * Build the forward graph (and, with `loss`, the training loss). Parameters are initialised
 * from `seed`, or taken from `weights` when given (every parameter must be there).
 */
export function buildTransformerGraph(
  spec: ModelSpec,
  opts: {
    batch?: number;
    seed?: number;
    weights?: Weights;
    loss?: LossWeights;
    /** With `loss`: add the `target_power_mask` input, which masks the power terms only. */
    powerMask?: boolean;
    /** Per-appliance Platt scaling of the on/off logit for the `on_prob` output (inference). */
    calibration?: { scale: number[]; offset: number[] };
  } = {},
): TransformerGraph {
  const { arch } = spec;
  const A = spec.appliances.length;
  const L = arch.window;
  const P = arch.patch;
  const T = L / P;
  const d = arch.dModel;
  const g = new GraphBuilder({ name: 'nilm_transformer', dims: { batch: opts.batch ?? 1 } });
  // Without a loss the graph is an inference model: laid out for the runtime's fused kernels.
  const inference = !opts.loss;
  const ctx = blockContext(g, new Random(opts.seed ?? 1), opts.weights, { inference });
  const { param, convParam } = ctx;

  // Features: absolute level (kettle and shower are big absolute steps) and the level above the
  // window's minimum (removes the house's baseload, which differs from house to house).
  const mains = g.input(INPUT_MAINS, ['batch', L]);
  const x = g.div(mains, arch.inputScaleW);
  const [minimum] = g.emit(
    'ReduceMin',
    [x],
    { axes: { kind: 'ints', value: [1] }, keepdims: { kind: 'int', value: 1 } },
    [{ shape: ['batch', 1], dtype: 'float32' }],
  );
  const above = g.sub(x, minimum!);
  const feats = g.concat([g.unsqueeze(x, [1]), g.unsqueeze(above, [1])], 1); // [batch, 2, L]

  // Conv embedding: a full-resolution conv, then a patching conv to T tokens.
  const pad = (arch.kernel - 1) / 2;
  let h = g.conv1d(
    feats,
    convParam('embed.conv1.w', [d, 2, arch.kernel]),
    param('embed.conv1.b', [d], 'zeros'),
    { pads: [pad, pad] },
  );
  h = g.gelu(h);
  h = g.conv1d(h, convParam('embed.conv2.w', [d, d, P]), param('embed.conv2.b', [d], 'zeros'), {
    stride: P,
  }); // [batch, d, T]
  h = g.transpose(h, [0, 2, 1]); // [batch, T, d]
  h = g.add(h, param('embed.pos', [T, d], 0.02 as number, false));

  const layer = { dModel: d, heads: arch.heads, ffDim: arch.ffDim, dropout: arch.dropout };
  for (let l = 0; l < arch.layers; l++) h = encoderLayer(ctx, h, `layer${l}`, layer);
  h = layerNorm(ctx, h, 'final_norm', d);

  // One head per appliance: a 2-layer MLP per token, its weights stacked over the appliances.
  const H = arch.headHidden;
  const w1 = param('head.w1', [A, d, H], 'xavier');
  const b1 = param('head.b1', [A, 1, H], 'zeros');
  // Logit biases start at -3 (an appliance is off most of the time), power biases at 0.
  const b2Init = new Float32Array(A * 2 * P);
  for (let a = 0; a < A; a++) b2Init.fill(-3, a * 2 * P + P, (a + 1) * 2 * P);
  const b2 = opts.weights
    ? param('head.b2', [A, 1, 2 * P], 'zeros')
    : g.param('head.b2', [A, 1, 2 * P], b2Init, { decay: false });
  const w2 = param('head.w2', [A, H, 2 * P], 'xavier');
  let out: TensorRef; // [batch, A, T, 2P]
  if (!inference) {
    // All appliances in one batched MatMul per layer (the form autodiff differentiates).
    const hid = g.gelu(g.add(g.matmul(g.unsqueeze(h, [1]), w1), b1)); // [batch, A, T, H]
    out = g.add(g.matmul(hid, w2), b2);
  } else {
    // Inference: each appliance's MLP on the tokens as rows of 2-D products with 1-D biases,
    // which ONNX Runtime runs as Gemm kernels (product and bias fused) and a Gelu kernel on a
    // [rows, H] hidden layer small enough to stay in cache (one [batch, A, T, H] hidden layer is
    // 11 MB at batch 64 and 11 heads, and its separate bias and GELU passes went to memory). The weights' slices are
    // constants the runtime folds when it loads the model.
    const rows = g.reshape(h, [flatDim(h.shape), d]); // [batch*T, d]
    const row = (t: TensorRef, a: number, shape: number[]): TensorRef =>
      g.reshape(g.slice(t, [a], [a + 1], [0]), shape);
    const perHead = Array.from({ length: A }, (_, a) => {
      const hid = g.gelu(g.add(g.matmul(rows, row(w1, a, [d, H])), row(b1, a, [H])));
      const o = g.add(g.matmul(hid, row(w2, a, [H, 2 * P])), row(b2, a, [2 * P]));
      return g.unsqueeze(o, [0]); // [1, batch*T, 2P]
    });
    const stacked = g.reshape(g.concat(perHead, 0), [A, 'batch', T, 2 * P]);
    out = g.transpose(stacked, [1, 0, 2, 3]);
  }
  const toSeries = (t: TensorRef): TensorRef => g.reshape(t, ['batch', A, L]);
  const rawPower = toSeries(g.slice(out, [0], [P], [3]));
  const logit = toSeries(g.slice(out, [P], [2 * P], [3]));

  const scale = g.constant(Float32Array.from(spec.powerScaleW), [1, A, 1]);
  const magnitude = softplus(g, rawPower); // normalised power when on
  const gate = g.sigmoid(logit);
  const gated = g.mul(magnitude, gate);
  // The gate is what the power head was trained with; the reported on-probability may be
  // recalibrated on validation data (Platt scaling), which leaves the power unchanged.
  const onProb = opts.calibration
    ? g.output(
        g.sigmoid(
          g.add(
            g.mul(logit, g.constant(Float32Array.from(opts.calibration.scale), [1, A, 1])),
            g.constant(Float32Array.from(opts.calibration.offset), [1, A, 1]),
          ),
        ),
        OUTPUT_ON_PROB,
      )
    : g.output(gate, OUTPUT_ON_PROB);
  const power = g.output(g.mul(gated, scale), OUTPUT_POWER);

  if (!opts.loss) return { graph: g.build(), power, onProb };

  const targetPower = g.input(INPUT_TARGET_POWER, ['batch', A, L]);
  const targetOn = g.input(INPUT_TARGET_ON, ['batch', A, L]);
  const known = g.input(INPUT_TARGET_MASK, ['batch', A, L]);
  const t = g.div(targetPower, scale);
  // Per head, a mean over the head's known samples only (an all-unknown head gives 0, not NaN):
  // a house without a sub-meter for an appliance says nothing about it.
  const maskedHeadMean = (v: TensorRef, m: TensorRef): TensorRef => {
    const count = g.reduceSum(m, [0, 2], false);
    const safe = g.where(g.greater(count, 0), count, 1);
    return g.div(g.reduceSum(g.mul(v, m), [0, 2], false), safe); // [A]
  };
  // The power terms count where the power is known (all known samples, unless `powerMask`).
  const powerKnown = opts.powerMask
    ? g.mul(known, g.input(INPUT_TARGET_POWER_MASK, ['batch', A, L]))
    : known;
  const sqErr = maskedHeadMean(g.mul(g.sub(gated, t), g.sub(gated, t)), powerKnown);
  // Absolute error of the magnitude on known on-samples only, as a mean over those samples.
  const absOn = maskedHeadMean(g.abs(g.sub(magnitude, t)), g.mul(targetOn, powerKnown));
  // Positively weighted BCE with logits: w*y*softplus(-x) + (1-y)*softplus(x).
  const sp = softplus(g, logit);
  const posWeight = g.constant(Float32Array.from(opts.loss.posWeight), [1, A, 1]);
  const bceTerms = g.add(
    g.mul(g.mul(posWeight, targetOn), g.sub(sp, logit)),
    g.mul(g.sub(1, targetOn), sp),
  );
  const bce = maskedHeadMean(bceTerms, known);
  const headLoss = g.output(
    g.add(g.add(sqErr, absOn), g.mul(bce, opts.loss.bce)),
    OUTPUT_HEAD_LOSS,
  );
  const loss = g.output(g.reduceMean(headLoss, [0], false), OUTPUT_LOSS);
  return { graph: g.build(), power, onProb, loss, headLoss };
}
