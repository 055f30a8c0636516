// The in-memory graph representation shared by the builder, the differentiator and the
// serialiser. It mirrors ONNX closely (nodes name their inputs and outputs by string) so that
// serialising is a straight mapping, but every value also carries its static shape.

/** Floating-point element types a graph can compute in. */
export type FloatType = 'float32' | 'float64';

/** Element types a value can have: the graph's float type, int64 for shapes/axes, bool for masks. */
export type DType = FloatType | 'int64' | 'bool';

/**
 * One dimension: a number when static, or a symbol name (for example `'batch'`) whose size is
 * bound when a static graph is needed (training) and left free in the exported inference model.
 */
export type Dim = number | string;

/** A tensor shape; a symbolic dim never stands for a product of dims. */
export type Shape = readonly Dim[];

/** A typed ONNX attribute value; ints and floats are distinct in ONNX, so the kind is explicit. */
export type Attr =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'string'; readonly value: string };

/** One node. `op` is an ONNX op type (default domain) or one of this engine's pseudo-ops. */
export interface NodeDef {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Readonly<Record<string, Attr>>;
}

/** A handle to a value in a graph: its name, shape and element type. */
export interface TensorRef {
  readonly name: string;
  readonly shape: Shape;
  readonly dtype: DType;
}

/** Typed-array storage for each element type. */
export type TensorData = Float32Array | Float64Array | BigInt64Array | Uint8Array;

/**
 * Where a graph input comes from: data fed per batch, a dropout mask (fed during training,
 * removed from the inference model), or a trainable parameter (training graphs only).
 */
export type InputRole = 'data' | 'dropoutMask' | 'param';

/** A graph input. */
export interface InputDef extends TensorRef {
  readonly role: InputRole;
}

/** A constant or trainable tensor stored in the graph. */
export interface InitializerDef {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /**
   * The values. For trainable parameters this array is shared, not copied, by every graph
   * derived from the one that declared it, so an optimizer that updates it in place updates
   * the weights every later export writes.
   */
  readonly data: TensorData;
  readonly trainable: boolean;
  /** Whether AdamW applies weight decay to it (false for biases and norm parameters). */
  readonly decay: boolean;
}

/** A complete graph: the builder's product, and the input to autodiff and serialisation. */
export interface Graph {
  readonly name: string;
  readonly floatType: FloatType;
  /** Sizes bound to symbolic dims for static (training) use; may be partial. */
  readonly dims: Readonly<Record<string, number>>;
  readonly inputs: readonly InputDef[];
  readonly initializers: readonly InitializerDef[];
  readonly nodes: readonly NodeDef[];
  readonly outputs: readonly string[];
  /** Shape and type of every value: inputs, initializers and node outputs. */
  readonly values: ReadonlyMap<string, TensorRef>;
}

/** Pseudo-op for deterministic dropout: `Mul(x, mask)` when training, `Identity(x)` at inference. */
export const DROPOUT_OP = 'DropoutMask';
