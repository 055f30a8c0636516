// Graph-to-graph transformations that turn one declared model into the variants it is run as:
// the inference model (weights baked in, dropout off, symbolic batch), the static evaluation
// graph with parameters fed as inputs, and the base of the training graph.

import { resolveShape } from './graph.shapes.js';
import { serializeGraph } from './graph.serialize.js';
import type { Graph, InputDef, NodeDef, TensorRef } from './graph.types.js';
import { DROPOUT_OP } from './graph.types.js';

/** Options for {@link deriveGraph}. */
export interface DeriveOptions {
  /** Values to expose as outputs (default: the graph's outputs). Nodes not needed are pruned. */
  readonly outputs?: readonly (string | TensorRef)[];
  /**
   * Trainable parameters that become graph inputs (fed each run) instead of baked-in
   * initializers: all of them (true), none (false, the default) or the named ones.
   */
  readonly paramsAsInputs?: boolean | readonly string[];
  /** 'mask' keeps dropout with its fed mask; 'identity' turns it off and drops the mask input. */
  readonly dropout?: 'mask' | 'identity';
  /** Resolve every symbolic dim with the graph's bound sizes. */
  readonly staticShapes?: boolean;
}

const nameOf = (v: string | TensorRef): string => (typeof v === 'string' ? v : v.name);

/** Produces a pruned, transformed copy of a graph (parameter arrays stay shared). */
export function deriveGraph(graph: Graph, options: DeriveOptions = {}): Graph {
  const outputs = (options.outputs ?? graph.outputs).map(nameOf);
  for (const o of outputs) {
    if (!graph.values.has(o)) throw new Error(`Graph '${graph.name}' has no value '${o}'`);
  }
  const identityDropout = options.dropout === 'identity';
  let nodes: NodeDef[] = graph.nodes.map((n) =>
    identityDropout && n.op === DROPOUT_OP
      ? { op: 'Identity', inputs: [n.inputs[0]!], outputs: n.outputs, attrs: {} }
      : n,
  );

  // Walk back from the outputs; builder order is topological, so one reverse pass suffices.
  const needed = new Set(outputs);
  const kept: NodeDef[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (n.outputs.some((o) => needed.has(o))) {
      kept.push(n);
      for (const inp of n.inputs) if (inp !== '') needed.add(inp);
    }
  }
  nodes = kept.reverse();

  const resolve = (v: TensorRef): TensorRef =>
    options.staticShapes ? { ...v, shape: resolveShape(v.shape, graph.dims) } : v;
  const values = new Map<string, TensorRef>();
  for (const [name, v] of graph.values) if (needed.has(name)) values.set(name, resolve(v));

  const inputs: InputDef[] = graph.inputs
    .filter((i) => needed.has(i.name))
    .map((i) => ({ ...resolve(i), role: i.role }));
  const asInput = options.paramsAsInputs ?? false;
  const fed = (name: string): boolean =>
    typeof asInput === 'boolean' ? asInput : asInput.includes(name);
  const initializers = [];
  for (const init of graph.initializers) {
    if (!needed.has(init.name)) continue;
    if (init.trainable && fed(init.name)) {
      inputs.push({ name: init.name, shape: init.shape, dtype: init.dtype, role: 'param' });
    } else {
      initializers.push(init);
    }
  }
  return { ...graph, inputs, initializers, nodes, outputs, values };
}

/**
 * Serialises the inference model: forward nodes needed for `outputs` only, dropout off, the
 * current parameter values as initializers and symbolic dims (the batch) left dynamic.
 */
export function exportInferenceModel(
  graph: Graph,
  outputs?: readonly (string | TensorRef)[],
): Uint8Array {
  const g = deriveGraph(graph, { outputs, dropout: 'identity' });
  return serializeGraph(g, { staticDims: false, docString: 'inference' });
}

/**
 * The same graph with symbolic dims bound to other sizes, for example to derive a training
 * graph at another batch size over the same (shared) parameter arrays.
 */
export function bindDims(graph: Graph, dims: Readonly<Record<string, number>>): Graph {
  return { ...graph, dims: { ...graph.dims, ...dims } };
}
