/**
 * The inference engine the server and worker use: models are loaded lazily on first use and
 * verified against their card's sha256, sessions are cached (a bounded number) and the registry
 * can be reloaded while running (hot reload) without dropping sessions of models that did not
 * change. Every caller of a loaded model shares its batcher (`runtime/window.batcher.ts`), so
 * concurrent requests, `/infer` and the worker's runs for many buildings alike, are coalesced
 * into the same runtime calls.
 */
import { NilmError } from '../errors.js';
import type { ModelRuntime, WindowOutputs } from '../runtime/model.runtime.js';
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
  /** Windows per runtime call at most. */
  batch?: number;
  /** Intra-op threads per session (default: the runtime's). */
  threads?: number;
  /** Where sessions come from (default: ONNX Runtime). */
  runtime?: ModelRuntime;
}

interface Loaded {
  model: TransformerModel;
  sha256: string;
  lastUsed: number;
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
          runtime: this.opts.runtime,
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
          runtime: this.opts.runtime,
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
   * Run windows (each `window` samples of finite mains, W) through a model (default: the active
   * one); they share runtime calls with whatever else that model is asked at the same time.
   */
  async infer(
    windows: Float32Array,
    count: number,
    ref?: string,
  ): Promise<WindowOutputs & { model: TransformerModel }> {
    const model = await this.model(ref);
    return { ...(await model.runWindows(windows, count)), model };
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
