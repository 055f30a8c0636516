/**
 * The inference engine the server and worker use: models are loaded lazily on first use and
 * verified against their card's sha256, sessions are cached (a bounded number), concurrent
 * requests for the same model are coalesced into batches, and the registry can be reloaded
 * while running (hot reload) without dropping sessions of models that did not change.
 */
import { NilmError } from '../errors.js';
import type { Series } from '../data/series.js';
import type { Disaggregation } from '../models/disaggregator.js';
import {
  readModelCard,
  readVerifiedWeights,
  TransformerModel,
} from '../transformer/transformer.disaggregator.js';
import { ModelRegistry, type RegistryEntry } from './model.registry.js';
import { sha256Hex, type ModelCard } from '../transformer/model.card.js';

export interface EngineOptions {
  /** Sessions kept loaded at most (least recently used go first). */
  maxLoaded?: number;
  /** Windows per ONNX Runtime call. */
  batch?: number;
  threads?: number;
}

interface Loaded {
  model: TransformerModel;
  sha256: string;
  lastUsed: number;
}

interface Pending {
  windows: Float32Array;
  count: number;
  resolve: (r: { power: Float32Array; onProb: Float32Array }) => void;
  reject: (e: unknown) => void;
}

/**
 * Where models come from that are not in the file registry: a building's fine-tuned models
 * (`<base id>+<building>@<n>`), kept in the metadata store so every process sees them.
 */
export interface PinnedModelSource {
  /** The card and bytes of `ref`, or undefined when there is no such model. */
  load(ref: string): Promise<{ card: ModelCard; bytes: Uint8Array } | undefined>;
}

/** A building-pinned model's ref has a `+` (registry ids never do: see TrainSettingsSchema). */
export const isPinnedRef = (ref: string): boolean => ref.includes('+');

export class InferenceEngine {
  private pinned: PinnedModelSource | undefined;

  private readonly loaded = new Map<string, Loaded>();
  private readonly loading = new Map<string, Promise<Loaded>>();
  private readonly queues = new Map<string, Pending[]>();
  private clock = 0;

  constructor(
    readonly registry: ModelRegistry,
    private readonly opts: EngineOptions = {},
  ) {}

  /** Open the registry in `modelsDir` and make an engine over it. */
  static async open(modelsDir: string, opts: EngineOptions = {}): Promise<InferenceEngine> {
    return new InferenceEngine(await ModelRegistry.open(modelsDir), opts);
  }

  /** Serve building-pinned refs from `source` (set once the metadata store is open). */
  usePinnedModels(source: PinnedModelSource): void {
    this.pinned = source;
  }

  /** Refs of the models whose sessions are in memory. */
  get loadedRefs(): string[] {
    return [...this.loaded.keys()];
  }

  private entry(ref?: string): RegistryEntry {
    if (ref) return this.registry.find(ref);
    const active = this.registry.active();
    if (!active)
      throw new NilmError(
        'MODEL_SPEC_INVALID',
        'the registry has no active model; register one with "nilm models add <dir> --activate"',
      );
    return active;
  }

  /** The loaded model for `ref` (default: the active one), loading and verifying it once. */
  async model(ref?: string): Promise<TransformerModel> {
    if (ref && isPinnedRef(ref)) return this.pinnedModel(ref);
    const entry = this.entry(ref);
    const hit = this.loaded.get(entry.ref);
    if (hit) {
      hit.lastUsed = ++this.clock;
      return hit.model;
    }
    // Single flight: concurrent first requests share one load.
    let p = this.loading.get(entry.ref);
    if (!p) {
      p = (async (): Promise<Loaded> => {
        const card = await readModelCard(entry.dir);
        const bytes = await readVerifiedWeights(entry.dir, card);
        const model = await TransformerModel.fromBytes(card, bytes, {
          batch: this.opts.batch,
          threads: this.opts.threads,
        });
        return { model, sha256: card.sha256, lastUsed: ++this.clock };
      })();
      this.loading.set(entry.ref, p);
    }
    try {
      const loaded = await p;
      this.loaded.set(entry.ref, loaded);
      await this.evict();
      return loaded.model;
    } finally {
      this.loading.delete(entry.ref);
    }
  }

  /** The verified card and weights of `ref` (default: the active model), e.g. to fine-tune it. */
  async files(ref?: string): Promise<{ ref: string; card: ModelCard; bytes: Uint8Array }> {
    if (ref && isPinnedRef(ref)) {
      const found = await this.pinned?.load(ref);
      if (!found)
        throw new NilmError('MODEL_SPEC_INVALID', `no model "${ref}": never made, or deleted`, {
          ref,
        });
      if (sha256Hex(found.bytes) !== found.card.sha256)
        throw new NilmError(
          'MODEL_FILE_INVALID',
          `model "${ref}": its bytes do not match its card's sha256; fine-tune it again`,
        );
      return { ref, ...found };
    }
    const entry = this.entry(ref);
    const card = await readModelCard(entry.dir);
    return { ref: entry.ref, card, bytes: await readVerifiedWeights(entry.dir, card) };
  }

  /** A building-pinned model: immutable once made, so cached like any other, never reloaded. */
  private async pinnedModel(ref: string): Promise<TransformerModel> {
    const hit = this.loaded.get(ref);
    if (hit) {
      hit.lastUsed = ++this.clock;
      return hit.model;
    }
    let p = this.loading.get(ref);
    if (!p) {
      p = (async (): Promise<Loaded> => {
        const found = await this.files(ref);
        const model = await TransformerModel.fromBytes(found.card, found.bytes, {
          batch: this.opts.batch,
          threads: this.opts.threads,
        });
        return { model, sha256: found.card.sha256, lastUsed: ++this.clock };
      })();
      this.loading.set(ref, p);
    }
    try {
      const loaded = await p;
      this.loaded.set(ref, loaded);
      await this.evict();
      return loaded.model;
    } finally {
      this.loading.delete(ref);
    }
  }

  private async evict(): Promise<void> {
    const max = this.opts.maxLoaded ?? 4;
    while (this.loaded.size > max) {
      const [oldest] = [...this.loaded.entries()].sort((a, b) => a[1].lastUsed - b[1].lastUsed);
      this.loaded.delete(oldest![0]);
      await oldest![1].model.release();
    }
  }

  /**
   * Run windows (each `window` samples of finite mains, W) through a model. Calls made in the
   * same tick for the same model share ONNX Runtime batches.
   */
  async infer(
    windows: Float32Array,
    count: number,
    ref?: string,
  ): Promise<{ power: Float32Array; onProb: Float32Array; model: TransformerModel }> {
    const model = await this.model(ref);
    const key = model.card.id + '@' + model.card.version;
    const result = await new Promise<{ power: Float32Array; onProb: Float32Array }>(
      (resolve, reject) => {
        const q = this.queues.get(key);
        if (q) {
          q.push({ windows, count, resolve, reject });
          return;
        }
        this.queues.set(key, [{ windows, count, resolve, reject }]);
        setImmediate(() => void this.flush(key, model));
      },
    );
    return { ...result, model };
  }

  private async flush(key: string, model: TransformerModel): Promise<void> {
    const pending = this.queues.get(key) ?? [];
    this.queues.delete(key);
    const L = model.window;
    const A = model.appliances.length;
    const max = this.opts.batch ?? 64;
    // Pack requests into batches of up to `max` windows, run, and hand each its slice back.
    let i = 0;
    while (i < pending.length) {
      const group: Pending[] = [];
      let total = 0;
      while (i < pending.length && (group.length === 0 || total + pending[i]!.count <= max)) {
        group.push(pending[i]!);
        total += pending[i]!.count;
        i++;
      }
      try {
        const buf = new Float32Array(total * L);
        let o = 0;
        for (const p of group) {
          buf.set(p.windows.subarray(0, p.count * L), o * L);
          o += p.count;
        }
        const out = await model.runWindows(buf, total);
        o = 0;
        for (const p of group) {
          const span = p.count * A * L;
          p.resolve({
            power: out.power.slice(o * A * L, o * A * L + span),
            onProb: out.onProb.slice(o * A * L, o * A * L + span),
          });
          o += p.count;
        }
      } catch (e) {
        for (const p of group) p.reject(e);
      }
    }
  }

  /** Disaggregate a whole series with a model (default: the active one). */
  async disaggregate(series: Series, ref?: string): Promise<Disaggregation> {
    return (await this.model(ref)).disaggregate(series);
  }

  /**
   * Re-read the registry and drop sessions whose model left the registry or whose weights
   * changed on disk (their card's sha256 differs); the rest stay loaded.
   */
  async reload(): Promise<{ models: number; dropped: string[] }> {
    await this.registry.reload();
    const dropped: string[] = [];
    for (const [ref, loaded] of [...this.loaded]) {
      if (isPinnedRef(ref)) continue;
      let keep: boolean;
      try {
        const entry = this.registry.find(ref);
        keep = (await readModelCard(entry.dir)).sha256 === loaded.sha256;
      } catch {
        keep = false;
      }
      if (!keep) {
        this.loaded.delete(ref);
        await loaded.model.release();
        dropped.push(ref);
      }
    }
    return { models: this.registry.list().length, dropped };
  }

  /** Release every session. */
  async close(): Promise<void> {
    for (const l of this.loaded.values()) await l.model.release();
    this.loaded.clear();
  }
}
