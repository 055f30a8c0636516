// A small typed API for declaring ONNX graphs with static shape inference. Every op checks its
// operands' shapes when it is declared, so a mistake fails at the line that made it rather than
// inside ONNX Runtime, and the differentiator can rely on every value having a known shape.

import {
  broadcastShapes,
  formatShape,
  isStatic,
  normAxis,
  numElements,
  reshapeTarget,
} from './graph.shapes.js';
import type {
  Attr,
  Dim,
  DType,
  FloatType,
  Graph,
  InitializerDef,
  InputDef,
  InputRole,
  NodeDef,
  Shape,
  TensorData,
  TensorRef,
} from './graph.types.js';
import { DROPOUT_OP } from './graph.types.js';

/** Options for a new graph. */
export interface GraphBuilderOptions {
  readonly name?: string;
  /** Element type of every float value in the graph (default float32). */
  readonly floatType?: FloatType;
  /** Sizes of symbolic dims, used when a static graph is derived (training). */
  readonly dims?: Readonly<Record<string, number>>;
}

/** Options for a trainable parameter. */
export interface ParamOptions {
  /** Apply AdamW weight decay; defaults to true for matrices and kernels, false for vectors. */
  readonly decay?: boolean;
}

/** A tensor, or a number that becomes a scalar constant of the graph's float type. */
export type Operand = TensorRef | number;

/** Attribute constructors, so call sites say which ONNX attribute type they mean. */
export const attr = {
  int: (value: number): Attr => ({ kind: 'int', value }),
  float: (value: number): Attr => ({ kind: 'float', value }),
  ints: (value: readonly number[]): Attr => ({ kind: 'ints', value: [...value] }),
  floats: (value: readonly number[]): Attr => ({ kind: 'floats', value: [...value] }),
  string: (value: string): Attr => ({ kind: 'string', value }),
};

/** Output description for {@link GraphBuilder.emit}. */
export interface OutputSpec {
  readonly shape: Shape;
  readonly dtype: DType;
  readonly name?: string;
}

/** Options for a 1-D convolution. */
export interface Conv1dOptions {
  /** Zero padding [left, right] (default [0, 0]). */
  readonly pads?: readonly [number, number];
  readonly stride?: number;
  readonly dilation?: number;
}

/** Options for a 1-D transposed convolution (used by the Conv input gradient). */
export interface ConvTranspose1dOptions extends Conv1dOptions {
  readonly outputPadding?: number;
}

/** Reads an ints attribute of a node, with a default. */
export function attrInts(node: NodeDef, key: string, fallback: readonly number[]): number[] {
  const a = node.attrs[key];
  return a?.kind === 'ints' ? [...a.value] : [...fallback];
}

/** Reads an int attribute of a node, with a default. */
export function attrInt(node: NodeDef, key: string, fallback: number): number {
  const a = node.attrs[key];
  return a?.kind === 'int' ? a.value : fallback;
}

/**
 * Declares a graph op by op. Methods return {@link TensorRef} handles; `build()` returns the
 * immutable {@link Graph} that autodiff and the serialiser consume.
 */
export class GraphBuilder {
  readonly name: string;
  readonly floatType: FloatType;
  readonly dims: Readonly<Record<string, number>>;
  private readonly inputs: InputDef[] = [];
  private readonly initializers: InitializerDef[] = [];
  private readonly initByName = new Map<string, InitializerDef>();
  private readonly nodes: NodeDef[] = [];
  private readonly outputs: string[] = [];
  private readonly values = new Map<string, TensorRef>();
  private readonly constCache = new Map<string, TensorRef>();
  private counter = 0;

  constructor(options: GraphBuilderOptions = {}) {
    this.name = options.name ?? 'graph';
    this.floatType = options.floatType ?? 'float32';
    this.dims = { ...(options.dims ?? {}) };
  }

  /** Starts a builder that continues an existing graph (same values, nodes and outputs). */
  static from(graph: Graph): GraphBuilder {
    const b = new GraphBuilder({ name: graph.name, floatType: graph.floatType, dims: graph.dims });
    for (const v of graph.values.values()) b.values.set(v.name, v);
    b.inputs.push(...graph.inputs);
    for (const init of graph.initializers) {
      b.initializers.push(init);
      b.initByName.set(init.name, init);
    }
    b.nodes.push(...graph.nodes);
    b.outputs.push(...graph.outputs);
    return b;
  }

  /** Freezes the graph declared so far. */
  build(): Graph {
    if (this.outputs.length === 0) throw new Error(`Graph '${this.name}' has no outputs`);
    return {
      name: this.name,
      floatType: this.floatType,
      dims: { ...this.dims },
      inputs: [...this.inputs],
      initializers: [...this.initializers],
      nodes: [...this.nodes],
      outputs: [...this.outputs],
      values: new Map(this.values),
    };
  }

  /** Looks up a value by name. */
  value(name: string): TensorRef {
    const v = this.values.get(name);
    if (!v) throw new Error(`No value named '${name}' in graph '${this.name}'`);
    return v;
  }

  /** The initializer with this name, if the value is one. */
  initializer(name: string): InitializerDef | undefined {
    return this.initByName.get(name);
  }

  /** A name not yet used in the graph, derived from `prefix`. */
  fresh(prefix: string): string {
    let name: string;
    do {
      name = `${prefix}_${this.counter++}`;
    } while (this.values.has(name));
    return name;
  }

  private claim(name: string): void {
    if (this.values.has(name)) throw new Error(`Name '${name}' is already used`);
    if (name === '') throw new Error('Value names must not be empty');
  }

  /** Declares a graph input (data, or a dropout mask). */
  input(
    name: string,
    shape: Shape,
    dtype: DType = this.floatType,
    role: InputRole = 'data',
  ): TensorRef {
    this.claim(name);
    const def: InputDef = { name, shape: [...shape], dtype, role };
    this.inputs.push(def);
    this.values.set(name, { name, shape: def.shape, dtype });
    return this.values.get(name)!;
  }

  /**
   * Declares a trainable parameter. `data` is kept by reference: it is the live weight array
   * that the optimizer updates and the exporter writes.
   */
  param(
    name: string,
    shape: readonly number[],
    data: Float32Array | Float64Array,
    options: ParamOptions = {},
  ): TensorRef {
    const expected = this.floatType === 'float32' ? Float32Array : Float64Array;
    if (!(data instanceof expected)) {
      throw new Error(
        `Parameter '${name}' must be a ${expected.name} in a ${this.floatType} graph`,
      );
    }
    return this.addInitializer(
      name,
      shape,
      this.floatType,
      data,
      true,
      options.decay ?? shape.length >= 2,
    );
  }

  /** Declares a constant tensor (not trained). */
  constant(
    data: TensorData | readonly number[],
    shape: readonly number[],
    dtype: DType = this.floatType,
    name?: string,
  ): TensorRef {
    const typed = Array.isArray(data)
      ? toTyped(data as readonly number[], dtype)
      : (data as TensorData);
    return this.addInitializer(name ?? this.fresh('const'), shape, dtype, typed, false, false);
  }

  /** A scalar constant (shared between uses of the same value). */
  scalar(value: number, dtype: DType = this.floatType): TensorRef {
    return this.cached(`${dtype}:${value}`, () => this.constant([value], [], dtype));
  }

  /** A 1-D int64 constant, as ONNX wants for shapes and axes (shared between uses). */
  ints(values: readonly number[]): TensorRef {
    return this.cached(`ints:${values.join(',')}`, () =>
      this.constant(values, [values.length], 'int64'),
    );
  }

  private cached(key: string, make: () => TensorRef): TensorRef {
    let t = this.constCache.get(key);
    if (!t) {
      t = make();
      this.constCache.set(key, t);
    }
    return t;
  }

  private addInitializer(
    name: string,
    shape: readonly number[],
    dtype: DType,
    data: TensorData,
    trainable: boolean,
    decay: boolean,
  ): TensorRef {
    this.claim(name);
    if (data.length !== numElements(shape)) {
      throw new Error(`'${name}': ${data.length} values do not fill shape ${formatShape(shape)}`);
    }
    const def: InitializerDef = { name, shape: [...shape], dtype, data, trainable, decay };
    this.initializers.push(def);
    this.initByName.set(name, def);
    this.values.set(name, { name, shape: def.shape, dtype });
    return this.values.get(name)!;
  }

  /** Marks a value as a graph output, under a new name if one is given. */
  output(t: TensorRef, name?: string): TensorRef {
    const out = name !== undefined && name !== t.name ? this.identity(t, name) : t;
    if (!this.outputs.includes(out.name)) this.outputs.push(out.name);
    return out;
  }

  /**
   * Low-level: appends a node whose output shapes the caller has already inferred. Ops below
   * use it after checking their operands; autodiff uses it to copy forward nodes.
   */
  emit(
    op: string,
    inputs: readonly TensorRef[],
    attrs: Record<string, Attr>,
    outputs: readonly OutputSpec[],
  ): TensorRef[] {
    const refs = outputs.map((o) => {
      const name = o.name ?? this.fresh(op.toLowerCase());
      this.claim(name);
      const ref: TensorRef = { name, shape: [...o.shape], dtype: o.dtype };
      this.values.set(name, ref);
      return ref;
    });
    this.nodes.push({
      op,
      inputs: inputs.map((i) => i.name),
      outputs: refs.map((r) => r.name),
      attrs,
    });
    return refs;
  }

  private one(
    op: string,
    inputs: readonly TensorRef[],
    attrs: Record<string, Attr>,
    shape: Shape,
    dtype: DType,
    name?: string,
  ): TensorRef {
    return this.emit(op, inputs, attrs, [{ shape, dtype, name }])[0]!;
  }

  private lift(x: Operand): TensorRef {
    return typeof x === 'number' ? this.scalar(x) : x;
  }

  private requireFloat(op: string, ...ts: TensorRef[]): FloatType {
    for (const t of ts) {
      if (t.dtype !== this.floatType) {
        throw new Error(`${op}: '${t.name}' is ${t.dtype}, expected ${this.floatType}`);
      }
    }
    return this.floatType;
  }

  // ----- elementwise -----

  private binary(op: string, a: Operand, b: Operand, name?: string): TensorRef {
    const x = this.lift(a);
    const y = this.lift(b);
    const dtype = this.requireFloat(op, x, y);
    return this.one(op, [x, y], {}, broadcastShapes(x.shape, y.shape), dtype, name);
  }

  /** Elementwise a + b with numpy broadcasting. */
  add(a: Operand, b: Operand, name?: string): TensorRef {
    return this.binary('Add', a, b, name);
  }

  /** Elementwise a - b with numpy broadcasting. */
  sub(a: Operand, b: Operand, name?: string): TensorRef {
    return this.binary('Sub', a, b, name);
  }

  /** Elementwise a * b with numpy broadcasting. */
  mul(a: Operand, b: Operand, name?: string): TensorRef {
    return this.binary('Mul', a, b, name);
  }

  /** Elementwise a / b with numpy broadcasting. */
  div(a: Operand, b: Operand, name?: string): TensorRef {
    return this.binary('Div', a, b, name);
  }

  /** Elementwise x ** p for a constant exponent. */
  pow(x: TensorRef, p: number, name?: string): TensorRef {
    return this.binary('Pow', x, this.scalar(p), name);
  }

  /** Sum of any number of tensors, broadcast. */
  sum(xs: readonly TensorRef[], name?: string): TensorRef {
    if (xs.length === 0) throw new Error('Sum needs at least one input');
    const dtype = this.requireFloat('Sum', ...xs);
    return this.one('Sum', xs, {}, broadcastShapes(...xs.map((x) => x.shape)), dtype, name);
  }

  private compare(op: string, a: Operand, b: Operand, name?: string): TensorRef {
    const x = this.lift(a);
    const y = this.lift(b);
    this.requireFloat(op, x, y);
    return this.one(op, [x, y], {}, broadcastShapes(x.shape, y.shape), 'bool', name);
  }

  /** Elementwise a > b as a bool tensor (not differentiable). */
  greater(a: Operand, b: Operand, name?: string): TensorRef {
    return this.compare('Greater', a, b, name);
  }

  /** Elementwise a < b as a bool tensor (not differentiable). */
  less(a: Operand, b: Operand, name?: string): TensorRef {
    return this.compare('Less', a, b, name);
  }

  /** Picks `a` where `cond` is true and `b` elsewhere, broadcasting all three. */
  where(cond: TensorRef, a: Operand, b: Operand, name?: string): TensorRef {
    if (cond.dtype !== 'bool') throw new Error(`Where: condition '${cond.name}' must be bool`);
    const x = this.lift(a);
    const y = this.lift(b);
    const dtype = this.requireFloat('Where', x, y);
    return this.one(
      'Where',
      [cond, x, y],
      {},
      broadcastShapes(cond.shape, x.shape, y.shape),
      dtype,
      name,
    );
  }

  /** Converts element type (for example a bool mask to floats). */
  cast(x: TensorRef, to: DType, name?: string): TensorRef {
    return this.one('Cast', [x], { to: attr.int(onnxTypeCode(to)) }, x.shape, to, name);
  }

  private unary(op: string, x: TensorRef, name?: string): TensorRef {
    return this.one(op, [x], {}, x.shape, this.requireFloat(op, x), name);
  }

  /** Elementwise -x. */
  neg(x: TensorRef, name?: string): TensorRef {
    return this.unary('Neg', x, name);
  }

  /** Elementwise e^x. */
  exp(x: TensorRef, name?: string): TensorRef {
    return this.unary('Exp', x, name);
  }

  /** Elementwise natural logarithm. */
  log(x: TensorRef, name?: string): TensorRef {
    return this.unary('Log', x, name);
  }

  /** Elementwise square root. */
  sqrt(x: TensorRef, name?: string): TensorRef {
    return this.unary('Sqrt', x, name);
  }

  /** Elementwise tanh. */
  tanh(x: TensorRef, name?: string): TensorRef {
    return this.unary('Tanh', x, name);
  }

  /** Elementwise logistic sigmoid. */
  sigmoid(x: TensorRef, name?: string): TensorRef {
    return this.unary('Sigmoid', x, name);
  }

  /** Elementwise max(x, 0). */
  relu(x: TensorRef, name?: string): TensorRef {
    return this.unary('Relu', x, name);
  }

  /** Elementwise Gauss error function. */
  erf(x: TensorRef, name?: string): TensorRef {
    return this.unary('Erf', x, name);
  }

  /** Elementwise |x|. */
  abs(x: TensorRef, name?: string): TensorRef {
    return this.unary('Abs', x, name);
  }

  /** Elementwise sign (-1, 0, 1); its gradient is zero, so it is treated as a constant. */
  sign(x: TensorRef, name?: string): TensorRef {
    return this.unary('Sign', x, name);
  }

  /** Passes x through unchanged (useful to name a value). */
  identity(x: TensorRef, name?: string): TensorRef {
    return this.one('Identity', [x], {}, x.shape, x.dtype, name);
  }

  /**
   * GELU. `'erf'` is the exact x * 0.5 * (1 + erf(x / sqrt 2)); `'tanh'` is the common
   * approximation 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))). Both are built from primitive
   * ops (opset 17 has no Gelu). ONNX Runtime (1.30) fuses the erf form into its one-kernel Gelu
   * (and BiasGelu after a bias Add) only when x is *divided* by sqrt 2: the same graph with
   * Mul(x, 1/sqrt 2) stays five kernels (checked with its profiler; gelu.fusion.test.ts).
   */
  gelu(x: TensorRef, approximate: 'erf' | 'tanh' = 'erf', name?: string): TensorRef {
    if (approximate === 'erf') {
      const cdf = this.add(this.erf(this.div(x, Math.SQRT2)), 1);
      return this.mul(this.mul(x, 0.5), cdf, name);
    }
    const inner = this.mul(this.add(x, this.mul(this.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
    return this.mul(this.mul(x, 0.5), this.add(this.tanh(inner), 1), name);
  }

  // ----- linear algebra and normalisation -----

  /** Matrix product with numpy-style broadcasting of the leading (batch) dims; ranks >= 2. */
  matmul(a: TensorRef, b: TensorRef, name?: string): TensorRef {
    const dtype = this.requireFloat('MatMul', a, b);
    if (a.shape.length < 2 || b.shape.length < 2) {
      throw new Error(
        `MatMul needs rank >= 2, got ${formatShape(a.shape)} x ${formatShape(b.shape)}`,
      );
    }
    const [m, k1] = a.shape.slice(-2) as [Dim, Dim];
    const [k2, n] = b.shape.slice(-2) as [Dim, Dim];
    if (k1 !== k2) {
      throw new Error(
        `MatMul inner dims differ: ${formatShape(a.shape)} x ${formatShape(b.shape)}`,
      );
    }
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
    return this.one('MatMul', [a, b], {}, [...batch, m, n], dtype, name);
  }

  /** General 2-D product alpha * op(a) op(b) (+ c); no gradient (autodiff uses it internally). */
  gemm(
    a: TensorRef,
    b: TensorRef,
    options: { transA?: boolean; transB?: boolean; alpha?: number } = {},
    name?: string,
  ): TensorRef {
    const dtype = this.requireFloat('Gemm', a, b);
    if (a.shape.length !== 2 || b.shape.length !== 2) throw new Error('Gemm needs 2-D operands');
    const [m, k1] = options.transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
    const [k2, n] = options.transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
    if (k1 !== k2) throw new Error(`Gemm inner dims differ: ${k1} vs ${k2}`);
    const attrs: Record<string, Attr> = {};
    if (options.transA) attrs.transA = attr.int(1);
    if (options.transB) attrs.transB = attr.int(1);
    if (options.alpha !== undefined) attrs.alpha = attr.float(options.alpha);
    return this.one('Gemm', [a, b], attrs, [m, n], dtype, name);
  }

  /** Softmax over one axis (default the last). */
  softmax(x: TensorRef, axis = -1, name?: string): TensorRef {
    const a = normAxis(axis, x.shape.length);
    return this.one(
      'Softmax',
      [x],
      { axis: attr.int(a) },
      x.shape,
      this.requireFloat('Softmax', x),
      name,
    );
  }

  /**
   * LayerNormalization (opset 17) over the trailing dims from `axis`; `scale` and `bias` have
   * the shape of those dims.
   */
  layerNorm(
    x: TensorRef,
    scale: TensorRef,
    bias: TensorRef,
    options: { axis?: number; epsilon?: number } = {},
    name?: string,
  ): TensorRef {
    const dtype = this.requireFloat('LayerNormalization', x, scale, bias);
    const axis = normAxis(options.axis ?? -1, x.shape.length);
    const normShape = x.shape.slice(axis);
    for (const p of [scale, bias]) {
      if (formatShape(p.shape) !== formatShape(normShape)) {
        throw new Error(
          `LayerNormalization: '${p.name}' must have shape ${formatShape(normShape)}`,
        );
      }
    }
    const attrs = { axis: attr.int(axis), epsilon: attr.float(options.epsilon ?? 1e-5) };
    return this.one('LayerNormalization', [x, scale, bias], attrs, x.shape, dtype, name);
  }

  /**
   * 1-D convolution: x [N, C, L], weight [O, C, K], optional bias [O]. A symbolic length is
   * allowed only with stride 1 and "same" total padding, where the output length equals L.
   */
  conv1d(
    x: TensorRef,
    weight: TensorRef,
    bias?: TensorRef,
    options: Conv1dOptions = {},
    name?: string,
  ): TensorRef {
    const dtype = this.requireFloat('Conv', x, weight, ...(bias ? [bias] : []));
    const { pads, stride, dilation } = convDefaults(options);
    if (x.shape.length !== 3 || weight.shape.length !== 3) {
      throw new Error(`Conv1d needs x [N, C, L] and weight [O, C, K]`);
    }
    const [n, c, len] = x.shape as [Dim, Dim, Dim];
    const [o, cw, k] = weight.shape as [Dim, Dim, Dim];
    if (c !== cw || typeof k !== 'number' || typeof o !== 'number') {
      throw new Error(
        `Conv1d: weight ${formatShape(weight.shape)} does not fit input ${formatShape(x.shape)}`,
      );
    }
    if (bias && (bias.shape.length !== 1 || bias.shape[0] !== o)) {
      throw new Error(`Conv1d: bias must have shape [${o}]`);
    }
    const span = dilation * (k - 1);
    let outLen: Dim;
    if (typeof len === 'number') {
      outLen = Math.floor((len + pads[0] + pads[1] - span - 1) / stride) + 1;
      if (outLen < 1) throw new Error(`Conv1d: input length ${len} is shorter than the kernel`);
    } else if (stride === 1 && pads[0] + pads[1] === span) {
      outLen = len;
    } else {
      throw new Error(`Conv1d: symbolic length '${len}' needs stride 1 and same padding`);
    }
    const attrs = {
      kernel_shape: attr.ints([k]),
      pads: attr.ints(pads),
      strides: attr.ints([stride]),
      dilations: attr.ints([dilation]),
      group: attr.int(1),
    };
    return this.one(
      'Conv',
      bias ? [x, weight, bias] : [x, weight],
      attrs,
      [n, o, outLen],
      dtype,
      name,
    );
  }

  /** 1-D transposed convolution: x [N, Cin, L], weight [Cin, Cout, K]; static length only. */
  convTranspose1d(
    x: TensorRef,
    weight: TensorRef,
    options: ConvTranspose1dOptions = {},
    name?: string,
  ): TensorRef {
    const dtype = this.requireFloat('ConvTranspose', x, weight);
    const { pads, stride, dilation } = convDefaults(options);
    const outputPadding = options.outputPadding ?? 0;
    const [n, c, len] = x.shape as [Dim, Dim, Dim];
    const [ci, co, k] = weight.shape as [Dim, Dim, Dim];
    if (x.shape.length !== 3 || ci !== c || typeof len !== 'number' || typeof k !== 'number') {
      throw new Error(
        `ConvTranspose1d: bad shapes ${formatShape(x.shape)}, ${formatShape(weight.shape)}`,
      );
    }
    const outLen = stride * (len - 1) + outputPadding + dilation * (k - 1) + 1 - pads[0] - pads[1];
    const attrs = {
      kernel_shape: attr.ints([k]),
      pads: attr.ints(pads),
      strides: attr.ints([stride]),
      dilations: attr.ints([dilation]),
      output_padding: attr.ints([outputPadding]),
      group: attr.int(1),
    };
    return this.one('ConvTranspose', [x, weight], attrs, [n, co, outLen], dtype, name);
  }

  // ----- shape manipulation -----

  /** Permutes axes. */
  transpose(x: TensorRef, perm: readonly number[], name?: string): TensorRef {
    const sorted = [...perm].sort((p, q) => p - q);
    if (perm.length !== x.shape.length || sorted.some((p, i) => p !== i)) {
      throw new Error(
        `Transpose: [${perm.join(', ')}] is not a permutation of rank ${x.shape.length}`,
      );
    }
    return this.one(
      'Transpose',
      [x],
      { perm: attr.ints(perm) },
      perm.map((p) => x.shape[p]!),
      x.dtype,
      name,
    );
  }

  /** Reshapes to `shape`, which may name symbolic dims (see `reshapeTarget` for the rules). */
  reshape(x: TensorRef, shape: Shape, name?: string): TensorRef {
    const target = this.ints(reshapeTarget(x.shape, shape));
    return this.one('Reshape', [x, target], {}, shape, x.dtype, name);
  }

  /** Inserts size-1 axes (positions in the output). */
  unsqueeze(x: TensorRef, axes: readonly number[], name?: string): TensorRef {
    const rank = x.shape.length + axes.length;
    const norm = axes.map((a) => normAxis(a, rank)).sort((p, q) => p - q);
    const shape: Dim[] = [];
    let src = 0;
    for (let i = 0; i < rank; i++) shape.push(norm.includes(i) ? 1 : x.shape[src++]!);
    return this.one('Unsqueeze', [x, this.ints(norm)], {}, shape, x.dtype, name);
  }

  /** Removes size-1 axes. */
  squeeze(x: TensorRef, axes: readonly number[], name?: string): TensorRef {
    const norm = axes.map((a) => normAxis(a, x.shape.length));
    for (const a of norm) {
      if (x.shape[a] !== 1)
        throw new Error(`Squeeze: axis ${a} of ${formatShape(x.shape)} is not 1`);
    }
    const shape = x.shape.filter((_, i) => !norm.includes(i));
    return this.one('Squeeze', [x, this.ints(norm)], {}, shape, x.dtype, name);
  }

  /**
   * Slices with step 1. Negative indices count from the end; ends are clamped as in ONNX. The
   * sliced axes must be static.
   */
  slice(
    x: TensorRef,
    starts: readonly number[],
    ends: readonly number[],
    axes: readonly number[],
    name?: string,
  ): TensorRef {
    if (starts.length !== axes.length || ends.length !== axes.length) {
      throw new Error('Slice: starts, ends and axes must have the same length');
    }
    const shape = [...x.shape];
    const s: number[] = [];
    const e: number[] = [];
    const ax = axes.map((a) => normAxis(a, x.shape.length));
    ax.forEach((a, i) => {
      const dim = x.shape[a];
      if (typeof dim !== 'number')
        throw new Error(`Slice: axis ${a} of ${formatShape(x.shape)} is symbolic`);
      const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
      const start = clamp(starts[i]!);
      const end = clamp(ends[i]!);
      if (end <= start) throw new Error(`Slice: empty range on axis ${a}`);
      s.push(start);
      e.push(end);
      shape[a] = end - start;
    });
    return this.one(
      'Slice',
      [x, this.ints(s), this.ints(e), this.ints(ax)],
      {},
      shape,
      x.dtype,
      name,
    );
  }

  /** Concatenates along a static axis. */
  concat(xs: readonly TensorRef[], axis: number, name?: string): TensorRef {
    const first = xs[0];
    if (!first) throw new Error('Concat needs at least one input');
    const a = normAxis(axis, first.shape.length);
    let total = 0;
    for (const x of xs) {
      const dim = x.shape[a];
      const mismatch = x.shape.some((d, i) => i !== a && d !== first.shape[i]);
      if (x.shape.length !== first.shape.length || mismatch || typeof dim !== 'number') {
        throw new Error(
          `Concat: ${formatShape(x.shape)} does not fit ${formatShape(first.shape)} on axis ${a}`,
        );
      }
      if (x.dtype !== first.dtype) throw new Error('Concat: element types differ');
      total += dim;
    }
    const shape = [...first.shape];
    shape[a] = total;
    return this.one('Concat', xs, { axis: attr.int(a) }, shape, first.dtype, name);
  }

  /** Splits along a static axis into pieces of the given sizes. */
  split(x: TensorRef, sizes: readonly number[], axis: number): TensorRef[] {
    const a = normAxis(axis, x.shape.length);
    if (sizes.reduce((p, q) => p + q, 0) !== x.shape[a]) {
      throw new Error(
        `Split: sizes [${sizes.join(', ')}] do not add up to axis ${a} of ${formatShape(x.shape)}`,
      );
    }
    const outs = sizes.map((size) => {
      const shape = [...x.shape];
      shape[a] = size;
      return { shape, dtype: x.dtype };
    });
    return this.emit('Split', [x, this.ints(sizes)], { axis: attr.int(a) }, outs);
  }

  /** Zero-pads: `pads` lists the begin pads of every axis, then the end pads. */
  pad(x: TensorRef, pads: readonly number[], name?: string): TensorRef {
    const rank = x.shape.length;
    if (pads.length !== 2 * rank || pads.some((p) => p < 0 || !Number.isInteger(p))) {
      throw new Error(`Pad: need ${2 * rank} non-negative pads`);
    }
    const shape = x.shape.map((d, i) => {
      const extra = pads[i]! + pads[i + rank]!;
      if (extra === 0) return d;
      if (typeof d !== 'number') throw new Error(`Pad: cannot pad symbolic axis ${i}`);
      return d + extra;
    });
    return this.one(
      'Pad',
      [x, this.ints(pads)],
      { mode: attr.string('constant') },
      shape,
      x.dtype,
      name,
    );
  }

  /** Shape of x as an int64 tensor. */
  shapeOf(x: TensorRef, name?: string): TensorRef {
    return this.one('Shape', [x], {}, [x.shape.length], 'int64', name);
  }

  /** Broadcasts x to the shape of `like` (at run time, so symbolic dims are fine). */
  expandAs(x: TensorRef, like: TensorRef, name?: string): TensorRef {
    const shape = broadcastShapes(x.shape, like.shape);
    const target = isStatic(like.shape) ? this.ints(like.shape) : this.shapeOf(like);
    return this.one('Expand', [x, target], {}, shape, x.dtype, name);
  }

  private reduceShape(
    x: TensorRef,
    axes: readonly number[],
    keepdims: boolean,
  ): { axes: number[]; shape: Dim[] } {
    const norm = [...new Set(axes.map((a) => normAxis(a, x.shape.length)))].sort((p, q) => p - q);
    if (norm.length === 0) throw new Error('Reduce: give the axes explicitly');
    const shape: Dim[] = [];
    x.shape.forEach((d, i) => {
      if (!norm.includes(i)) shape.push(d);
      else if (keepdims) shape.push(1);
    });
    return { axes: norm, shape };
  }

  /** Mean over the given axes. */
  reduceMean(x: TensorRef, axes: readonly number[], keepdims = true, name?: string): TensorRef {
    const r = this.reduceShape(x, axes, keepdims);
    const attrs = { axes: attr.ints(r.axes), keepdims: attr.int(keepdims ? 1 : 0) };
    return this.one('ReduceMean', [x], attrs, r.shape, this.requireFloat('ReduceMean', x), name);
  }

  /** Sum over the given axes. */
  reduceSum(x: TensorRef, axes: readonly number[], keepdims = true, name?: string): TensorRef {
    const r = this.reduceShape(x, axes, keepdims);
    const attrs = { keepdims: attr.int(keepdims ? 1 : 0) };
    return this.one(
      'ReduceSum',
      [x, this.ints(r.axes)],
      attrs,
      r.shape,
      this.requireFloat('ReduceSum', x),
      name,
    );
  }

  /** Sum over every axis, as a scalar. */
  sumAll(x: TensorRef, name?: string): TensorRef {
    return x.shape.length === 0
      ? x
      : this.reduceSum(
          x,
          x.shape.map((_, i) => i),
          false,
          name,
        );
  }

  /** Mean over every axis, as a scalar. */
  meanAll(x: TensorRef, name?: string): TensorRef {
    return x.shape.length === 0
      ? x
      : this.reduceMean(
          x,
          x.shape.map((_, i) => i),
          false,
          name,
        );
  }

  /**
   * Deterministic dropout. Declares an input `maskName` of x's shape that the caller fills with
   * 0 or 1/(1 - ratio) from a seeded generator (see `dropoutMask`). The inference export drops
   * the mask and passes x through.
   */
  dropout(x: TensorRef, maskName: string, ratio: number, name?: string): TensorRef {
    if (!(ratio >= 0 && ratio < 1)) throw new Error(`Dropout ratio ${ratio} must be in [0, 1)`);
    const mask = this.input(maskName, x.shape, x.dtype, 'dropoutMask');
    return this.one(
      DROPOUT_OP,
      [x, mask],
      { ratio: attr.float(ratio) },
      x.shape,
      this.requireFloat('Dropout', x),
      name,
    );
  }
}

function convDefaults(options: Conv1dOptions): {
  pads: [number, number];
  stride: number;
  dilation: number;
} {
  const pads: [number, number] = [options.pads?.[0] ?? 0, options.pads?.[1] ?? 0];
  const stride = options.stride ?? 1;
  const dilation = options.dilation ?? 1;
  if (pads.some((p) => p < 0) || stride < 1 || dilation < 1) {
    throw new Error('Conv1d: pads must be >= 0, stride and dilation >= 1');
  }
  return { pads, stride, dilation };
}

/** ONNX TensorProto.DataType code of an element type. */
export function onnxTypeCode(t: DType): number {
  switch (t) {
    case 'float32':
      return 1;
    case 'int64':
      return 7;
    case 'bool':
      return 9;
    case 'float64':
      return 11;
  }
}

/** Copies plain numbers into the typed array for an element type. */
export function toTyped(values: readonly number[], dtype: DType): TensorData {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values);
    case 'float64':
      return Float64Array.from(values);
    case 'int64':
      return BigInt64Array.from(values.map((v) => BigInt(v)));
    case 'bool':
      return Uint8Array.from(values.map((v) => (v ? 1 : 0)));
  }
}
