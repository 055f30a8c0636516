// Proves the builder's shape inference agrees with ONNX Runtime, rejects bad shapes at the call
// that makes them, and serialises a valid opset-17 ModelProto (static or with dim_param dims)
// whose pruned/derived variants keep only what their outputs need.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './graph.builder.js';
import { deriveGraph } from './graph.export.js';
import { decodeModel, IR_VERSION, OPSET_VERSION, serializeGraph } from './graph.serialize.js';
import { broadcastShapes, flatDim, reshapeTarget, resolveShape } from './graph.shapes.js';
import { asFloats, createForwardSession, createInferenceSession } from './graph.session.js';
import { Random, randomNormal } from './random.generator.js';

/** Direct 1-D convolution, the definition ONNX Conv implements. */
function referenceConv(
  x: Float32Array,
  w: Float32Array,
  [n, c, len]: number[],
  [o, k]: number[],
  pads: [number, number],
  stride: number,
  dilation: number,
): { out: number[]; outLen: number } {
  const outLen = Math.floor((len + pads[0] + pads[1] - dilation * (k - 1) - 1) / stride) + 1;
  const out: number[] = [];
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < o; oc++) {
      for (let t = 0; t < outLen; t++) {
        let s = 0;
        for (let ic = 0; ic < c; ic++) {
          for (let j = 0; j < k; j++) {
            const pos = t * stride + j * dilation - pads[0];
            if (pos >= 0 && pos < len)
              s += w[(oc * c + ic) * k + j]! * x[(b * c + ic) * len + pos]!;
          }
        }
        out.push(s);
      }
    }
  }
  return { out, outLen };
}

describe('shape helpers', () => {
  it('broadcasts numbers and symbols, never assuming a symbol is 1', () => {
    expect(broadcastShapes(['batch', 1, 4], [3, 1])).toEqual(['batch', 3, 4]);
    expect(() => broadcastShapes(['batch'], [3])).toThrow(/do not broadcast/);
  });

  it('encodes reshape targets that stay valid for any batch size', () => {
    expect(reshapeTarget(['batch', 8, 16], ['batch', 8, 2, 8])).toEqual([0, 8, 2, 8]);
    expect(reshapeTarget([8, 'batch'], ['batch', 8])).toEqual([-1, 8]);
    expect(() => reshapeTarget(['batch', 8], ['batch', 4])).toThrow(/Cannot reshape/);
    expect(() => reshapeTarget(['a', 'b'], ['b', 'a'])).toThrow(/more than one symbolic dim/);
  });

  it('flattens leading dims into a product dim and reshapes back, for any batch size', () => {
    expect(flatDim(['batch', 8, 16])).toBe('batch*8');
    expect(flatDim([4, 8, 16])).toBe(32);
    expect(flatDim(['batch', 16])).toBe('batch');
    expect(reshapeTarget(['batch', 8, 16], ['batch*8', 16])).toEqual([-1, 16]);
    expect(reshapeTarget(['batch*8', 16], ['batch', 8, 16])).toEqual([-1, 8, 16]);
    expect(() => reshapeTarget(['batch*8', 16], ['batch', 4, 16])).toThrow(/Cannot reshape/);
    expect(resolveShape(['batch*8', 16], { batch: 3 })).toEqual([24, 16]);
    expect(() => resolveShape(['rows*8'], { batch: 3 })).toThrow(/'rows' has no size/);
  });
});

describe('GraphBuilder shape inference', () => {
  const g = new GraphBuilder({ dims: { batch: 2 } });
  const x = g.input('x', ['batch', 3, 10]);

  it('infers MatMul with broadcast batch dims', () => {
    const a = g.input('a', ['batch', 1, 5, 6]);
    const b = g.input('b', [4, 6, 7]);
    expect(g.matmul(a, b).shape).toEqual(['batch', 4, 5, 7]);
    expect(() => g.matmul(a, g.input('bad', [5, 7]))).toThrow(/inner dims differ/);
  });

  it('infers Conv lengths and restricts symbolic lengths to same padding', () => {
    const w = g.param('w', [4, 3, 3], new Float32Array(36));
    expect(g.conv1d(x, w, undefined, { pads: [1, 0], stride: 2, dilation: 2 }).shape).toEqual([
      'batch',
      4,
      4,
    ]);
    const s = g.input('s', ['batch', 3, 'len']);
    expect(g.conv1d(s, w, undefined, { pads: [1, 1] }).shape).toEqual(['batch', 4, 'len']);
    expect(() => g.conv1d(s, w, undefined, { stride: 2 })).toThrow(/symbolic length/);
  });

  it('infers slices with negative and clamped bounds, concat and split', () => {
    expect(g.slice(x, [-4, 0], [100, 2], [2, 1]).shape).toEqual(['batch', 2, 4]);
    expect(g.concat([x, x], 1).shape).toEqual(['batch', 6, 10]);
    expect(g.split(x, [3, 7], 2).map((t) => t.shape)).toEqual([
      ['batch', 3, 3],
      ['batch', 3, 7],
    ]);
    expect(() => g.concat([x, x], 0)).toThrow(/Concat/);
  });

  it('infers reductions, squeeze/unsqueeze and transpose', () => {
    expect(g.reduceMean(x, [-1], false).shape).toEqual(['batch', 3]);
    expect(g.reduceSum(x, [0, 2], true).shape).toEqual([1, 3, 1]);
    expect(g.unsqueeze(x, [1]).shape).toEqual(['batch', 1, 3, 10]);
    expect(g.squeeze(g.unsqueeze(x, [1]), [1]).shape).toEqual(['batch', 3, 10]);
    expect(g.transpose(x, [2, 0, 1]).shape).toEqual([10, 'batch', 3]);
    expect(() => g.transpose(x, [0, 0, 1])).toThrow(/not a permutation/);
  });

  it('checks LayerNorm parameter shapes, parameter types and name clashes', () => {
    const scale = g.param('ln.s', [10], new Float32Array(10));
    expect(() => g.layerNorm(x, scale, g.param('ln.b', [3], new Float32Array(3)))).toThrow(
      /must have shape \[10\]/,
    );
    expect(() => g.param('p64', [2], new Float64Array(2))).toThrow(/Float32Array/);
    expect(() => g.input('x', [1])).toThrow(/already used/);
    expect(() => g.param('short', [2, 2], new Float32Array(3))).toThrow(/do not fill/);
  });

  it('defaults weight decay to on for matrices and off for vectors', () => {
    const h = new GraphBuilder();
    h.param('m', [2, 2], new Float32Array(4));
    h.param('v', [2], new Float32Array(2));
    h.output(h.input('i', [1]));
    const decay = Object.fromEntries(h.build().initializers.map((i) => [i.name, i.decay]));
    expect(decay).toEqual({ m: true, v: false });
  });
});

describe('serialisation', () => {
  it('writes an opset-17 model with dim_param or bound dims and raw tensor data', () => {
    const g = new GraphBuilder({ name: 'tiny', dims: { batch: 3 } });
    const x = g.input('x', ['batch', 2]);
    const w = g.param('w', [2, 2], Float32Array.from([1, 2, 3, 4]));
    g.output(g.matmul(x, w), 'y');
    const graph = g.build();
    const dynamic = decodeModel(serializeGraph(graph, { staticDims: false }));
    expect(Number(dynamic.irVersion)).toBe(IR_VERSION);
    expect(dynamic.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([
      ['', OPSET_VERSION],
    ]);
    const dim0 = (m: typeof dynamic) => m.graph?.input?.[0]?.type?.tensorType?.shape?.dim?.[0];
    expect(dim0(dynamic)?.dimParam).toBe('batch');
    expect(Number(dim0(decodeModel(serializeGraph(graph, { staticDims: true })))?.dimValue)).toBe(
      3,
    );
    const init = dynamic.graph?.initializer?.[0];
    const raw = init?.rawData ?? new Uint8Array();
    expect(Array.from(new Float32Array(Uint8Array.from(raw).buffer))).toEqual([1, 2, 3, 4]);
  });

  it('runs Conv in ONNX Runtime with the inferred output shape and the textbook values', async () => {
    const rng = new Random(3);
    const g = new GraphBuilder({ dims: { batch: 2 } });
    const x = g.input('x', ['batch', 3, 11]);
    const wData = randomNormal(rng, 4 * 3 * 3);
    const w = g.param('w', [4, 3, 3], wData);
    const y = g.output(g.conv1d(x, w, undefined, { pads: [2, 1], stride: 2, dilation: 2 }), 'y');
    const xData = randomNormal(rng, 2 * 3 * 11);
    const ref = referenceConv(xData, wData, [2, 3, 11], [4, 3], [2, 1], 2, 2);
    expect(y.shape).toEqual(['batch', 4, ref.outLen]);
    const session = await createForwardSession(g.build(), [y]);
    const out = asFloats((await session.run({ x: xData })).get('y'));
    expect(out.length).toBe(ref.out.length);
    out.forEach((v, i) => expect(v).toBeCloseTo(ref.out[i]!, 5));
    await session.release();
  });

  it('derives pruned graphs: unused nodes and inputs go, dropout becomes identity', async () => {
    const g = new GraphBuilder({ dims: { batch: 1 } });
    const x = g.input('x', ['batch', 4]);
    const target = g.input('target', ['batch', 4]);
    const h = g.dropout(g.tanh(x), 'drop', 0.5);
    const y = g.output(g.mul(h, 2, 'y'));
    g.output(g.meanAll(g.sub(y, target)), 'loss');
    const graph = g.build();
    const inference = deriveGraph(graph, { outputs: ['y'], dropout: 'identity' });
    expect(inference.inputs.map((i) => i.name)).toEqual(['x']);
    expect(inference.nodes.map((n) => n.op)).toEqual(['Tanh', 'Identity', 'Mul']);
    expect(deriveGraph(graph, { dropout: 'mask' }).inputs.map((i) => i.role)).toEqual([
      'data',
      'data',
      'dropoutMask',
    ]);

    const session = await createInferenceSession(serializeGraph(inference, { staticDims: false }));
    const out = await session.run({
      x: new ort.Tensor('float32', Float32Array.from([0, 1, 0, 1, 2, 0, 0, 0]), [2, 4]),
    });
    expect(Array.from(out.y!.data as Float32Array)).toEqual(
      [0, 1, 0, 1, 2, 0, 0, 0].map((v) => Math.fround(2 * Math.fround(Math.tanh(v)))),
    );
    await session.release();
  });
});
