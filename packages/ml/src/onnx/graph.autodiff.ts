// Reverse-mode differentiation of a forward graph into one ONNX training graph. ONNX Runtime for
// Node has no autodiff, so each op's vector-Jacobian product is written here as more ONNX ops,
// appended after the forward nodes; one session run then yields the loss and every gradient.

import { attrInt, attrInts, GraphBuilder } from './graph.builder.js';
import { deriveGraph } from './graph.export.js';
import { formatShape, normAxis, numElements, sameShape } from './graph.shapes.js';
import type { Graph, InitializerDef, NodeDef, Shape, TensorRef } from './graph.types.js';
import { DROPOUT_OP } from './graph.types.js';

/** What to differentiate. */
export interface TrainingGraphOptions {
  /** The scalar (one-element) loss. */
  readonly loss: string | TensorRef;
  /** Forward values to return alongside the loss (predictions, metrics). */
  readonly outputs?: readonly (string | TensorRef)[];
  /**
   * Parameters to train (default: every trainable parameter). The others are frozen: baked
   * into the training graph as constants, with no gradient.
   */
  readonly params?: readonly string[];
}

/** A parameter being trained: its live weight array and where its gradient comes out. */
export interface TrainableParam {
  readonly name: string;
  readonly shape: readonly number[];
  /** Shared with the forward graph; update it in place (the optimizer does). */
  readonly data: Float32Array | Float64Array;
  readonly decay: boolean;
  /** Name of the graph output that holds d(loss)/d(param). */
  readonly grad: string;
}

/** A forward+backward graph and the names needed to run it. */
export interface TrainingGraph {
  /** Static-shaped graph; trained parameters are inputs with role 'param'. */
  readonly graph: Graph;
  /** The forward graph it was derived from (for exporting the inference model). */
  readonly forward: Graph;
  readonly loss: string;
  readonly outputs: readonly string[];
  readonly params: readonly TrainableParam[];
}

/** Helpers handed to each op's gradient rule. */
interface VjpContext {
  readonly b: GraphBuilder;
  value(name: string): TensorRef;
  /** Sums a gradient over broadcast axes so it has `shape`. */
  unbroadcast(g: TensorRef, shape: Shape): TensorRef;
  /** The values of a constant input (for exponents, slice bounds, reduce axes). */
  constant(name: string): number[];
}

/**
 * Returns, for each input of `node`, the gradient of the loss w.r.t. that input (or undefined
 * when it needs none); `dys` are the gradients w.r.t. the node's outputs.
 */
type Vjp = (
  c: VjpContext,
  node: NodeDef,
  dys: readonly (TensorRef | undefined)[],
  needs: readonly boolean[],
) => (TensorRef | undefined)[];

/** Ops whose outputs carry no gradient (booleans, shapes, piecewise constants). */
const NON_DIFFERENTIABLE = new Set(['Greater', 'Less', 'Sign', 'Shape']);

const SQRT_PI_INV_2 = 2 / Math.sqrt(Math.PI);

function only(dys: readonly (TensorRef | undefined)[]): TensorRef {
  const dy = dys[0];
  if (!dy) throw new Error('internal: gradient rule called without an output gradient');
  return dy;
}

/** Swaps the last two axes. */
function swapLast(b: GraphBuilder, x: TensorRef): TensorRef {
  const r = x.shape.length;
  const perm = x.shape.map((_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return b.transpose(x, perm);
}

const VJPS: Record<string, Vjp> = {
  Add: (c, n, dys, needs) => {
    const dy = only(dys);
    return [
      needs[0] ? c.unbroadcast(dy, c.value(n.inputs[0]!).shape) : undefined,
      needs[1] ? c.unbroadcast(dy, c.value(n.inputs[1]!).shape) : undefined,
    ];
  },
  Sub: (c, n, dys, needs) => {
    const dy = only(dys);
    return [
      needs[0] ? c.unbroadcast(dy, c.value(n.inputs[0]!).shape) : undefined,
      needs[1] ? c.b.neg(c.unbroadcast(dy, c.value(n.inputs[1]!).shape)) : undefined,
    ];
  },
  Mul: (c, n, dys, needs) => {
    const dy = only(dys);
    const [a, b] = [c.value(n.inputs[0]!), c.value(n.inputs[1]!)];
    return [
      needs[0] ? c.unbroadcast(c.b.mul(dy, b), a.shape) : undefined,
      needs[1] ? c.unbroadcast(c.b.mul(dy, a), b.shape) : undefined,
    ];
  },
  Div: (c, n, dys, needs) => {
    const dy = only(dys);
    const [a, b, y] = [c.value(n.inputs[0]!), c.value(n.inputs[1]!), c.value(n.outputs[0]!)];
    // d(a/b)/db = -a/b^2 = -y/b, which reuses the forward output.
    return [
      needs[0] ? c.unbroadcast(c.b.div(dy, b), a.shape) : undefined,
      needs[1] ? c.b.neg(c.unbroadcast(c.b.div(c.b.mul(dy, y), b), b.shape)) : undefined,
    ];
  },
  Pow: (c, n, dys, needs) => {
    if (needs[1]) throw new Error('Pow: only a constant exponent is supported');
    const dy = only(dys);
    const x = c.value(n.inputs[0]!);
    const exponent = c.constant(n.inputs[1]!);
    if (exponent.length !== 1) throw new Error('Pow: the exponent must be a scalar constant');
    const p = exponent[0]!;
    const b = c.b;
    let gx: TensorRef;
    if (p === 1) gx = dy;
    else if (p === 2) gx = b.mul(dy, b.mul(x, 2));
    else gx = b.mul(dy, b.mul(b.pow(x, p - 1), p));
    return [c.unbroadcast(gx, x.shape), undefined];
  },
  Sum: (c, n, dys, needs) => {
    const dy = only(dys);
    return n.inputs.map((name, i) =>
      needs[i] ? c.unbroadcast(dy, c.value(name).shape) : undefined,
    );
  },
  Neg: (c, _n, dys) => [c.b.neg(only(dys))],
  Identity: (_c, _n, dys) => [only(dys)],
  Exp: (c, n, dys) => [c.b.mul(only(dys), c.value(n.outputs[0]!))],
  Log: (c, n, dys) => [c.b.div(only(dys), c.value(n.inputs[0]!))],
  Sqrt: (c, n, dys) => [c.b.div(c.b.mul(only(dys), 0.5), c.value(n.outputs[0]!))],
  Tanh: (c, n, dys) => {
    const y = c.value(n.outputs[0]!);
    return [c.b.mul(only(dys), c.b.sub(1, c.b.mul(y, y)))];
  },
  Sigmoid: (c, n, dys) => {
    const y = c.value(n.outputs[0]!);
    return [c.b.mul(only(dys), c.b.mul(y, c.b.sub(1, y)))];
  },
  Relu: (c, n, dys) => [c.b.where(c.b.greater(c.value(n.inputs[0]!), 0), only(dys), 0)],
  Abs: (c, n, dys) => [c.b.mul(only(dys), c.b.sign(c.value(n.inputs[0]!)))],
  Erf: (c, n, dys) => {
    const x = c.value(n.inputs[0]!);
    const density = c.b.exp(c.b.mul(c.b.mul(x, x), -1));
    return [c.b.mul(only(dys), c.b.mul(density, SQRT_PI_INV_2))];
  },
  Where: (c, n, dys, needs) => {
    const dy = only(dys);
    const [cond, a, b] = n.inputs.map((i) => c.value(i)) as [TensorRef, TensorRef, TensorRef];
    return [
      undefined,
      needs[1] ? c.unbroadcast(c.b.where(cond, dy, 0), a.shape) : undefined,
      needs[2] ? c.unbroadcast(c.b.where(cond, 0, dy), b.shape) : undefined,
    ];
  },
  [DROPOUT_OP]: (c, n, dys) => [c.b.mul(only(dys), c.value(n.inputs[1]!)), undefined],
  MatMul: (c, n, dys, needs) => {
    const dy = only(dys);
    const b = c.b;
    const [x, w] = [c.value(n.inputs[0]!), c.value(n.inputs[1]!)];
    let gx: TensorRef | undefined;
    let gw: TensorRef | undefined;
    if (needs[0]) gx = c.unbroadcast(b.matmul(dy, swapLast(b, w)), x.shape);
    if (needs[1]) {
      if (w.shape.length === 2 && x.shape.length > 2) {
        // Shared weight over a batch: fold the batch into rows and do one GEMM, instead of a
        // batched product followed by a sum over the batch.
        const k = x.shape[x.shape.length - 1]!;
        const m = w.shape[1]!;
        const rows = numElements(x.shape) / (k as number);
        gw = b.gemm(b.reshape(x, [rows, k]), b.reshape(dy, [rows, m]), { transA: true });
      } else {
        gw = c.unbroadcast(b.matmul(swapLast(b, x), dy), w.shape);
      }
    }
    return [gx, gw];
  },
  Softmax: (c, n, dys) => {
    const dy = only(dys);
    const y = c.value(n.outputs[0]!);
    const axis = attrInt(n, 'axis', -1);
    const dot = c.b.reduceSum(c.b.mul(dy, y), [axis], true);
    return [c.b.mul(y, c.b.sub(dy, dot))];
  },
  LayerNormalization: (c, n, dys, needs) => {
    const dy = only(dys);
    const b = c.b;
    const [x, scale] = [c.value(n.inputs[0]!), c.value(n.inputs[1]!)];
    const axis = normAxis(attrInt(n, 'axis', -1), x.shape.length);
    const normAxes = x.shape.map((_, i) => i).slice(axis);
    const leading = x.shape.map((_, i) => i).slice(0, axis);
    // Mean and 1/std come from the forward node's optional outputs (always float32 in ORT).
    const toFloat = (t: TensorRef): TensorRef =>
      t.dtype === b.floatType ? t : b.cast(t, b.floatType);
    const mean = toFloat(c.value(n.outputs[1]!));
    const rstd = toFloat(c.value(n.outputs[2]!));
    const xhat = b.mul(b.sub(x, mean), rstd);
    const sumLeading = (t: TensorRef): TensorRef =>
      leading.length ? b.reduceSum(t, leading, false) : t;
    let gx: TensorRef | undefined;
    if (needs[0]) {
      const dxhat = b.mul(dy, scale);
      const m1 = b.reduceMean(dxhat, normAxes, true);
      const m2 = b.reduceMean(b.mul(dxhat, xhat), normAxes, true);
      gx = b.mul(b.sub(b.sub(dxhat, m1), b.mul(xhat, m2)), rstd);
    }
    return [
      gx,
      needs[1] ? sumLeading(b.mul(dy, xhat)) : undefined,
      needs[2] ? sumLeading(dy) : undefined,
    ];
  },
  Conv: (c, n, dys, needs) => {
    const dy = only(dys);
    const b = c.b;
    const [x, w] = [c.value(n.inputs[0]!), c.value(n.inputs[1]!)];
    if (attrInt(n, 'group', 1) !== 1) throw new Error('Conv gradient: only group = 1');
    const pads = attrInts(n, 'pads', [0, 0]) as [number, number];
    const stride = attrInts(n, 'strides', [1])[0]!;
    const dilation = attrInts(n, 'dilations', [1])[0]!;
    const len = x.shape[2] as number;
    const k = w.shape[2] as number;
    const outLen = dy.shape[2] as number;
    let gx: TensorRef | undefined;
    let gw: TensorRef | undefined;
    if (needs[0]) {
      // The adjoint of a convolution is the transposed convolution with the same kernel;
      // output padding recovers input positions the strided forward never reached.
      const covered = stride * (outLen - 1) + dilation * (k - 1) + 1 - pads[0] - pads[1];
      gx = b.convTranspose1d(dy, w, { pads, stride, dilation, outputPadding: len - covered });
    }
    if (needs[1]) {
      // dW[o,c,k] = sum_n,t dy[n,o,t] x[n,c,stride t + dilation k]: a convolution of x (batch
      // and channels swapped) with dy as the kernel, where stride and dilation trade places.
      const xt = b.transpose(x, [1, 0, 2]);
      const dyt = b.transpose(dy, [1, 0, 2]);
      let r = b.conv1d(xt, dyt, undefined, { pads, stride: dilation, dilation: stride });
      if (r.shape[2] !== k) r = b.slice(r, [0], [k], [2]);
      gw = b.transpose(r, [1, 0, 2]);
    }
    return [gx, gw, needs[2] ? b.reduceSum(dy, [0, 2], false) : undefined];
  },
  Transpose: (c, n, dys) => {
    const perm = attrInts(n, 'perm', []);
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [c.b.transpose(only(dys), inverse)];
  },
  Reshape: (c, n, dys) => [c.b.reshape(only(dys), c.value(n.inputs[0]!).shape), undefined],
  Unsqueeze: (c, n, dys) => [c.b.reshape(only(dys), c.value(n.inputs[0]!).shape), undefined],
  Squeeze: (c, n, dys) => [c.b.reshape(only(dys), c.value(n.inputs[0]!).shape), undefined],
  Slice: (c, n, dys) => {
    const x = c.value(n.inputs[0]!);
    const [starts, ends, axes] = [1, 2, 3].map((i) => c.constant(n.inputs[i]!)) as [
      number[],
      number[],
      number[],
    ];
    if (n.inputs.length > 4) throw new Error('Slice gradient: steps are not supported');
    const rank = x.shape.length;
    const pads = new Array<number>(2 * rank).fill(0);
    axes.forEach((a, i) => {
      pads[a] = starts[i]!;
      pads[a + rank] = (x.shape[a] as number) - ends[i]!;
    });
    return [c.b.pad(only(dys), pads), undefined, undefined, undefined];
  },
  Concat: (c, n, dys, needs) => {
    const axis = attrInt(n, 'axis', 0);
    const sizes = n.inputs.map((i) => c.value(i).shape[axis] as number);
    const parts = c.b.split(only(dys), sizes, axis);
    return parts.map((p, i) => (needs[i] ? p : undefined));
  },
  ReduceSum: (c, n, dys) => {
    const x = c.value(n.inputs[0]!);
    const axes = c.constant(n.inputs[1]!);
    const keep = attrInt(n, 'keepdims', 1) === 1;
    const g = keep ? only(dys) : c.b.unsqueeze(only(dys), axes);
    return [c.b.expandAs(g, x), undefined];
  },
  ReduceMean: (c, n, dys) => {
    const x = c.value(n.inputs[0]!);
    const axes = attrInts(n, 'axes', []);
    const keep = attrInt(n, 'keepdims', 1) === 1;
    const count = axes.reduce((p, a) => p * (x.shape[a] as number), 1);
    const g = keep ? only(dys) : c.b.unsqueeze(only(dys), axes);
    return [c.b.expandAs(c.b.mul(g, 1 / count), x)];
  },
  Expand: (c, n, dys) => [c.unbroadcast(only(dys), c.value(n.inputs[0]!).shape), undefined],
};

/** Op types the differentiator can backpropagate through. */
export const DIFFERENTIABLE_OPS: readonly string[] = Object.keys(VJPS).sort();

/** Gives each LayerNormalization node its Mean and InvStdDev outputs, which the gradient reuses. */
function exposeLayerNormStats(graph: Graph): Graph {
  const values = new Map(graph.values);
  const nodes = graph.nodes.map((n) => {
    if (n.op !== 'LayerNormalization' || n.outputs.length >= 3) return n;
    const y = values.get(n.outputs[0]!)!;
    const axis = normAxis(attrInt(n, 'axis', -1), y.shape.length);
    const statShape = y.shape.map((d, i) => (i < axis ? d : 1));
    const extra = ['mean', 'rstd'].map((s) => `${y.name}__${s}`);
    for (const name of extra) {
      if (values.has(name)) throw new Error(`Name '${name}' is reserved for LayerNorm statistics`);
      values.set(name, { name, shape: statShape, dtype: 'float32' });
    }
    return { ...n, outputs: [y.name, ...extra] };
  });
  return { ...graph, nodes, values };
}

/**
 * Differentiates `graph` with respect to its trainable parameters and returns one static
 * forward+backward graph whose outputs are the loss, the requested forward outputs and one
 * gradient per trained parameter. Gradients of a value used several times are summed.
 */
export function buildTrainingGraph(graph: Graph, options: TrainingGraphOptions): TrainingGraph {
  const lossName = typeof options.loss === 'string' ? options.loss : options.loss.name;
  const extra = (options.outputs ?? []).map((o) => (typeof o === 'string' ? o : o.name));
  const trainable = graph.initializers.filter((i) => i.trainable);
  const chosen: InitializerDef[] = options.params
    ? options.params.map((name) => {
        const p = trainable.find((i) => i.name === name);
        if (!p) throw new Error(`'${name}' is not a trainable parameter of '${graph.name}'`);
        return p;
      })
    : trainable;
  const base = exposeLayerNormStats(
    deriveGraph(graph, {
      outputs: [lossName, ...extra.filter((o) => o !== lossName)],
      paramsAsInputs: chosen.map((p) => p.name),
      dropout: 'mask',
      staticShapes: true,
    }),
  );
  const b = GraphBuilder.from({ ...base, name: `${graph.name}_training` });
  const loss = b.value(lossName);
  if (numElements(loss.shape) !== 1) {
    throw new Error(
      `Loss '${lossName}' must have one element, has shape ${formatShape(loss.shape)}`,
    );
  }

  // Which values depend on a trained parameter (only those need gradients).
  const requires = new Set(chosen.map((p) => p.name).filter((name) => base.values.has(name)));
  for (const node of base.nodes) {
    if (NON_DIFFERENTIABLE.has(node.op)) continue;
    if (node.inputs.some((i) => requires.has(i))) {
      for (const o of node.outputs) if (b.value(o).dtype === b.floatType) requires.add(o);
    }
  }

  const ctx: VjpContext = {
    b,
    value: (name) => b.value(name),
    unbroadcast: (g, shape) => unbroadcast(b, g, shape),
    constant: (name) => {
      const init = b.initializer(name);
      if (!init || init.trainable) throw new Error(`'${name}' must be a constant initializer`);
      return Array.from(init.data, Number);
    },
  };

  const contributions = new Map<string, TensorRef[]>();
  const gradOf = (name: string): TensorRef | undefined => {
    const parts = contributions.get(name);
    if (!parts || parts.length === 0) return undefined;
    if (parts.length > 1) contributions.set(name, [b.sum(parts)]);
    return contributions.get(name)![0];
  };
  contributions.set(lossName, [b.constant(new Array<number>(1).fill(1), loss.shape as number[])]);

  for (let i = base.nodes.length - 1; i >= 0; i--) {
    const node = base.nodes[i]!;
    if (NON_DIFFERENTIABLE.has(node.op)) continue;
    const needs = node.inputs.map((inp) => requires.has(inp));
    if (!needs.some(Boolean)) continue;
    const dys = node.outputs.map(gradOf);
    if (!dys.some(Boolean)) continue;
    const rule = VJPS[node.op];
    if (!rule)
      throw new Error(`No gradient rule for op '${node.op}' (output '${node.outputs[0]}')`);
    const grads = rule(ctx, node, dys, needs);
    node.inputs.forEach((inp, k) => {
      const g = grads[k];
      if (!g || !needs[k]) return;
      const expected = b.value(inp).shape;
      if (!sameShape(g.shape, expected)) {
        throw new Error(
          `internal: ${node.op} gradient for '${inp}' has shape ${formatShape(g.shape)}, expected ${formatShape(expected)}`,
        );
      }
      const list = contributions.get(inp) ?? [];
      list.push(g);
      contributions.set(inp, list);
    });
  }

  const params: TrainableParam[] = chosen.map((p) => {
    const gradName = `${p.name}__grad`;
    const g = gradOf(p.name);
    // A parameter the loss does not reach still gets a (zero) gradient, so callers need no
    // special case.
    const value = g ?? b.constant(new Array<number>(p.data.length).fill(0), p.shape, b.floatType);
    b.output(value, gradName);
    return {
      name: p.name,
      shape: p.shape,
      data: p.data as Float32Array | Float64Array,
      decay: p.decay,
      grad: gradName,
    };
  });

  return { graph: b.build(), forward: graph, loss: lossName, outputs: extra, params };
}

/** Sums `g` over the axes along which a tensor of `shape` was broadcast to g's shape. */
function unbroadcast(b: GraphBuilder, g: TensorRef, shape: Shape): TensorRef {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.shape.length - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.shape.length; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const reduced = axes.length ? b.reduceSum(g, axes, true) : g;
  return lead > 0 ? b.reshape(reduced, shape) : reduced;
}
