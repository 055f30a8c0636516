// Proves every gradient rule against central finite differences run through onnxruntime-node
// (float64 where ORT has double kernels, float32 for Conv and Erf), and the differentiator's
// bookkeeping: accumulation over reuse, frozen and unused parameters, and its error messages.
import { describe, expect, it } from 'vitest';
import { buildTrainingGraph, DIFFERENTIABLE_OPS } from './graph.autodiff.js';
import { GraphBuilder } from './graph.builder.js';
import { numElements } from './graph.shapes.js';
import { asFloats, TrainingSession } from './graph.session.js';
import type { Feeds } from './graph.session.js';
import type { FloatType, TensorRef } from './graph.types.js';
import { checkGradients } from './gradient.check.js';
import { Random, randomNormal } from './random.generator.js';

/** Parameter initialisers; `away` keeps values at least that far from zero (kinks, poles). */
interface Init {
  readonly scale?: number;
  readonly positive?: boolean;
  readonly away?: number;
}

function param(
  g: GraphBuilder,
  rng: Random,
  name: string,
  shape: number[],
  init: Init = {},
): TensorRef {
  const data = randomNormal(rng, numElements(shape), init.scale ?? 1, g.floatType);
  for (let i = 0; i < data.length; i++) {
    let v = data[i]!;
    if (init.positive) v = Math.abs(v) + 0.5;
    if (init.away !== undefined && Math.abs(v) < init.away)
      v = v < 0 ? v - init.away : v + init.away;
    data[i] = v;
  }
  return g.param(name, shape, data);
}

interface Case {
  readonly name: string;
  readonly floatType: FloatType;
  readonly build: (g: GraphBuilder, rng: Random) => TensorRef;
  readonly feeds?: (rng: Random) => Feeds;
  readonly rtol?: number;
}

const F64 = { eps: 1e-6, rtol: 1e-6, atol: 1e-7 };
const F32 = { eps: 1e-2, rtol: 1e-2, atol: 2e-3 };
const covered = new Set<string>();

const cases: Case[] = [
  {
    name: 'Add broadcasting both operands',
    floatType: 'float64',
    build: (g, r) => g.add(param(g, r, 'a', [2, 3, 4]), param(g, r, 'b', [3, 1])),
  },
  {
    name: 'Sub broadcasting the left operand',
    floatType: 'float64',
    build: (g, r) => g.sub(param(g, r, 'a', [3, 4]), param(g, r, 'b', [2, 1, 4])),
  },
  {
    name: 'Mul broadcasting a vector',
    floatType: 'float64',
    build: (g, r) => g.mul(param(g, r, 'a', [2, 3]), param(g, r, 'b', [3])),
  },
  {
    name: 'Div with broadcasting',
    floatType: 'float64',
    build: (g, r) => g.div(param(g, r, 'a', [2, 3]), param(g, r, 'b', [2, 1], { positive: true })),
  },
  { name: 'Neg', floatType: 'float64', build: (g, r) => g.neg(param(g, r, 'a', [2, 3])) },
  { name: 'Identity', floatType: 'float64', build: (g, r) => g.identity(param(g, r, 'a', [2, 3])) },
  {
    name: 'Sum of three, broadcast',
    floatType: 'float64',
    build: (g, r) =>
      g.sum([param(g, r, 'a', [2, 3]), param(g, r, 'b', [3]), param(g, r, 'c', [2, 1])]),
  },
  {
    name: 'MatMul batch x shared matrix (GEMM path)',
    floatType: 'float64',
    build: (g, r) => g.matmul(param(g, r, 'x', [2, 3, 4]), param(g, r, 'w', [4, 5])),
  },
  {
    name: 'MatMul broadcasting leading dims both ways',
    floatType: 'float64',
    build: (g, r) => g.matmul(param(g, r, 'a', [2, 1, 3, 4]), param(g, r, 'b', [3, 4, 2])),
  },
  {
    name: 'MatMul matrix x batch',
    floatType: 'float64',
    build: (g, r) => g.matmul(param(g, r, 'a', [3, 4]), param(g, r, 'b', [2, 4, 2])),
  },
  {
    name: 'MatMul 2-D',
    floatType: 'float64',
    build: (g, r) => g.matmul(param(g, r, 'a', [3, 4]), param(g, r, 'b', [4, 2])),
  },
  {
    name: 'Softmax last axis',
    floatType: 'float64',
    build: (g, r) => g.softmax(param(g, r, 'x', [2, 3, 5])),
  },
  {
    name: 'Softmax axis 1',
    floatType: 'float64',
    build: (g, r) => g.softmax(param(g, r, 'x', [2, 4, 3]), 1),
  },
  {
    // ORT returns LayerNorm statistics in float32 even for double inputs, hence rtol 1e-5.
    name: 'LayerNormalization last axis (float64)',
    floatType: 'float64',
    rtol: 1e-5,
    build: (g, r) =>
      g.layerNorm(param(g, r, 'x', [2, 3, 6]), param(g, r, 's', [6]), param(g, r, 'b', [6])),
  },
  {
    name: 'LayerNormalization over two axes (float64)',
    floatType: 'float64',
    rtol: 1e-5,
    build: (g, r) =>
      g.layerNorm(param(g, r, 'x', [2, 3, 4]), param(g, r, 's', [3, 4]), param(g, r, 'b', [3, 4]), {
        axis: 1,
      }),
  },
  {
    name: 'LayerNormalization (float32)',
    floatType: 'float32',
    build: (g, r) =>
      g.layerNorm(param(g, r, 'x', [3, 8]), param(g, r, 's', [8]), param(g, r, 'b', [8])),
  },
  { name: 'Erf (float32)', floatType: 'float32', build: (g, r) => g.erf(param(g, r, 'x', [3, 4])) },
  {
    name: 'Gelu erf (float32)',
    floatType: 'float32',
    build: (g, r) => g.gelu(param(g, r, 'x', [3, 4])),
  },
  {
    name: 'Gelu tanh',
    floatType: 'float64',
    build: (g, r) => g.gelu(param(g, r, 'x', [3, 4]), 'tanh'),
  },
  { name: 'Tanh', floatType: 'float64', build: (g, r) => g.tanh(param(g, r, 'x', [3, 4])) },
  {
    name: 'Relu',
    floatType: 'float64',
    build: (g, r) => g.relu(param(g, r, 'x', [3, 4], { away: 0.1 })),
  },
  { name: 'Sigmoid', floatType: 'float64', build: (g, r) => g.sigmoid(param(g, r, 'x', [3, 4])) },
  { name: 'Exp', floatType: 'float64', build: (g, r) => g.exp(param(g, r, 'x', [3, 4])) },
  {
    name: 'Log',
    floatType: 'float64',
    build: (g, r) => g.log(param(g, r, 'x', [3, 4], { positive: true })),
  },
  {
    name: 'Sqrt',
    floatType: 'float64',
    build: (g, r) => g.sqrt(param(g, r, 'x', [3, 4], { positive: true })),
  },
  {
    name: 'Abs',
    floatType: 'float64',
    build: (g, r) => g.abs(param(g, r, 'x', [3, 4], { away: 0.1 })),
  },
  { name: 'Pow 3', floatType: 'float64', build: (g, r) => g.pow(param(g, r, 'x', [3, 4]), 3) },
  { name: 'Pow 2', floatType: 'float64', build: (g, r) => g.pow(param(g, r, 'x', [3, 4]), 2) },
  {
    name: 'Pow -0.5',
    floatType: 'float64',
    build: (g, r) => g.pow(param(g, r, 'x', [3, 4], { positive: true }), -0.5),
  },
  {
    name: 'Conv pads 1, bias',
    floatType: 'float32',
    build: (g, r) =>
      g.conv1d(param(g, r, 'x', [2, 3, 9]), param(g, r, 'w', [4, 3, 3]), param(g, r, 'b', [4]), {
        pads: [1, 1],
      }),
  },
  {
    name: 'Conv dilation 2, asymmetric pads',
    floatType: 'float32',
    build: (g, r) =>
      g.conv1d(param(g, r, 'x', [2, 2, 8]), param(g, r, 'w', [3, 2, 3]), undefined, {
        pads: [3, 1],
        dilation: 2,
      }),
  },
  {
    name: 'Conv stride 2 (output padding in the input gradient)',
    floatType: 'float32',
    build: (g, r) =>
      g.conv1d(param(g, r, 'x', [2, 2, 10]), param(g, r, 'w', [3, 2, 3]), param(g, r, 'b', [3]), {
        pads: [1, 0],
        stride: 2,
      }),
  },
  {
    // (12 - 1 - 1) mod 3 = 1 leftover position makes the weight-gradient conv one tap too long.
    name: 'Conv stride 3 (weight gradient sliced)',
    floatType: 'float32',
    build: (g, r) =>
      g.conv1d(param(g, r, 'x', [1, 2, 12]), param(g, r, 'w', [2, 2, 2]), undefined, { stride: 3 }),
  },
  {
    name: 'Conv stride 2 dilation 3',
    floatType: 'float32',
    build: (g, r) =>
      g.conv1d(param(g, r, 'x', [2, 2, 11]), param(g, r, 'w', [2, 2, 2]), undefined, {
        pads: [0, 2],
        stride: 2,
        dilation: 3,
      }),
  },
  {
    name: 'Transpose',
    floatType: 'float64',
    build: (g, r) => g.transpose(param(g, r, 'x', [2, 3, 4]), [2, 0, 1]),
  },
  {
    name: 'Reshape',
    floatType: 'float64',
    build: (g, r) => g.reshape(param(g, r, 'x', [2, 3, 4]), [6, 4]),
  },
  {
    name: 'Unsqueeze and Squeeze',
    floatType: 'float64',
    build: (g, r) => g.squeeze(g.mul(g.unsqueeze(param(g, r, 'x', [2, 3]), [1]), 2), [1]),
  },
  {
    name: 'Slice two axes, negative start',
    floatType: 'float64',
    build: (g, r) => g.slice(param(g, r, 'x', [3, 8]), [-2, 2], [3, 6], [0, 1]),
  },
  {
    name: 'Concat',
    floatType: 'float64',
    build: (g, r) =>
      g.concat(
        [param(g, r, 'a', [2, 1, 3]), param(g, r, 'b', [2, 2, 3]), param(g, r, 'c', [2, 3, 3])],
        1,
      ),
  },
  {
    name: 'ReduceMean without keepdims',
    floatType: 'float64',
    build: (g, r) => g.reduceMean(param(g, r, 'x', [2, 3, 4]), [1], false),
  },
  {
    name: 'ReduceSum with keepdims',
    floatType: 'float64',
    build: (g, r) => g.reduceSum(param(g, r, 'x', [2, 3, 4]), [0, 2], true),
  },
  {
    name: 'Expand',
    floatType: 'float64',
    build: (g, r) => g.expandAs(param(g, r, 'x', [3, 1]), param(g, r, 'like', [2, 3, 4])),
  },
  {
    name: 'Where with a fed condition',
    floatType: 'float64',
    build: (g, r) =>
      g.where(g.input('cond', [2, 3], 'bool'), param(g, r, 'a', [2, 3]), param(g, r, 'b', [3])),
    feeds: () => ({ cond: Uint8Array.from([1, 0, 1, 0, 0, 1]) }),
  },
  {
    name: 'Dropout with a fed mask',
    floatType: 'float64',
    build: (g, r) => g.dropout(param(g, r, 'x', [2, 3]), 'mask', 0.5),
    feeds: () => ({ mask: Float64Array.from([2, 0, 2, 2, 0, 0]) }),
  },
  {
    name: 'reuse: x feeds three ops (accumulation)',
    floatType: 'float64',
    build: (g, r) => {
      const x = param(g, r, 'x', [2, 3]);
      return g.add(g.mul(g.tanh(x), x), x);
    },
  },
];

describe('gradient rules match finite differences', () => {
  it.each(cases)('$name', async (c) => {
    const rng = new Random(1234);
    const g = new GraphBuilder({ floatType: c.floatType, name: c.name.replace(/\W+/g, '_') });
    const out = c.build(g, rng);
    // A random weighting makes every output element matter with a different sensitivity.
    const weights = g.constant(
      randomNormal(rng, numElements(out.shape), 1, c.floatType),
      out.shape as number[],
    );
    const loss = g.output(g.sumAll(g.mul(out, weights)), 'loss');
    const graph = g.build();
    for (const n of graph.nodes) covered.add(n.op);
    const tol = c.floatType === 'float64' ? F64 : F32;
    const result = await checkGradients(graph, loss, {
      ...tol,
      rtol: c.rtol ?? tol.rtol,
      feeds: c.feeds?.(rng),
    });
    expect(result.failures).toEqual([]);
    expect(result.checked).toBeGreaterThan(0);
  });

  it('covers every op that has a gradient rule', () => {
    expect(DIFFERENTIABLE_OPS.filter((op) => !covered.has(op))).toEqual([]);
  });
});

describe('buildTrainingGraph', () => {
  it('sums gradient contributions when a value is used twice', async () => {
    const g = new GraphBuilder();
    const x = g.param('x', [3], Float32Array.from([1, -2, 3]));
    const loss = g.output(g.sumAll(g.mul(x, x)), 'loss');
    const session = await TrainingSession.create(buildTrainingGraph(g.build(), { loss }));
    const step = await session.run({});
    expect(step.loss).toBeCloseTo(14, 5);
    expect(Array.from(step.grads.get('x')!)).toEqual([2, -4, 6]);
    await session.release();
  });

  it('returns zeros for a parameter the loss does not reach and bakes in frozen ones', async () => {
    const g = new GraphBuilder();
    const a = g.param('a', [2], Float32Array.from([1, 2]));
    g.param('unused', [2], Float32Array.from([5, 5]));
    const frozen = g.param('frozen', [2], Float32Array.from([3, 4]));
    const loss = g.output(g.sumAll(g.mul(a, frozen)), 'loss');
    const training = buildTrainingGraph(g.build(), { loss, params: ['a', 'unused'] });
    expect(training.graph.inputs.map((i) => i.name).sort()).toEqual(['a']);
    const session = await TrainingSession.create(training);
    const step = await session.run({});
    expect(Array.from(step.grads.get('a')!)).toEqual([3, 4]);
    expect(Array.from(step.grads.get('unused')!)).toEqual([0, 0]);
    await session.release();
  });

  it('keeps gradients flowing through a value that is also a requested output', async () => {
    const g = new GraphBuilder({ dims: { batch: 2 } });
    const x = g.input('x', ['batch', 2]);
    const w = g.param('w', [2, 1], Float32Array.from([0.5, -1]));
    const pred = g.output(g.matmul(x, w), 'pred');
    const loss = g.output(g.meanAll(g.mul(pred, pred)), 'loss');
    const session = await TrainingSession.create(
      buildTrainingGraph(g.build(), { loss, outputs: [pred] }),
    );
    const step = await session.run({ x: Float32Array.from([1, 2, 3, 4]) });
    // pred = [-1.5, -2.5]; loss = mean(pred^2); dL/dw = X^T (pred) for mean over 2 rows.
    expect(Array.from(asFloats(step.outputs.get('pred')))).toEqual([-1.5, -2.5]);
    expect(step.loss).toBeCloseTo((1.5 ** 2 + 2.5 ** 2) / 2, 5);
    expect(Array.from(step.grads.get('w')!)).toEqual([1 * -1.5 + 3 * -2.5, 2 * -1.5 + 4 * -2.5]);
    await session.release();
  });

  it('rejects a loss with more than one element', () => {
    const g = new GraphBuilder();
    const x = g.param('x', [3], Float32Array.from([1, 2, 3]));
    const y = g.output(g.mul(x, 2), 'y');
    expect(() => buildTrainingGraph(g.build(), { loss: y })).toThrow(/must have one element/);
  });

  it('names the op when a gradient rule is missing', () => {
    const g = new GraphBuilder();
    const x = g.param('x', [2, 2], Float32Array.from([1, 2, 3, 4]));
    const loss = g.output(g.sumAll(g.gemm(x, x)), 'loss');
    expect(() => buildTrainingGraph(g.build(), { loss })).toThrow(/No gradient rule for op 'Gemm'/);
  });
});
