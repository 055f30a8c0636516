/**
 * The `mean` baseline: each appliance's mean power over the training data, predicted at every
 * sample. It is the floor any model must beat (NILMTK ships the same "Mean" method).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NilmError } from '../errors.js';
import type { Series } from '../data/series.js';
import type { Disaggregation, Disaggregator, FitOptions } from './disaggregator.js';
import { fitAppliances } from './appliances.fit.js';

export interface MeanModelFile {
  kind: 'baseline:mean';
  version: 1;
  periodS: number;
  means: Record<string, number>;
}

export class MeanBaseline implements Disaggregator {
  readonly kind = 'baseline:mean';
  periodS: number;
  private means: Record<string, number> = {};

  constructor(periodS = 60, means: Record<string, number> = {}) {
    this.periodS = periodS;
    this.means = { ...means };
  }

  get appliances(): readonly string[] {
    return Object.keys(this.means);
  }

  async fit(train: readonly Series[], opts: FitOptions = {}): Promise<void> {
    const names = fitAppliances(train, opts.appliances);
    this.periodS = train[0]!.periodS;
    const means: Record<string, number> = {};
    for (const name of names) {
      let sum = 0;
      let n = 0;
      for (const s of train) {
        const a = s.appliances[name];
        if (!a) continue;
        for (let i = 0; i < a.length; i++) {
          if (Number.isFinite(s.mains[i]) && Number.isFinite(a[i])) {
            sum += a[i]!;
            n++;
          }
        }
      }
      if (n === 0) {
        throw new NilmError('DATA_EMPTY', `no valid training samples for "${name}"`, {
          appliance: name,
        });
      }
      means[name] = sum / n;
      opts.log?.(`mean ${name}: ${means[name]!.toFixed(1)} W over ${n} samples`);
    }
    this.means = means;
  }

  async disaggregate(series: Series): Promise<Disaggregation> {
    if (this.appliances.length === 0)
      throw new NilmError('MODEL_NOT_FITTED', 'the mean baseline has not been fitted or loaded');
    const appliances: Disaggregation['appliances'] = {};
    for (const [name, m] of Object.entries(this.means)) {
      const power = new Float32Array(series.mains.length);
      for (let i = 0; i < power.length; i++) power[i] = Number.isFinite(series.mains[i]) ? m : NaN;
      appliances[name] = { power };
    }
    return { startMs: series.startMs, periodS: series.periodS, appliances };
  }

  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    const file: MeanModelFile = {
      kind: 'baseline:mean',
      version: 1,
      periodS: this.periodS,
      means: this.means,
    };
    await writeFile(join(dir, 'model.json'), JSON.stringify(file, null, 2) + '\n');
  }

  /** Rebuild from a parsed model file. */
  static fromFile(file: MeanModelFile): MeanBaseline {
    return new MeanBaseline(file.periodS, file.means);
  }
}
