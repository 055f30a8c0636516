// Seeded pseudo-random numbers for weight initialisation and dropout masks, so a training run
// is reproducible from its seed. Mulberry32: tiny, fast, and good enough for these uses (not
// for cryptography).

/** A seeded generator of uniform and normal numbers. */
export class Random {
  private state: number;
  private spare: number | undefined;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform 32-bit unsigned integer. */
  uint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    return Random.mix(this.state);
  }

  private static mix(state: number): number {
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /**
   * Sets each element of `out` to 0 with probability `p`, else to `value`; the same draws as
   * calling uint32() once per element, with the state kept in a local for speed.
   */
  fillBernoulli(out: Float32Array | Float64Array, p: number, value: number): void {
    const threshold = Math.floor(p * 4294967296);
    let state = this.state;
    for (let i = 0; i < out.length; i++) {
      state = (state + 0x6d2b79f5) >>> 0;
      out[i] = Random.mix(state) < threshold ? 0 : value;
    }
    this.state = state;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.uint32() / 4294967296;
  }

  /** Standard normal (Box-Muller, caching the second value). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    const u = 1 - this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }
}

type FloatArrayType = 'float32' | 'float64';

function allocate(size: number, type: FloatArrayType): Float32Array | Float64Array {
  return type === 'float32' ? new Float32Array(size) : new Float64Array(size);
}

/** Fills a new array with N(0, std^2) values (float32 unless `type` says otherwise). */
export function randomNormal(
  rng: Random,
  size: number,
  std?: number,
  type?: 'float32',
): Float32Array;
export function randomNormal(rng: Random, size: number, std: number, type: 'float64'): Float64Array;
export function randomNormal(
  rng: Random,
  size: number,
  std: number,
  type: FloatArrayType,
): Float32Array | Float64Array;
export function randomNormal(
  rng: Random,
  size: number,
  std = 1,
  type: FloatArrayType = 'float32',
): Float32Array | Float64Array {
  const out = allocate(size, type);
  for (let i = 0; i < size; i++) out[i] = rng.normal() * std;
  return out;
}

/** Fills a new array with U(-limit, limit) values (float32 unless `type` says otherwise). */
export function randomUniform(
  rng: Random,
  size: number,
  limit: number,
  type?: 'float32',
): Float32Array;
export function randomUniform(
  rng: Random,
  size: number,
  limit: number,
  type: 'float64',
): Float64Array;
export function randomUniform(
  rng: Random,
  size: number,
  limit: number,
  type: FloatArrayType,
): Float32Array | Float64Array;
export function randomUniform(
  rng: Random,
  size: number,
  limit: number,
  type: FloatArrayType = 'float32',
): Float32Array | Float64Array {
  const out = allocate(size, type);
  for (let i = 0; i < size; i++) out[i] = (2 * rng.uniform() - 1) * limit;
  return out;
}

/**
 * Fills `out` with an inverted-dropout mask: each element is 0 with probability `ratio`,
 * otherwise 1/(1 - ratio), so the expected activation is unchanged.
 */
export function fillDropoutMask<T extends Float32Array | Float64Array>(
  rng: Random,
  out: T,
  ratio: number,
): T {
  rng.fillBernoulli(out, ratio, 1 / (1 - ratio));
  return out;
}
