// Learning-rate schedules as pure functions of the step number, so a resumed run reproduces
// the same rates.

/** Linear warm-up to `peakLr`, then half-cosine decay to `minLr` at `totalSteps`. */
export interface WarmupCosineOptions {
  readonly peakLr: number;
  readonly warmupSteps: number;
  readonly totalSteps: number;
  readonly minLr?: number;
}

/**
 * Returns lr(step) for step = 0, 1, ...: (step + 1) / warmupSteps * peakLr during warm-up (so
 * the first step is not wasted at 0), then minLr + (peakLr - minLr)(1 + cos(pi p)) / 2 with p
 * the fraction of the decay phase done; minLr from totalSteps on.
 */
export function warmupCosine(options: WarmupCosineOptions): (step: number) => number {
  const { peakLr, warmupSteps, totalSteps } = options;
  const minLr = options.minLr ?? 0;
  if (warmupSteps < 0 || totalSteps < warmupSteps || peakLr < minLr) {
    throw new Error('warmupCosine: need 0 <= warmupSteps <= totalSteps and minLr <= peakLr');
  }
  return (step) => {
    if (step < warmupSteps) return (peakLr * (step + 1)) / warmupSteps;
    const span = Math.max(1, totalSteps - warmupSteps);
    const progress = Math.min(1, (step - warmupSteps) / span);
    return minLr + ((peakLr - minLr) * (1 + Math.cos(Math.PI * progress))) / 2;
  };
}
