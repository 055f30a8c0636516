// AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019) over the
// live weight arrays, plus global-norm gradient clipping. This is the only per-element JS loop
// in a training step; moments are kept in float64 so long runs do not drift.

/** Hyper-parameters; defaults follow PyTorch's AdamW. */
export interface AdamWOptions {
  readonly lr?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  /** Decoupled decay rate: each step multiplies decayed weights by (1 - lr * weightDecay). */
  readonly weightDecay?: number;
}

/** A parameter the optimizer updates in place. */
export interface OptimizerParam {
  readonly name: string;
  readonly data: Float32Array | Float64Array;
  /** Whether weight decay applies (default true); turn off for biases and norm parameters. */
  readonly decay?: boolean;
}

/** Gradients by parameter name. */
export type Gradients = ReadonlyMap<string, Float32Array | Float64Array>;

/** Serialisable optimizer state (for checkpoints). */
export interface AdamWState {
  readonly step: number;
  readonly m: Readonly<Record<string, Float64Array>>;
  readonly v: Readonly<Record<string, Float64Array>>;
}

/** AdamW with bias correction and per-parameter opt-out of weight decay. */
export class AdamW {
  private readonly lr: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly weightDecay: number;
  private readonly m = new Map<string, Float64Array>();
  private readonly v = new Map<string, Float64Array>();
  private t = 0;

  constructor(
    private readonly params: readonly OptimizerParam[],
    options: AdamWOptions = {},
  ) {
    this.lr = options.lr ?? 1e-3;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
    for (const p of params) {
      if (this.m.has(p.name)) throw new Error(`Parameter '${p.name}' is listed twice`);
      this.m.set(p.name, new Float64Array(p.data.length));
      this.v.set(p.name, new Float64Array(p.data.length));
    }
  }

  /** Number of steps taken. */
  get steps(): number {
    return this.t;
  }

  /** Applies one update to every parameter, at learning rate `lr` (default: the option). */
  step(grads: Gradients, lr: number = this.lr): void {
    // Check every gradient before touching any weight, so a bad call changes nothing.
    for (const p of this.params) {
      const g = grads.get(p.name);
      if (!g) throw new Error(`No gradient for parameter '${p.name}'`);
      if (g.length !== p.data.length) throw new Error(`Gradient of '${p.name}' has the wrong size`);
    }
    this.t++;
    const { beta1, beta2, eps } = this;
    const bc1 = 1 - beta1 ** this.t;
    const bc2Sqrt = Math.sqrt(1 - beta2 ** this.t);
    const stepSize = lr / bc1;
    for (const p of this.params) {
      const g = grads.get(p.name)!;
      const m = this.m.get(p.name)!;
      const v = this.v.get(p.name)!;
      const keep = p.decay === false ? 1 : 1 - lr * this.weightDecay;
      const w = p.data;
      for (let i = 0; i < w.length; i++) {
        const gi = g[i]!;
        const mi = beta1 * m[i]! + (1 - beta1) * gi;
        const vi = beta2 * v[i]! + (1 - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        w[i] = w[i]! * keep - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
      }
    }
  }

  /** A copy of the moments and step count. */
  state(): AdamWState {
    const copy = (src: Map<string, Float64Array>): Record<string, Float64Array> =>
      Object.fromEntries([...src].map(([k, a]) => [k, Float64Array.from(a)]));
    return { step: this.t, m: copy(this.m), v: copy(this.v) };
  }

  /** Restores moments and step count saved by {@link state}; checks everything first. */
  load(state: AdamWState): void {
    for (const p of this.params) {
      const m = state.m[p.name];
      const v = state.v[p.name];
      if (!m || !v || m.length !== p.data.length || v.length !== p.data.length) {
        throw new Error(`Optimizer state does not match parameter '${p.name}'`);
      }
    }
    for (const p of this.params) {
      this.m.get(p.name)!.set(state.m[p.name]!);
      this.v.get(p.name)!.set(state.v[p.name]!);
    }
    this.t = state.step;
  }
}

/** Euclidean norm of all gradients taken together. */
export function globalGradNorm(grads: Gradients): number {
  let sum = 0;
  for (const g of grads.values()) for (let i = 0; i < g.length; i++) sum += g[i]! * g[i]!;
  return Math.sqrt(sum);
}

/**
 * Scales all gradients in place so their global norm is at most `maxNorm`; returns the norm
 * before clipping (worth logging: spikes show instability).
 */
export function clipGradNorm(grads: Gradients, maxNorm: number): number {
  const norm = globalGradNorm(grads);
  if (norm > maxNorm && norm > 0) {
    const scale = maxNorm / norm;
    for (const g of grads.values()) for (let i = 0; i < g.length; i++) g[i]! *= scale;
  }
  return norm;
}
