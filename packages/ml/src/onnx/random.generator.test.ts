// Proves the seeded generator is reproducible and has the right moments, and that dropout
// masks drop about `ratio` of elements and rescale the rest to keep the expectation.
import { describe, expect, it } from 'vitest';
import { fillDropoutMask, Random, randomNormal, randomUniform } from './random.generator.js';

describe('Random', () => {
  it('repeats its sequence for the same seed and differs for another', () => {
    const a = Array.from(
      { length: 5 },
      (
        (r) => () =>
          r.uniform()
      )(new Random(42)),
    );
    const b = Array.from(
      { length: 5 },
      (
        (r) => () =>
          r.uniform()
      )(new Random(42)),
    );
    const c = Array.from(
      { length: 5 },
      (
        (r) => () =>
          r.uniform()
      )(new Random(43)),
    );
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    for (const v of a) expect(v >= 0 && v < 1).toBe(true);
  });

  it('draws normals with mean 0 and the requested std', () => {
    const xs = randomNormal(new Random(1), 20000, 2);
    const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
    const variance = xs.reduce((s, v) => s + (v - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.sqrt(variance)).toBeCloseTo(2, 1);
  });

  it('draws uniforms within the limit', () => {
    const xs = randomUniform(new Random(2), 1000, 0.3, 'float64');
    expect(xs).toBeInstanceOf(Float64Array);
    expect(Math.max(...xs)).toBeLessThanOrEqual(0.3);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(-0.3);
  });
});

describe('fillDropoutMask', () => {
  it('draws the same numbers as one uint32() per element', () => {
    const a = new Random(9);
    const b = new Random(9);
    const mask = fillDropoutMask(a, new Float64Array(64), 0.5);
    const expected = Array.from({ length: 64 }, () => (b.uint32() < 2 ** 31 ? 0 : 2));
    expect(Array.from(mask)).toEqual(expected);
    expect(a.uint32()).toBe(b.uint32());
  });

  it('zeros about ratio of the elements and scales the rest by 1/(1 - ratio)', () => {
    const mask = fillDropoutMask(new Random(3), new Float32Array(10000), 0.25);
    const zeros = mask.filter((v) => v === 0).length;
    expect(zeros / mask.length).toBeCloseTo(0.25, 1);
    expect(new Set(mask)).toEqual(new Set([0, Math.fround(1 / 0.75)]));
    const mean = mask.reduce((s, v) => s + v, 0) / mask.length;
    expect(mean).toBeCloseTo(1, 1);
  });
});
