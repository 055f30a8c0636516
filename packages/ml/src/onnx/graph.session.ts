// Runs graphs in onnxruntime-node. Parameter tensors wrap the live weight arrays once, so an
// optimizer that updates them in place needs no new tensors, and outputs are written into
// buffers allocated once per session, so a training step allocates no large arrays in JS.

import * as ort from 'onnxruntime-node';
import type { TrainingGraph } from './graph.autodiff.js';
import { deriveGraph } from './graph.export.js';
import { serializeGraph } from './graph.serialize.js';
import { numElements, resolveShape } from './graph.shapes.js';
import type { DType, Graph, InputDef, TensorData, TensorRef } from './graph.types.js';
import { DROPOUT_OP } from './graph.types.js';
import type { Random } from './random.generator.js';
import { fillDropoutMask } from './random.generator.js';

/** Session settings; the defaults suit a 2-core machine. */
export interface SessionOptions {
  readonly intraOpNumThreads?: number;
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

/** Data for one input: a typed array of the input's element type and static size. */
export type Feeds = Readonly<Record<string, TensorData>>;

/** Values returned by one run, by output name. Buffers are reused: copy what you keep. */
export type Outputs = ReadonlyMap<string, TensorData>;

/** Result of one training step. */
export interface StepResult {
  readonly loss: number;
  /** Gradient per parameter name (same order and shapes as the parameters). */
  readonly grads: ReadonlyMap<string, Float32Array | Float64Array>;
  /** The requested forward outputs. */
  readonly outputs: Outputs;
}

function sessionOptions(options: SessionOptions): ort.InferenceSession.SessionOptions {
  return {
    graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    intraOpNumThreads: options.intraOpNumThreads ?? 2,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  };
}

function allocate(dtype: DType, size: number): TensorData {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int64':
      return new BigInt64Array(size);
    case 'bool':
      return new Uint8Array(size);
  }
}

function checkData(name: string, data: TensorData, dtype: DType, size: number): void {
  const ok =
    (dtype === 'float32' && data instanceof Float32Array) ||
    (dtype === 'float64' && data instanceof Float64Array) ||
    (dtype === 'int64' && data instanceof BigInt64Array) ||
    (dtype === 'bool' && data instanceof Uint8Array);
  if (!ok) throw new Error(`Input '${name}' must hold ${dtype} data`);
  if (data.length !== size)
    throw new Error(`Input '${name}' needs ${size} values, got ${data.length}`);
}

/**
 * An ONNX Runtime session over a static graph whose parameter inputs are fed from live weight
 * arrays. Other inputs are fed per run; a tensor is reused when the same array is passed again.
 */
export class GraphSession {
  private readonly fixed: Record<string, ort.Tensor> = {};
  private readonly cache = new Map<string, { data: TensorData; tensor: ort.Tensor }>();
  private readonly fetches: Record<string, ort.Tensor> = {};
  private readonly outputData = new Map<string, TensorData>();
  private readonly dataInputs: InputDef[] = [];
  private readonly dropoutRatios = new Map<string, number>();
  private readonly maskBuffers = new Map<string, Float32Array | Float64Array>();

  private constructor(private readonly session: ort.InferenceSession) {}

  /**
   * Creates a session. `graph` must be static (all dims bound); `params` supplies the arrays
   * for its inputs with role 'param'.
   */
  static async create(
    graph: Graph,
    params: ReadonlyMap<string, TensorData>,
    options: SessionOptions = {},
  ): Promise<GraphSession> {
    const bytes = serializeGraph(graph, { staticDims: true });
    const session = await ort.InferenceSession.create(bytes, sessionOptions(options));
    const s = new GraphSession(session);
    for (const input of graph.inputs) {
      const dims = resolveShape(input.shape, graph.dims);
      if (input.role === 'param') {
        const values = params.get(input.name);
        if (!values) throw new Error(`No data for parameter '${input.name}'`);
        checkData(input.name, values, input.dtype, numElements(dims));
        s.fixed[input.name] = new ort.Tensor(input.dtype, values, dims);
      } else {
        s.dataInputs.push({ ...input, shape: dims });
      }
    }
    for (const node of graph.nodes) {
      if (node.op !== DROPOUT_OP) continue;
      const ratio = node.attrs.ratio;
      s.dropoutRatios.set(node.inputs[1]!, ratio?.kind === 'float' ? ratio.value : 0);
    }
    for (const name of graph.outputs) {
      const v = graph.values.get(name)!;
      const dims = resolveShape(v.shape, graph.dims);
      const buffer = allocate(v.dtype, numElements(dims));
      s.outputData.set(name, buffer);
      s.fetches[name] = new ort.Tensor(v.dtype, buffer, dims);
    }
    return s;
  }

  /** The inputs each run must feed (everything but parameters), with static shapes. */
  get inputs(): readonly InputDef[] {
    return this.dataInputs;
  }

  /**
   * Feeds for every dropout mask: drawn from `rng`, or all ones (dropout off) without one.
   * The buffers are reused between calls.
   */
  dropoutFeeds(rng?: Random): Record<string, Float32Array | Float64Array> {
    const feeds: Record<string, Float32Array | Float64Array> = {};
    for (const input of this.dataInputs) {
      if (input.role !== 'dropoutMask') continue;
      let buffer = this.maskBuffers.get(input.name);
      if (!buffer) {
        const size = numElements(input.shape);
        buffer = input.dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
        this.maskBuffers.set(input.name, buffer);
      }
      if (rng) fillDropoutMask(rng, buffer, this.dropoutRatios.get(input.name) ?? 0);
      else buffer.fill(1);
      feeds[input.name] = buffer;
    }
    return feeds;
  }

  /** Runs the graph; the returned arrays are overwritten by the next run. */
  async run(feeds: Feeds): Promise<Outputs> {
    const all: Record<string, ort.Tensor> = { ...this.fixed };
    for (const input of this.dataInputs) {
      const data = feeds[input.name];
      if (!data) throw new Error(`Missing input '${input.name}'`);
      all[input.name] = this.tensorFor(input, data);
    }
    for (const name of Object.keys(feeds)) {
      if (!(name in all)) throw new Error(`'${name}' is not an input of this graph`);
    }
    await this.session.run(all, this.fetches);
    return this.outputData;
  }

  private tensorFor(input: TensorRef, data: TensorData): ort.Tensor {
    const hit = this.cache.get(input.name);
    if (hit && hit.data === data) return hit.tensor;
    checkData(input.name, data, input.dtype, numElements(input.shape));
    const tensor = new ort.Tensor(input.dtype, data, input.shape as number[]);
    this.cache.set(input.name, { data, tensor });
    return tensor;
  }

  /** Frees the native session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Runs a training graph: one call gives the loss, the requested outputs and every gradient. */
export class TrainingSession {
  private constructor(
    private readonly session: GraphSession,
    readonly training: TrainingGraph,
  ) {}

  /** Compiles the training graph into an ONNX Runtime session. */
  static async create(
    training: TrainingGraph,
    options: SessionOptions = {},
  ): Promise<TrainingSession> {
    const params = new Map(training.params.map((p) => [p.name, p.data] as const));
    return new TrainingSession(
      await GraphSession.create(training.graph, params, options),
      training,
    );
  }

  /** The batch inputs (data, targets, masks, dropout masks) each step must feed. */
  get inputs(): readonly InputDef[] {
    return this.session.inputs;
  }

  /** Dropout-mask feeds for one step (see {@link GraphSession.dropoutFeeds}). */
  dropoutFeeds(rng?: Random): Record<string, Float32Array | Float64Array> {
    return this.session.dropoutFeeds(rng);
  }

  /** One forward+backward pass at the parameters' current values. */
  async run(feeds: Feeds): Promise<StepResult> {
    const out = await this.session.run(feeds);
    const grads = new Map<string, Float32Array | Float64Array>();
    for (const p of this.training.params)
      grads.set(p.name, out.get(p.grad) as Float32Array | Float64Array);
    const outputs = new Map<string, TensorData>();
    for (const name of this.training.outputs) outputs.set(name, out.get(name)!);
    return { loss: Number(out.get(this.training.loss)![0]), grads, outputs };
  }

  /** Frees the native session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Builds a static forward-only session over a forward graph with its trainable parameters fed
 * from their live arrays: for evaluation during training and for finite-difference checks.
 * Dropout is off unless `dropout: 'mask'` is given (then the masks are inputs).
 */
export async function createForwardSession(
  graph: Graph,
  outputs: readonly (string | TensorRef)[],
  options: SessionOptions & { readonly dropout?: 'mask' | 'identity' } = {},
): Promise<GraphSession> {
  const derived = deriveGraph(graph, {
    outputs,
    paramsAsInputs: true,
    dropout: options.dropout ?? 'identity',
    staticShapes: true,
  });
  const params = new Map(
    graph.initializers.filter((i) => i.trainable).map((i) => [i.name, i.data] as const),
  );
  return GraphSession.create(derived, params, options);
}

/** Narrows output data to a float array (throws for int64/bool outputs). */
export function asFloats(data: TensorData | undefined): Float32Array | Float64Array {
  if (data instanceof Float32Array || data instanceof Float64Array) return data;
  throw new Error('Expected float output data');
}

/** Creates a plain inference session from ONNX bytes (for example an exported model). */
export async function createInferenceSession(
  bytes: Uint8Array,
  options: SessionOptions = {},
): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, sessionOptions(options));
}
