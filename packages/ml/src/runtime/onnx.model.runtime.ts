/** The model runtime on ONNX Runtime (CPU): one `InferenceSession` per loaded model. */
import * as ort from 'onnxruntime-node';
import { NilmError } from '../errors.js';
import { INPUT_MAINS, OUTPUT_ON_PROB, OUTPUT_POWER } from '../transformer/transformer.graph.js';
import type { ModelRuntime, ModelSession, RuntimeOptions, WindowOutputs } from './model.runtime.js';

/** Intra-op threads when none are asked for (the choice for the process is made by its caller). */
const DEFAULT_THREADS = 2;

class OnnxModelSession implements ModelSession {
  constructor(private readonly session: ort.InferenceSession) {}

  async run(mains: Float32Array, count: number, window: number): Promise<WindowOutputs> {
    if (mains.length < count * window)
      throw new NilmError(
        'CONFIG_INVALID',
        `expected ${count * window} samples for ${count} windows, got ${mains.length}`,
      );
    const input = new ort.Tensor('float32', mains.subarray(0, count * window), [count, window]);
    const out = await this.session.run({ [INPUT_MAINS]: input });
    return {
      power: out[OUTPUT_POWER]!.data as Float32Array,
      onProb: out[OUTPUT_ON_PROB]!.data as Float32Array,
    };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/** ONNX Runtime, CPU execution provider, all graph optimisations, sequential execution. */
export const onnxModelRuntime: ModelRuntime = {
  name: 'onnxruntime-node',
  async load(bytes: Uint8Array, opts: RuntimeOptions = {}): Promise<ModelSession> {
    const session = await ort.InferenceSession.create(bytes, {
      graphOptimizationLevel: 'all',
      intraOpNumThreads: opts.threads ?? DEFAULT_THREADS,
      interOpNumThreads: 1,
      executionMode: 'sequential',
    });
    return new OnnxModelSession(session);
  },
};
