// The kernels ONNX Runtime actually runs for a model, read from its own profiler: tests use it
// to check that the graphs we build meet the runtime's fusions (one kernel where our graph has
// several ops), which no output value shows; scripts/model-profile.ts, to say where a call's
// time goes.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

/** One kernel run: the node the runtime ran (after its own graph rewrites), its op type, time. */
export interface KernelRun {
  readonly node: string;
  readonly op: string;
  /** Kernel time, microseconds. */
  readonly us: number;
}

/** A float32 input: its values and dims. */
export interface FloatInput {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/**
 * Runs `bytes` on `inputs` (all optimisations, 1 thread, `runs` calls, default 1) with the
 * profiler on; returns every kernel run of those calls, in order, and the last call's outputs.
 */
export async function profileKernels(
  bytes: Uint8Array,
  inputs: Readonly<Record<string, FloatInput>>,
  runs = 1,
): Promise<{ kernels: KernelRun[]; outputs: Record<string, Float32Array> }> {
  const feeds = Object.fromEntries(
    Object.entries(inputs).map(([name, x]) => [name, new ort.Tensor('float32', x.data, x.dims)]),
  );
  const dir = mkdtempSync(join(tmpdir(), 'nilm-kernels-'));
  try {
    const session = await ort.InferenceSession.create(bytes, {
      graphOptimizationLevel: 'all',
      intraOpNumThreads: 1,
      enableProfiling: true,
      profileFilePrefix: join(dir, 'p'),
    });
    let out = await session.run(feeds);
    for (let i = 1; i < runs; i++) out = await session.run(feeds);
    const outputs = Object.fromEntries(
      Object.entries(out).map(([name, t]) => [name, t.data as Float32Array]),
    );
    session.endProfiling();
    await session.release();
    const events = JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]!), 'utf8')) as {
      cat: string;
      name: string;
      dur: number;
      args?: { op_name?: string };
    }[];
    const kernels = events
      .filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'))
      .map((e) => ({
        node: e.name.slice(0, -'_kernel_time'.length),
        op: e.args?.op_name ?? '',
        us: e.dur,
      }));
    return { kernels, outputs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
