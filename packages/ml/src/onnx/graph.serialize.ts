// Writes a Graph as a standard ONNX ModelProto (IR version 8, opset 17), the format every ONNX
// runtime loads. Tensor data goes out as little-endian raw bytes, which is what typed arrays
// hold on every platform Node supports.

import onnxProto from 'onnx-proto';
import { onnxTypeCode } from './graph.builder.js';
import { resolveShape } from './graph.shapes.js';
import type { Attr, Graph, NodeDef, TensorRef } from './graph.types.js';
import { DROPOUT_OP } from './graph.types.js';

const { onnx } = onnxProto;

/** ONNX opset the engine targets: LayerNormalization exists, ReduceMean still takes attributes. */
export const OPSET_VERSION = 17;
/** IR version that goes with opset 17. */
export const IR_VERSION = 8;

/** How symbolic dims are written. */
export interface SerializeOptions {
  /**
   * true: substitute the graph's bound sizes (training graphs, all shapes static).
   * false: write symbols as dim_param so the model accepts any size (inference export).
   */
  readonly staticDims: boolean;
  readonly docString?: string;
}

function encodeAttr(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int':
      return { name, type: T.INT, i: a.value };
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'ints':
      return { name, type: T.INTS, ints: [...a.value] };
    case 'floats':
      return { name, type: T.FLOATS, floats: [...a.value] };
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
  }
}

function encodeNode(node: NodeDef, index: number): onnxProto.onnx.INodeProto {
  // The dropout pseudo-op becomes a plain product with the (pre-scaled) mask input.
  const opType = node.op === DROPOUT_OP ? 'Mul' : node.op;
  const attrs = node.op === DROPOUT_OP ? {} : node.attrs;
  return {
    name: `n${index}_${opType}`,
    opType,
    domain: '',
    input: [...node.inputs],
    output: [...node.outputs],
    attribute: Object.entries(attrs).map(([k, v]) => encodeAttr(k, v)),
  };
}

function valueInfo(
  graph: Graph,
  v: TensorRef,
  staticDims: boolean,
): onnxProto.onnx.IValueInfoProto {
  const dims = staticDims ? resolveShape(v.shape, graph.dims) : v.shape;
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: onnxTypeCode(v.dtype),
        shape: {
          dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

/** Serialises a graph to ONNX ModelProto bytes. */
export function serializeGraph(graph: Graph, options: SerializeOptions): Uint8Array {
  const lookup = (name: string): TensorRef => {
    const v = graph.values.get(name);
    if (!v) throw new Error(`Graph '${graph.name}' has no value '${name}'`);
    return v;
  };
  const model: onnxProto.onnx.IModelProto = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET_VERSION }],
    producerName: 'nilm-monitor',
    producerVersion: '0.1.0',
    docString: options.docString ?? '',
    graph: {
      name: graph.name,
      node: graph.nodes.map(encodeNode),
      input: graph.inputs.map((i) => valueInfo(graph, i, options.staticDims)),
      output: graph.outputs.map((o) => valueInfo(graph, lookup(o), options.staticDims)),
      initializer: graph.initializers.map((init) => ({
        name: init.name,
        dims: [...init.shape],
        dataType: onnxTypeCode(init.dtype),
        rawData: new Uint8Array(init.data.buffer, init.data.byteOffset, init.data.byteLength),
      })),
    },
  };
  return onnx.ModelProto.encode(model).finish();
}

/** Decodes ModelProto bytes (for inspection and tests). */
export function decodeModel(bytes: Uint8Array): onnxProto.onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}
