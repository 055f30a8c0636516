/**
 * A training run's checkpoint (`<out>/checkpoint`): the weights (`params.bin`, float32), the
 * AdamW moments (`adam.bin`, float64 with the step first) and the bookkeeping (`state.json`),
 * each written atomically after every epoch so a run can resume where it stopped.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NilmError } from '../errors.js';
import type { AdamW, AdamWState } from '../onnx/adamw.optimizer.js';
import type { EpochLog } from './train.settings.js';

/** The bookkeeping a run resumes from (`state.json`). */
export interface CheckpointState {
  epoch: number;
  step: number;
  bestEpoch: number;
  /** Best monitored value so far (lower is better; see earlyStopping.metric). */
  bestValLoss: number;
  badEpochs: number;
  history: EpochLog[];
  posWeight: number[];
  powerScaleW: number[];
  seconds: number;
}

/** A trainable parameter as the checkpoint sees it. */
type Param = { name: string; data: Float32Array | Float64Array };

/** Writes `path` through a temporary file and a rename, so a crash never leaves half a file. */
export async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await writeFile(`${path}.tmp`, data);
  await rename(`${path}.tmp`, path);
}

/** The parameters' values, concatenated in order, as float32 bytes. */
export function packParams(
  params: ReadonlyArray<{ data: Float32Array | Float64Array }>,
): Uint8Array {
  const total = params.reduce((a, p) => a + p.data.length, 0);
  const out = new Float32Array(total);
  let o = 0;
  for (const p of params) {
    out.set(p.data, o);
    o += p.data.length;
  }
  return new Uint8Array(out.buffer);
}

/** Copies `packParams` bytes back into `params`; throws MODEL_FILE_INVALID if the sizes differ. */
export function unpackParams(
  bytes: Uint8Array,
  params: ReadonlyArray<{ name: string; data: Float32Array | Float64Array }>,
): void {
  const all = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
  const total = params.reduce((a, p) => a + p.data.length, 0);
  if (all.length !== total)
    throw new NilmError(
      'MODEL_FILE_INVALID',
      `checkpoint holds ${all.length} weights, the model has ${total}; was the config changed?`,
    );
  let o = 0;
  for (const p of params) {
    p.data.set(all.subarray(o, o + p.data.length));
    o += p.data.length;
  }
}

/** AdamW's step then each parameter's first and second moments, in `names` order, as float64 bytes. */
export function packAdam(state: AdamWState, names: readonly string[]): Uint8Array {
  const parts = names.flatMap((n) => [state.m[n]!, state.v[n]!]);
  const total = parts.reduce((a, p) => a + p.length, 0);
  const out = new Float64Array(total + 1);
  out[0] = state.step;
  let o = 1;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return new Uint8Array(out.buffer);
}

/** Reads `packAdam` bytes for `params`; throws MODEL_FILE_INVALID if they do not match. */
export function unpackAdam(
  bytes: Uint8Array,
  params: ReadonlyArray<{ name: string; data: { length: number } }>,
): AdamWState {
  const all = new Float64Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
  const m: Record<string, Float64Array> = {};
  const v: Record<string, Float64Array> = {};
  let o = 1;
  for (const p of params) {
    m[p.name] = all.slice(o, o + p.data.length);
    o += p.data.length;
    v[p.name] = all.slice(o, o + p.data.length);
    o += p.data.length;
  }
  if (o !== all.length)
    throw new NilmError(
      'MODEL_FILE_INVALID',
      'optimizer checkpoint does not match the model; was the config changed?',
    );
  return { step: all[0]!, m, v };
}

/** Where a run keeps its checkpoint, whether it resumes, and the state it resumes from. */
interface OpenedCheckpoint {
  ckptDir: string;
  resuming: boolean;
  saved: CheckpointState | undefined;
}

/**
 * Makes `<outDir>/checkpoint` and reads its state when resuming; a run that exists there is
 * only continued with `resume`, never overwritten.
 */
export async function openCheckpoint(outDir: string, resume?: boolean): Promise<OpenedCheckpoint> {
  await mkdir(join(outDir, 'checkpoint'), { recursive: true });
  const ckptDir = join(outDir, 'checkpoint');
  const resuming = !!resume && existsSync(join(ckptDir, 'state.json'));
  if (!resume && existsSync(join(ckptDir, 'state.json'))) {
    throw new NilmError(
      'CONFIG_INVALID',
      `${outDir} already holds a run; pass --resume to continue it or choose another --out`,
    );
  }
  const saved = resuming
    ? (JSON.parse(await readFile(join(ckptDir, 'state.json'), 'utf8')) as CheckpointState)
    : undefined;
  return { ckptDir, resuming, saved };
}

/** Loads the checkpoint's weights into `params` (in place) and its moments into `optimizer`. */
export async function restoreWeights(
  ckptDir: string,
  params: readonly Param[],
  optimizer: AdamW,
): Promise<void> {
  unpackParams(await readFile(join(ckptDir, 'params.bin')), params);
  optimizer.load(unpackAdam(await readFile(join(ckptDir, 'adam.bin')), params));
}

/** Writes the weights, the optimizer moments and then the state that refers to them. */
export async function saveCheckpoint(
  ckptDir: string,
  state: CheckpointState,
  params: readonly Param[],
  optimizer: AdamW,
): Promise<void> {
  await writeAtomic(join(ckptDir, 'params.bin'), packParams(params));
  await writeAtomic(
    join(ckptDir, 'adam.bin'),
    packAdam(
      optimizer.state(),
      params.map((p) => p.name),
    ),
  );
  await writeAtomic(join(ckptDir, 'state.json'), JSON.stringify(state));
}
