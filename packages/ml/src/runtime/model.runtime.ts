/**
 * The model-runtime boundary, as the stores and the queue have theirs: a runtime turns a model's
 * bytes into a session, and a session runs batches of mains windows. ONNX Runtime is the one
 * implementation (`onnx.model.runtime.ts`); everything above it (batching, blending, the engine)
 * sees only this interface, so a test or a bench can wrap or replace it.
 */

/** What one run returns: power W and on-probability, each [count, appliances, window]. */
export interface WindowOutputs {
  power: Float32Array;
  onProb: Float32Array;
}

/** How a session is made. */
export interface RuntimeOptions {
  /** Intra-op threads of the session (default: the runtime's own, see the implementation). */
  threads?: number;
}

/** A loaded model. */
export interface ModelSession {
  /**
   * Run `count` windows of `window` samples each (W, all finite) held in `mains`; the outputs
   * belong to the caller.
   */
  run(mains: Float32Array, count: number, window: number): Promise<WindowOutputs>;
  /** Free what the session holds; it is not run again. */
  close(): Promise<void>;
}

/** Makes sessions from model bytes (an exported transformer graph, see `transformer.graph.ts`). */
export interface ModelRuntime {
  /** A short name for logs and benches. */
  readonly name: string;
  load(bytes: Uint8Array, opts?: RuntimeOptions): Promise<ModelSession>;
}
