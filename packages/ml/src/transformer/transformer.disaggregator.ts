/**
 * Running a trained transformer on a series of any length (preprocess -> model -> postprocess):
 * the mains are cut into overlapping windows inside each stretch of valid data, windows run in
 * batches through ONNX Runtime, and the predictions of overlapping windows are blended with
 * weights that favour each window's centre (where the model sees context on both sides).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NilmError } from '../errors.js';
import type { Series } from '../data/series.js';
import { resampleSeries } from '../data/resample.js';
import type { ApplianceEstimate, Disaggregation, Disaggregator } from '../models/disaggregator.js';
import { postProcessOptionsOf, postProcessRuns } from '../models/runs.postprocess.js';
import { applyIsotonic, levelOf } from './calibration.js';
import { ModelCardSchema, sha256Hex, type ModelCard } from './model.card.js';
import type { ModelRuntime, ModelSession, WindowOutputs } from '../runtime/model.runtime.js';
import { onnxModelRuntime } from '../runtime/onnx.model.runtime.js';
import { WindowBatcher } from '../runtime/window.batcher.js';

export interface InferenceOptions {
  /** Windows per runtime call at most (default 64). */
  batch?: number;
  /** Samples between window starts; default half a window. */
  stride?: number;
  /** Intra-op threads of the session (default: the runtime's). */
  threads?: number;
  /** Where sessions come from (default: ONNX Runtime). */
  runtime?: ModelRuntime;
}

/** A post-processing rule of a transformer's output (`models/runs.postprocess.ts`). */
export type PostprocessRule = 'none' | NonNullable<ModelCard['postprocess']>;
export const POSTPROCESS_RULES: readonly PostprocessRule[] = [
  'none',
  'runs-v1',
  'runs-v2',
  'runs-v3',
];

/** Read and validate a card; a malformed card is refused with what is wrong. */
export async function readModelCard(dir: string): Promise<ModelCard> {
  let text: string;
  try {
    text = await readFile(join(dir, 'card.json'), 'utf8');
  } catch {
    throw new NilmError(
      'MODEL_FILE_INVALID',
      `${dir} has no card.json; a model directory holds model.onnx and card.json`,
      { dir },
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new NilmError(
      'MODEL_FILE_INVALID',
      `${join(dir, 'card.json')} is not valid JSON: ${(e as Error).message}`,
      { dir },
    );
  }
  const parsed = ModelCardSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new NilmError(
      'MODEL_FILE_INVALID',
      `${join(dir, 'card.json')}: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
      { dir },
    );
  }
  return parsed.data;
}

/**
 * Read `model.onnx` and check it against the card's sha256: a model whose weights were changed
 * after its card was written is refused.
 */
export async function readVerifiedWeights(dir: string, card: ModelCard): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(join(dir, 'model.onnx'));
  } catch {
    throw new NilmError('MODEL_FILE_INVALID', `${dir} has no model.onnx`, { dir });
  }
  const actual = sha256Hex(bytes);
  if (actual !== card.sha256) {
    throw new NilmError(
      'MODEL_FILE_INVALID',
      `${join(dir, 'model.onnx')} does not match its card: sha256 ${actual} != ${card.sha256}; the file was changed or corrupted, restore it or retrain`,
      { dir, expected: card.sha256, actual },
    );
  }
  return bytes;
}

/** Blend weight of position i in a window of length L: a raised triangle, never zero. */
function blendWeights(L: number): Float32Array {
  const w = new Float32Array(L);
  for (let i = 0; i < L; i++) w[i] = 0.05 + 1 - Math.abs((i + 0.5) / L - 0.5) * 2;
  return w;
}

/** Start indices of windows covering [from, to) with the given stride; the last ends at `to`. */
export function windowStarts(from: number, to: number, L: number, stride: number): number[] {
  if (to - from <= L) return [from];
  const starts: number[] = [];
  for (let s = from; s + L <= to; s += stride) starts.push(s);
  if (starts[starts.length - 1]! + L < to) starts.push(to - L);
  return starts;
}

/** A trained transformer loaded from a model directory. */
export class TransformerModel implements Disaggregator {
  readonly kind = 'transformer';

  /**
   * Post-processing `disaggregate` applies: the card's, unless set otherwise to compare rules
   * (`nilm eval --postprocess`); the server and worker keep the card's.
   */
  postprocess: PostprocessRule;

  /** Every run of this model goes through here: the one batching path (`window.batcher.ts`). */
  readonly batcher: WindowBatcher;

  private constructor(
    readonly card: ModelCard,
    private readonly session: ModelSession,
    private readonly opts: { batch: number; stride: number },
  ) {
    this.postprocess = card.postprocess ?? 'none';
    this.batcher = new WindowBatcher(session, card.window, card.appliances.length, opts.batch);
  }

  get appliances(): readonly string[] {
    return this.card.appliances.map((a) => a.name);
  }

  get periodS(): number {
    return this.card.period_s;
  }

  get groups(): Record<string, string[]> {
    return Object.fromEntries(
      this.card.appliances.filter((a) => a.members).map((a) => [a.name, a.members!]),
    );
  }

  get window(): number {
    return this.card.window;
  }

  /** Load and verify a model directory. */
  static async load(dir: string, opts: InferenceOptions = {}): Promise<TransformerModel> {
    const card = await readModelCard(dir);
    const bytes = await readVerifiedWeights(dir, card);
    return TransformerModel.fromBytes(card, bytes, opts);
  }

  /** Build from an already verified card and weights. */
  static async fromBytes(
    card: ModelCard,
    bytes: Uint8Array,
    opts: InferenceOptions = {},
  ): Promise<TransformerModel> {
    const runtime = opts.runtime ?? onnxModelRuntime;
    const session = await runtime.load(bytes, { threads: opts.threads });
    return new TransformerModel(card, session, {
      batch: opts.batch ?? 64,
      stride: opts.stride ?? Math.max(1, Math.floor(card.window / 2)),
    });
  }

  /**
   * Run the network on windows: `mains` holds `count` windows of `window` samples (W, all
   * finite). Returns power W and on-probability, each [count, A, window]. Windows asked for
   * at the same time by other callers share runtime calls with these.
   */
  runWindows(mains: Float32Array, count: number): Promise<WindowOutputs> {
    return this.batcher.run(mains, count);
  }

  async fit(): Promise<void> {
    throw new NilmError(
      'MODEL_NOT_FITTED',
      'a loaded transformer is not refitted in place; train a new one with "nilm train --config <file>"',
    );
  }

  async save(): Promise<void> {
    throw new NilmError(
      'CONFIG_INVALID',
      'a loaded transformer is saved by copying its directory (model.onnx + card.json)',
    );
  }

  /**
   * Estimate every appliance over `series`; a series at another sample rate is resampled to the
   * model's period first, and the result is on the model's grid.
   */
  async disaggregate(input: Series): Promise<Disaggregation> {
    const series = input.periodS === this.periodS ? input : resampleSeries(input, this.periodS);
    const L = this.card.window;
    const A = this.appliances.length;
    const n = series.mains.length;
    const acc = Array.from({ length: A }, () => new Float32Array(n));
    const accOn = Array.from({ length: A }, () => new Float32Array(n));
    const wsum = new Float32Array(n);
    const weights = blendWeights(L);
    // Stretches of valid mains; a stretch shorter than a window is padded with its edge values.
    const jobs: Array<{ start: number; from: number; to: number }> = [];
    let i = 0;
    while (i < n) {
      if (!Number.isFinite(series.mains[i])) {
        i++;
        continue;
      }
      let j = i;
      while (j < n && Number.isFinite(series.mains[j])) j++;
      for (const s of windowStarts(i, j, L, this.opts.stride))
        jobs.push({ start: s, from: i, to: j });
      i = j;
    }
    // Windows go to the batcher a batch at a time (memory stays one batch however long the
    // series); windows of other callers waiting at the same time fill the same runtime calls.
    const B = this.opts.batch;
    for (let b0 = 0; b0 < jobs.length; b0 += B) {
      const batch = jobs.slice(b0, b0 + B);
      const buf = new Float32Array(batch.length * L);
      batch.forEach((job, k) => {
        for (let t = 0; t < L; t++) {
          const src = Math.min(job.start + t, job.to - 1);
          buf[k * L + t] = series.mains[src]!;
        }
      });
      const { power, onProb } = await this.runWindows(buf, batch.length);
      batch.forEach((job, k) => {
        const len = Math.min(L, job.to - job.start);
        for (let t = 0; t < len; t++) {
          const idx = job.start + t;
          const w = weights[t]!;
          wsum[idx] += w;
          for (let a = 0; a < A; a++) {
            const o = (k * A + a) * L + t;
            acc[a]![idx] += w * power[o]!;
            accOn[a]![idx] += w * onProb[o]!;
          }
        }
      });
    }
    const appliances: Disaggregation['appliances'] = {};
    this.appliances.forEach((name, a) => {
      const p = acc[a]!;
      const q = accOn[a]!;
      for (let t = 0; t < n; t++) {
        if (wsum[t]! > 0) {
          p[t] = p[t]! / wsum[t]!;
          q[t] = q[t]! / wsum[t]!;
        } else {
          p[t] = NaN;
          q[t] = NaN;
        }
      }
      const spec = this.card.appliances[a]!;
      if (spec.prob_levels) {
        const { edges_w, maps } = spec.prob_levels;
        for (let t = 0; t < n; t++)
          if (Number.isFinite(q[t]!)) q[t] = applyIsotonic(maps[levelOf(edges_w, p[t]!)]!, q[t]!);
      }
      const est: Disaggregation['appliances'][string] = {
        power: p,
        onProb: q,
        onThreshold: spec.on_prob_threshold,
      };
      if (spec.band) {
        const { edges, q90_w } = spec.band;
        const lower = new Float32Array(n);
        const upper = new Float32Array(n);
        for (let t = 0; t < n; t++) {
          if (!Number.isFinite(p[t]!)) {
            lower[t] = NaN;
            upper[t] = NaN;
            continue;
          }
          let bin = 0;
          while (bin < q90_w.length - 1 && q[t]! >= edges[bin + 1]!) bin++;
          lower[t] = Math.max(0, p[t]! - q90_w[bin]!);
          // An appliance draws no more than the mains: the band is capped there (never below
          // the estimate), which narrows the wide bands of low on_prob without losing coverage.
          const mains = series.mains[t]!;
          upper[t] = Math.max(p[t]!, Math.min(p[t]! + q90_w[bin]!, mains >= 0 ? mains : Infinity));
        }
        est.lower = lower;
        est.upper = upper;
      }
      appliances[name] = est;
    });
    return {
      startMs: series.startMs,
      periodS: series.periodS,
      appliances: this.postprocessed(series.mains, series.periodS, appliances),
    };
  }

  /** The card's post-processing over the heads it names (all when it names none). */
  private postprocessed(
    mains: ArrayLike<number>,
    periodS: number,
    appliances: Record<string, ApplianceEstimate>,
  ): Record<string, ApplianceEstimate> {
    if (this.postprocess === 'none') return appliances;
    const only = this.card.postprocess_heads;
    const chosen = only
      ? Object.fromEntries(Object.entries(appliances).filter(([a]) => only.includes(a)))
      : appliances;
    const done = postProcessRuns(mains, periodS, chosen, postProcessOptionsOf(this.postprocess));
    return { ...appliances, ...done };
  }

  /** Free the runtime session. */
  async release(): Promise<void> {
    await this.session.close();
  }
}
