/** Shared argument checks for `fit`: which appliances to learn from a training set. */
import { NilmError } from '../errors.js';
import { canonicalAppliance } from '../data/appliances.js';
import type { Series } from '../data/series.js';

/**
 * The appliances to fit: the requested ones (each must be in some training series), or every
 * appliance any training series has. Also checks that all series share one period.
 */
export function fitAppliances(train: readonly Series[], requested?: readonly string[]): string[] {
  if (train.length === 0) throw new NilmError('DATA_EMPTY', 'no training data given');
  const periodS = train[0]!.periodS;
  for (const s of train) {
    if (s.periodS !== periodS) {
      throw new NilmError(
        'DATA_MISMATCH',
        `training series have different periods (${periodS} s and ${s.periodS} s); resample them to one`,
        { source: s.source },
      );
    }
  }
  const present = new Set(train.flatMap((s) => Object.keys(s.appliances)));
  if (!requested) return [...present].sort();
  return requested.map((r) => {
    const name = canonicalAppliance(r);
    if (!present.has(name)) {
      throw new NilmError(
        'APPLIANCE_UNKNOWN',
        `appliance "${name}" is not in the training data (it has: ${[...present].join(', ') || 'none'})`,
        { appliance: name },
      );
    }
    return name;
  });
}
