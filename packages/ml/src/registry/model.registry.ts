/**
 * The model registry: versions of trained models under one folder, one of them active.
 *
 *   <modelsDir>/registry.json                      { format, version, active, models: [...] }
 *   <modelsDir>/<id>/<version>/model.onnx + card.json
 *
 * The file is small and rewritten atomically; the server keeps per-building choices in its
 * metadata store and falls back to the registry's active model.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { NilmError } from '../errors.js';
import { readModelCard, readVerifiedWeights } from '../transformer/transformer.disaggregator.js';
import type { ModelCard } from '../transformer/model.card.js';

const RegistryFileSchema = z.object({
  format: z.literal('nilm-registry'),
  format_version: z.literal(1),
  active: z.string().nullable(),
  models: z.array(z.object({ id: z.string(), version: z.string(), path: z.string() })),
});

type RegistryFile = z.infer<typeof RegistryFileSchema>;

/** One registered model version. */
export interface RegistryEntry {
  /** `<id>@<version>`, the handle used everywhere. */
  ref: string;
  id: string;
  version: string;
  /** Absolute model directory. */
  dir: string;
  active: boolean;
}

/** `id@version` of a card. */
export const refOf = (card: Pick<ModelCard, 'id' | 'version'>): string =>
  `${card.id}@${card.version}`;

export class ModelRegistry {
  private constructor(
    readonly modelsDir: string,
    private file: RegistryFile,
  ) {}

  /** Open the registry in `modelsDir`; a missing registry.json is an empty registry. */
  static async open(modelsDir: string): Promise<ModelRegistry> {
    const dir = resolve(modelsDir);
    return new ModelRegistry(dir, await ModelRegistry.read(dir));
  }

  private static async read(dir: string): Promise<RegistryFile> {
    const path = join(dir, 'registry.json');
    if (!existsSync(path))
      return { format: 'nilm-registry', format_version: 1, active: null, models: [] };
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(path, 'utf8'));
    } catch (e) {
      throw new NilmError(
        'MODEL_FILE_INVALID',
        `${path} is not valid JSON: ${(e as Error).message}`,
      );
    }
    const parsed = RegistryFileSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new NilmError(
        'MODEL_FILE_INVALID',
        `${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
      );
    }
    return parsed.data;
  }

  /** Re-read registry.json (after another process changed it). */
  async reload(): Promise<void> {
    this.file = await ModelRegistry.read(this.modelsDir);
  }

  /** Every registered version, the active one marked. */
  list(): RegistryEntry[] {
    return this.file.models.map((m) => ({
      ref: `${m.id}@${m.version}`,
      id: m.id,
      version: m.version,
      dir: resolve(this.modelsDir, m.path),
      active: this.file.active === `${m.id}@${m.version}`,
    }));
  }

  /** The entry for `ref` (`id@version`, or just `id` for its newest registered version). */
  find(ref: string): RegistryEntry {
    const all = this.list();
    const hit = ref.includes('@')
      ? all.find((e) => e.ref === ref)
      : all.filter((e) => e.id === ref).pop();
    if (!hit) {
      throw new NilmError(
        'MODEL_SPEC_INVALID',
        `no model "${ref}" in the registry; registered: ${all.map((e) => e.ref).join(', ') || 'none'}`,
        { ref },
      );
    }
    return hit;
  }

  /** The active model, or undefined when none is set. */
  active(): RegistryEntry | undefined {
    return this.list().find((e) => e.active);
  }

  /** Make `ref` the active model (checked to exist and to verify first). */
  async activate(ref: string): Promise<RegistryEntry> {
    const entry = this.find(ref);
    await readVerifiedWeights(entry.dir, await readModelCard(entry.dir));
    this.file = { ...this.file, active: entry.ref };
    await this.write();
    return { ...entry, active: true };
  }

  /**
   * Copy a trained model directory into the registry as `<id>/<version>` (its card says which);
   * refuses a model that does not verify or a version that is already registered.
   */
  async add(sourceDir: string, opts: { activate?: boolean } = {}): Promise<RegistryEntry> {
    const card = await readModelCard(sourceDir);
    await readVerifiedWeights(sourceDir, card);
    const ref = refOf(card);
    if (this.file.models.some((m) => `${m.id}@${m.version}` === ref)) {
      throw new NilmError(
        'CONFIG_INVALID',
        `${ref} is already registered; give the new model another version in its training config`,
      );
    }
    const rel = join(card.id, card.version);
    const dest = join(this.modelsDir, rel);
    await mkdir(dest, { recursive: true });
    await cp(join(sourceDir, 'model.onnx'), join(dest, 'model.onnx'));
    await cp(join(sourceDir, 'card.json'), join(dest, 'card.json'));
    this.file = {
      ...this.file,
      models: [...this.file.models, { id: card.id, version: card.version, path: rel }],
    };
    if (opts.activate || this.file.active === null) this.file.active = ref;
    await this.write();
    return this.find(ref);
  }

  private async write(): Promise<void> {
    await mkdir(this.modelsDir, { recursive: true });
    const path = join(this.modelsDir, 'registry.json');
    await writeFile(`${path}.tmp`, JSON.stringify(this.file, null, 2) + '\n');
    await rename(`${path}.tmp`, path);
  }
}
