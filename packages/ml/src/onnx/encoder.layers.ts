// Transformer-encoder layers built on the graph builder, for sequence-to-sequence NILM models:
// a convolutional embedding of the aggregate signal, sinusoidal positions, pre-norm encoder
// blocks (multi-head self-attention, GELU feed-forward) and linear output heads. Weights are
// drawn from a seeded generator so a model is reproducible from its seed.

import type { GraphBuilder } from './graph.builder.js';
import { formatShape } from './graph.shapes.js';
import type { TensorRef } from './graph.types.js';
import type { Random } from './random.generator.js';
import { randomUniform } from './random.generator.js';

/** Where a layer draws its initial weights from. */
export interface LayerContext {
  readonly g: GraphBuilder;
  readonly rng: Random;
}

function lastDim(x: TensorRef): number {
  const d = x.shape[x.shape.length - 1];
  if (typeof d !== 'number')
    throw new Error(`Feature dim of ${formatShape(x.shape)} must be static`);
  return d;
}

function zeros(ctx: LayerContext, size: number): Float32Array | Float64Array {
  return ctx.g.floatType === 'float32' ? new Float32Array(size) : new Float64Array(size);
}

function ones(ctx: LayerContext, size: number): Float32Array | Float64Array {
  return zeros(ctx, size).fill(1);
}

/** y = x W + b over the last axis; W [in, out] ~ U(+-1/sqrt(in)), b = 0. */
export function linear(
  ctx: LayerContext,
  name: string,
  x: TensorRef,
  outFeatures: number,
  bias = true,
): TensorRef {
  const inFeatures = lastDim(x);
  const limit = 1 / Math.sqrt(inFeatures);
  const w = ctx.g.param(
    `${name}.weight`,
    [inFeatures, outFeatures],
    randomUniform(ctx.rng, inFeatures * outFeatures, limit, ctx.g.floatType),
  );
  const y = ctx.g.matmul(x, w);
  return bias
    ? ctx.g.add(y, ctx.g.param(`${name}.bias`, [outFeatures], zeros(ctx, outFeatures)))
    : y;
}

/** LayerNorm over the last axis with learnt scale (init 1) and shift (init 0), not decayed. */
export function layerNorm(ctx: LayerContext, name: string, x: TensorRef): TensorRef {
  const d = lastDim(x);
  const scale = ctx.g.param(`${name}.scale`, [d], ones(ctx, d));
  const bias = ctx.g.param(`${name}.bias`, [d], zeros(ctx, d));
  return ctx.g.layerNorm(x, scale, bias);
}

/** Dropout when `ratio` > 0 (mask input `<name>.mask`), otherwise x itself. */
export function maybeDropout(
  ctx: LayerContext,
  name: string,
  x: TensorRef,
  ratio: number,
): TensorRef {
  return ratio > 0 ? ctx.g.dropout(x, `${name}.mask`, ratio) : x;
}

/**
 * Embeds x [N, C, L] into [N, L, dModel] with a 'same'-padded 1-D convolution (odd kernel),
 * so each position sees its neighbourhood of the raw signal.
 */
export function convEmbedding(
  ctx: LayerContext,
  name: string,
  x: TensorRef,
  dModel: number,
  kernel: number,
): TensorRef {
  if (kernel % 2 !== 1) throw new Error(`Embedding kernel ${kernel} must be odd for same padding`);
  const channels = x.shape[1];
  if (x.shape.length !== 3 || typeof channels !== 'number')
    throw new Error('convEmbedding needs x [N, C, L]');
  const fanIn = channels * kernel;
  const w = ctx.g.param(
    `${name}.weight`,
    [dModel, channels, kernel],
    randomUniform(ctx.rng, dModel * fanIn, 1 / Math.sqrt(fanIn), ctx.g.floatType),
  );
  const b = ctx.g.param(`${name}.bias`, [dModel], zeros(ctx, dModel));
  const half = (kernel - 1) / 2;
  const y = ctx.g.conv1d(x, w, b, { pads: [half, half] });
  return ctx.g.transpose(y, [0, 2, 1]);
}

/** The fixed sinusoidal position table of Vaswani et al. (2017), shape [length, dModel]. */
export function sinusoidalPositions(length: number, dModel: number): Float64Array {
  const table = new Float64Array(length * dModel);
  for (let pos = 0; pos < length; pos++) {
    for (let i = 0; i < dModel; i++) {
      const freq = Math.pow(10000, -(2 * Math.floor(i / 2)) / dModel);
      table[pos * dModel + i] = i % 2 === 0 ? Math.sin(pos * freq) : Math.cos(pos * freq);
    }
  }
  return table;
}

/** Adds the sinusoidal position table to x [N, L, d] (L static). */
export function addPositions(ctx: LayerContext, x: TensorRef): TensorRef {
  const [, len, d] = x.shape;
  if (typeof len !== 'number' || typeof d !== 'number')
    throw new Error('addPositions needs static L and d');
  const table = sinusoidalPositions(len, d);
  const data = ctx.g.floatType === 'float32' ? Float32Array.from(table) : table;
  return ctx.g.add(x, ctx.g.constant(data, [len, d]));
}

/**
 * Multi-head self-attention over x [N, L, d]: heads attend in parallel through one batched
 * MatMul on [N, H, L, d/H] tensors (the batch dim may be symbolic).
 */
export function selfAttention(
  ctx: LayerContext,
  name: string,
  x: TensorRef,
  heads: number,
): TensorRef {
  const { g } = ctx;
  const [n, len, d] = x.shape;
  if (typeof len !== 'number' || typeof d !== 'number' || n === undefined || d % heads !== 0) {
    throw new Error(`selfAttention: ${formatShape(x.shape)} does not split into ${heads} heads`);
  }
  const dh = d / heads;
  const split = (t: TensorRef): TensorRef => g.reshape(t, [n, len, heads, dh]);
  // Scaling q rather than the scores touches L*d values instead of L*L per head.
  const q = g.transpose(
    split(g.mul(linear(ctx, `${name}.q`, x, d), 1 / Math.sqrt(dh))),
    [0, 2, 1, 3],
  );
  const kT = g.transpose(split(linear(ctx, `${name}.k`, x, d)), [0, 2, 3, 1]);
  const v = g.transpose(split(linear(ctx, `${name}.v`, x, d)), [0, 2, 1, 3]);
  const attn = g.softmax(g.matmul(q, kT));
  const ctxOut = g.reshape(g.transpose(g.matmul(attn, v), [0, 2, 1, 3]), [n, len, d]);
  return linear(ctx, `${name}.out`, ctxOut, d);
}

/** Position-wise feed-forward: Linear(d -> hidden), GELU, Linear(hidden -> d). */
export function feedForward(
  ctx: LayerContext,
  name: string,
  x: TensorRef,
  hidden: number,
): TensorRef {
  const d = lastDim(x);
  return linear(ctx, `${name}.down`, ctx.g.gelu(linear(ctx, `${name}.up`, x, hidden)), d);
}

/** Encoder block hyper-parameters. */
export interface EncoderBlockOptions {
  readonly heads: number;
  readonly ffHidden: number;
  /** Residual-branch dropout ratio (0 = none). */
  readonly dropout?: number;
}

/** Pre-norm block: x + Drop(MHSA(LN(x))), then + Drop(FFN(LN(.))). */
export function encoderBlock(
  ctx: LayerContext,
  name: string,
  x: TensorRef,
  options: EncoderBlockOptions,
): TensorRef {
  const { g } = ctx;
  const p = options.dropout ?? 0;
  const attn = selfAttention(ctx, `${name}.attn`, layerNorm(ctx, `${name}.ln1`, x), options.heads);
  const h = g.add(x, maybeDropout(ctx, `${name}.attn_drop`, attn, p));
  const ff = feedForward(ctx, `${name}.ff`, layerNorm(ctx, `${name}.ln2`, h), options.ffHidden);
  return g.add(h, maybeDropout(ctx, `${name}.ff_drop`, ff, p));
}

/** A sequence-to-sequence encoder for disaggregation. */
export interface EncoderModelConfig {
  readonly inputChannels: number;
  readonly length: number;
  readonly dModel: number;
  readonly heads: number;
  readonly layers: number;
  readonly ffHidden: number;
  /** Number of appliances: each gets a power output and an on/off logit per position. */
  readonly appliances: number;
  readonly embedKernel?: number;
  readonly dropout?: number;
  /** Name of the batch dim (default 'batch'); bind its size in the builder's dims. */
  readonly batchDim?: string;
}

/** Handles to a built encoder model. */
export interface EncoderModel {
  /** Input [batch, inputChannels, length]. */
  readonly input: TensorRef;
  /** Predicted power [batch, length, appliances]. */
  readonly power: TensorRef;
  /** On/off logits [batch, length, appliances]. */
  readonly onLogits: TensorRef;
}

/**
 * Builds conv embedding -> + positions -> `layers` pre-norm encoder blocks -> final LayerNorm
 * -> two linear heads (power regression, on/off classification) into `ctx.g`.
 */
export function encoderModel(ctx: LayerContext, config: EncoderModelConfig): EncoderModel {
  const { g } = ctx;
  const batch = config.batchDim ?? 'batch';
  const input = g.input('input', [batch, config.inputChannels, config.length]);
  let h = addPositions(
    ctx,
    convEmbedding(ctx, 'embed', input, config.dModel, config.embedKernel ?? 3),
  );
  for (let i = 0; i < config.layers; i++) {
    h = encoderBlock(ctx, `block${i}`, h, {
      heads: config.heads,
      ffHidden: config.ffHidden,
      dropout: config.dropout,
    });
  }
  h = layerNorm(ctx, 'final_ln', h);
  const power = g.output(linear(ctx, 'power_head', h, config.appliances), 'power');
  const onLogits = g.output(linear(ctx, 'on_head', h, config.appliances), 'on_logits');
  return { input, power, onLogits };
}
