/**
 * Turning a model spec into a ready Disaggregator: `baseline:mean`, `baseline:co`, a model
 * directory, `default` (the registry's active model) or a registered `id@version`. Baselines are fitted on training data when it is given, else loaded
 * from the small files shipped under `models/baselines/`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { NilmError } from '../errors.js';
import type { Series } from '../data/series.js';
import { CoBaseline, type CoModelFile } from './co.baseline.js';
import type { Disaggregator } from './disaggregator.js';
import { MeanBaseline, type MeanModelFile } from './mean.baseline.js';
import { TransformerModel } from '../transformer/transformer.disaggregator.js';
import { ModelRegistry } from '../registry/model.registry.js';

export interface ResolveOptions {
  /** Root of the shipped models (the repository's `models/`). */
  modelsDir: string;
  /** Fit baselines on these series instead of loading the shipped files. */
  train?: readonly Series[];
  log?: (message: string) => void;
}

/**
 * Load a model directory: a transformer (`model.onnx` + `card.json`, weights checked against
 * the card's sha256) or a baseline written by `save` (a `model.json` naming its kind).
 */
export async function loadModelDir(dir: string): Promise<Disaggregator> {
  if (existsSync(join(dir, 'card.json'))) return TransformerModel.load(dir);
  const file = join(dir, 'model.json');
  if (!existsSync(file)) {
    throw new NilmError(
      'MODEL_FILE_INVALID',
      `${dir} is not a model directory: it has neither card.json (transformer) nor model.json (baseline)`,
      { dir },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new NilmError(
      'MODEL_FILE_INVALID',
      `${file} is not valid JSON: ${(e as Error).message}`,
      { file },
    );
  }
  const kind = (parsed as { kind?: unknown }).kind;
  if (kind === 'baseline:mean') return MeanBaseline.fromFile(parsed as MeanModelFile);
  if (kind === 'baseline:co') return CoBaseline.fromFile(parsed as CoModelFile);
  throw new NilmError(
    'MODEL_FILE_INVALID',
    `${file} has unknown kind ${JSON.stringify(kind)}; expected baseline:mean or baseline:co`,
    { file },
  );
}

/** Resolve `spec` to a fitted or loaded Disaggregator. */
export async function resolveModel(spec: string, opts: ResolveOptions): Promise<Disaggregator> {
  if (spec === 'baseline:mean' || spec === 'baseline:co') {
    if (opts.train) {
      const model = spec === 'baseline:mean' ? new MeanBaseline() : new CoBaseline();
      await model.fit(opts.train, { log: opts.log });
      return model;
    }
    return loadModelDir(join(opts.modelsDir, 'baselines', spec.slice('baseline:'.length)));
  }
  if (spec === 'default') {
    const active = (await ModelRegistry.open(opts.modelsDir)).active();
    if (!active) {
      throw new NilmError(
        'MODEL_SPEC_INVALID',
        `no default model: the registry in ${opts.modelsDir} has no active model; use baseline:co or baseline:mean, or a model directory`,
        { spec },
      );
    }
    return loadModelDir(active.dir);
  }
  if (/^[a-z0-9][a-z0-9._-]*@[^/\\]+$/.test(spec)) {
    return loadModelDir((await ModelRegistry.open(opts.modelsDir)).find(spec).dir);
  }
  if (existsSync(spec) && statSync(spec).isDirectory()) return loadModelDir(spec);
  throw new NilmError(
    'MODEL_SPEC_INVALID',
    `model "${spec}" is neither baseline:mean, baseline:co, default, a registered id@version, nor a model directory`,
    { spec },
  );
}
