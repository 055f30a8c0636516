// Layer blocks of the transformer, built on the graph builder: parameters (seeded or taken from
// trained weights), linear, layer norm, dropout, softplus, multi-head self-attention and the
// pre-norm encoder layer. The shipped graph (transformer/transformer.graph.ts) is made of them;
// a block emits exactly the ops it always did, so a model built from the same weights computes
// the same numbers (transformer.shipped.test.ts checks this against the shipped model files).
// A context made for an inference model (`inference: true`) lays linear layers out for the
// runtime instead: the leading dims flattened into rows, one 2-D MatMul and a 1-D bias Add,
// which ONNX Runtime fuses into one Gemm kernel (the 3-D form runs a separate Add pass).
// Training graphs keep the plain form, which autodiff differentiates.

import type { GraphBuilder } from './graph.builder.js';
import { flatDim } from './graph.shapes.js';
import type { TensorRef } from './graph.types.js';
import type { Random } from './random.generator.js';

/** How a parameter starts when no trained weights are given. */
export type ParamInit = 'xavier' | 'zeros' | 'ones' | number;

/** Where blocks emit ops and get their parameters. */
export interface BlockContext {
  readonly g: GraphBuilder;
  /** A parameter by name and shape (trained values when the model has weights). */
  param(name: string, shape: number[], init: ParamInit, decay?: boolean): TensorRef;
  /** A conv kernel [out, in, k], He-style normal init (fan-in in * k plus fan-out out). */
  convParam(name: string, shape: [number, number, number]): TensorRef;
  /** Ops laid out for ONNX Runtime's fused kernels (inference models; no autodiff). */
  readonly inference: boolean;
}

/**
 * Parameters for a graph: taken from `weights` when given (every parameter must be there, with
 * the right size), else drawn from `rng` in creation order, so a seed gives the same model.
 */
export function blockContext(
  g: GraphBuilder,
  rng: Random,
  weights?: ReadonlyMap<string, Float32Array>,
  options: { inference?: boolean } = {},
): BlockContext {
  const trained = (name: string, size: number): Float32Array | undefined => {
    const data = weights?.get(name);
    if (weights && !data) throw new Error(`weights have no parameter "${name}"`);
    if (data && data.length !== size)
      throw new Error(`parameter "${name}" has ${data.length} values, expected ${size}`);
    return data;
  };
  const param = (name: string, shape: number[], init: ParamInit, decay?: boolean): TensorRef => {
    const size = shape.reduce((a, b) => a * b, 1);
    let data = trained(name, size);
    if (!data) {
      data = new Float32Array(size);
      if (init === 'ones') data.fill(1);
      else if (typeof init === 'number') data.fill(init);
      else if (init === 'xavier') {
        // Stacked per-appliance head weights [A, in, out] count one appliance's fan-in.
        const fanOut = shape[shape.length - 1]!;
        const fanIn = size / fanOut / (shape.length > 2 && name.includes('head') ? shape[0]! : 1);
        const std = Math.sqrt(2 / (fanIn + fanOut));
        for (let i = 0; i < size; i++) data[i] = rng.normal() * std;
      }
    }
    return g.param(name, shape, data, decay === undefined ? {} : { decay });
  };
  const convParam = (name: string, shape: [number, number, number]): TensorRef => {
    const size = shape[0] * shape[1] * shape[2];
    let data = weights?.get(name);
    if (weights && !data) throw new Error(`weights have no parameter "${name}"`);
    if (!data) {
      const std = Math.sqrt(2 / (shape[1] * shape[2] + shape[0]));
      data = new Float32Array(size);
      for (let i = 0; i < size; i++) data[i] = rng.normal() * std;
    }
    return g.param(name, shape, data);
  };
  return { g, param, convParam, inference: options.inference ?? false };
}

/**
 * y = x W + b over the last axis: `<name>.w` [in, out] (Xavier), `<name>.b` [out] (zeros). In an
 * inference context the leading dims go through as rows of one 2-D product (see above).
 */
export function linear(
  ctx: BlockContext,
  x: TensorRef,
  name: string,
  inDim: number,
  outDim: number,
): TensorRef {
  const { g } = ctx;
  const w = ctx.param(`${name}.w`, [inDim, outDim], 'xavier');
  const b = ctx.param(`${name}.b`, [outDim], 'zeros');
  if (!ctx.inference || x.shape.length <= 2) return g.add(g.matmul(x, w), b);
  const y = g.add(g.matmul(g.reshape(x, [flatDim(x.shape), inDim]), w), b);
  return g.reshape(y, [...x.shape.slice(0, -1), outDim]);
}

/** LayerNorm over the last axis (epsilon 1e-5): `<name>.scale` (ones), `<name>.bias` (zeros). */
export function layerNorm(ctx: BlockContext, x: TensorRef, name: string, dim: number): TensorRef {
  return ctx.g.layerNorm(
    x,
    ctx.param(`${name}.scale`, [dim], 'ones'),
    ctx.param(`${name}.bias`, [dim], 'zeros'),
    { axis: -1, epsilon: 1e-5 },
  );
}

/** Dropout when `ratio` > 0 (mask input `<name>.mask`), otherwise x itself. */
export function dropout(g: GraphBuilder, x: TensorRef, name: string, ratio: number): TensorRef {
  return ratio > 0 ? g.dropout(x, `${name}.mask`, ratio) : x;
}

/** softplus(x) = log(1 + e^x) in the overflow-free form relu(x) + log(1 + e^-|x|). */
export function softplus(g: GraphBuilder, x: TensorRef): TensorRef {
  return g.add(g.relu(x), g.log(g.add(g.exp(g.neg(g.abs(x))), 1)));
}

/** Hyper-parameters of one encoder layer. */
export interface EncoderLayerOptions {
  /** Model width d. */
  readonly dModel: number;
  readonly heads: number;
  /** Feed-forward hidden width. */
  readonly ffDim: number;
  /** Dropout ratio of attention weights and residual branches (0 = none). */
  readonly dropout: number;
}

/**
 * Multi-head self-attention over x [batch, T, d] (T and d static): softmax(q k^T / sqrt(d/H))
 * with dropout on the attention weights, heads in one batched MatMul on [batch, H, T, d/H],
 * then the output projection `<name>.out`.
 */
export function selfAttention(
  ctx: BlockContext,
  x: TensorRef,
  name: string,
  options: EncoderLayerOptions,
): TensorRef {
  const { g } = ctx;
  const [batch, T, d] = x.shape;
  const H = options.heads;
  if (batch === undefined || typeof T !== 'number' || d !== options.dModel || d % H !== 0)
    throw new Error(`selfAttention: [${x.shape.join(', ')}] does not split into ${H} heads`);
  const dh = d / H;
  const splitHeads = (t: TensorRef): TensorRef =>
    g.transpose(g.reshape(t, [batch, T, H, dh]), [0, 2, 1, 3]); // [b, H, T, dh]
  const q = splitHeads(linear(ctx, x, `${name}.q`, d, d));
  const k = splitHeads(linear(ctx, x, `${name}.k`, d, d));
  const v = splitHeads(linear(ctx, x, `${name}.v`, d, d));
  const scores = g.mul(g.matmul(q, g.transpose(k, [0, 1, 3, 2])), 1 / Math.sqrt(dh)); // [b, H, T, T]
  const attn = dropout(g, g.softmax(scores, -1), `${name}.drop`, options.dropout);
  const ctxOut = g.reshape(g.transpose(g.matmul(attn, v), [0, 2, 1, 3]), [batch, T, d]);
  return linear(ctx, ctxOut, `${name}.out`, d, d);
}

/**
 * Pre-norm encoder layer: h + Drop(MHSA(LN(h))), then + Drop(FFN(LN(.))) with a GELU
 * feed-forward. Parameters `<name>.norm1`, `<name>.attn.*`, `<name>.norm2`, `<name>.ff1`,
 * `<name>.ff2`; dropout masks `<name>.attn.drop`, `<name>.attn.resdrop`, `<name>.ff.drop`.
 */
export function encoderLayer(
  ctx: BlockContext,
  h: TensorRef,
  name: string,
  options: EncoderLayerOptions,
): TensorRef {
  const { g } = ctx;
  const d = options.dModel;
  const attn = selfAttention(ctx, layerNorm(ctx, h, `${name}.norm1`, d), `${name}.attn`, options);
  const h1 = g.add(h, dropout(g, attn, `${name}.attn.resdrop`, options.dropout));
  const f = layerNorm(ctx, h1, `${name}.norm2`, d);
  const ff = linear(
    ctx,
    g.gelu(linear(ctx, f, `${name}.ff1`, d, options.ffDim)),
    `${name}.ff2`,
    options.ffDim,
    d,
  );
  return g.add(h1, dropout(g, ff, `${name}.ff.drop`, options.dropout));
}
