// Proves AdamW's update rule (bias correction, decoupled decay, per-parameter no-decay), that it
// minimises a quadratic, that its state round-trips, and that global-norm clipping scales right.
import { describe, expect, it } from 'vitest';
import { AdamW, clipGradNorm, globalGradNorm } from './adamw.optimizer.js';

const grads = (entries: Record<string, number[]>): Map<string, Float32Array> =>
  new Map(Object.entries(entries).map(([k, v]) => [k, Float32Array.from(v)]));

describe('AdamW', () => {
  it('first step moves each weight by lr * g / (|g| + eps) after decoupled decay', () => {
    const w = Float64Array.from([1, -2, 0.5]);
    const opt = new AdamW([{ name: 'w', data: w }], { lr: 0.1, weightDecay: 0.5, eps: 1e-8 });
    const g = [0.3, -4, 1e-3];
    opt.step(grads({ w: g }));
    const start = [1, -2, 0.5];
    start.forEach((p0, i) => {
      const gi = g[i]!;
      const gf = Math.fround(gi);
      expect(w[i]).toBeCloseTo(p0 * (1 - 0.1 * 0.5) - (0.1 * gf) / (Math.abs(gf) + 1e-8), 12);
    });
    expect(opt.steps).toBe(1);
  });

  it('bias correction makes a constant gradient give the same step size every step', () => {
    const w = new Float64Array([0]);
    const opt = new AdamW([{ name: 'w', data: w }], { lr: 0.01, weightDecay: 0, eps: 0 });
    const deltas: number[] = [];
    for (let t = 0; t < 5; t++) {
      const before = w[0]!;
      opt.step(grads({ w: [0.25] }));
      deltas.push(before - w[0]!);
    }
    for (const d of deltas) expect(d).toBeCloseTo(0.01, 12);
  });

  it('decays only parameters that opt in, and zero gradients leave only the decay', () => {
    const decayed = Float32Array.from([2, -2]);
    const bias = Float32Array.from([2, -2]);
    const opt = new AdamW(
      [
        { name: 'w', data: decayed },
        { name: 'b', data: bias, decay: false },
      ],
      { lr: 0.1, weightDecay: 0.1 },
    );
    opt.step(grads({ w: [0, 0], b: [0, 0] }));
    expect(Array.from(decayed)).toEqual([Math.fround(2 * 0.99), Math.fround(-2 * 0.99)]);
    expect(Array.from(bias)).toEqual([2, -2]);
  });

  it('minimises a quadratic', () => {
    const target = [3, -1, 0.5, 7];
    const w = new Float32Array(4);
    const opt = new AdamW([{ name: 'w', data: w }], { lr: 0.1, weightDecay: 0 });
    for (let t = 0; t < 500; t++) {
      opt.step(grads({ w: Array.from(w, (v, i) => 2 * (v - target[i]!)) }));
    }
    w.forEach((v, i) => expect(v).toBeCloseTo(target[i]!, 2));
  });

  it('restores state so a resumed run continues identically', () => {
    const run = (resume: boolean): number[] => {
      const w = Float64Array.from([1, 2]);
      let opt = new AdamW([{ name: 'w', data: w }], { lr: 0.05 });
      for (let t = 0; t < 6; t++) {
        if (resume && t === 3) {
          const saved = opt.state();
          opt = new AdamW([{ name: 'w', data: w }], { lr: 0.05 });
          opt.load(saved);
        }
        opt.step(grads({ w: [Math.sin(t), Math.cos(t)] }));
      }
      return Array.from(w);
    };
    expect(run(true)).toEqual(run(false));
  });

  it('rejects a missing gradient and mismatched state', () => {
    const opt = new AdamW([{ name: 'w', data: new Float32Array(2) }]);
    expect(() => opt.step(new Map())).toThrow(/No gradient for parameter 'w'/);
    expect(() => opt.load({ step: 1, m: {}, v: {} })).toThrow(/does not match parameter 'w'/);
    expect(opt.steps).toBe(0);
  });
});

describe('gradient clipping', () => {
  it('scales all gradients together down to maxNorm and reports the norm before', () => {
    const g = grads({ a: [3, 0], b: [0, 4] });
    expect(clipGradNorm(g, 1)).toBeCloseTo(5, 6);
    expect(globalGradNorm(g)).toBeCloseTo(1, 6);
    expect(Array.from(g.get('a')!)).toEqual([Math.fround(0.6), 0]);
    expect(Array.from(g.get('b')!)).toEqual([0, Math.fround(0.8)]);
  });

  it('leaves gradients under the limit unchanged', () => {
    const g = grads({ a: [0.3, 0.4] });
    expect(clipGradNorm(g, 1)).toBeCloseTo(0.5, 6);
    expect(Array.from(g.get('a')!)).toEqual([Math.fround(0.3), Math.fround(0.4)]);
  });
});
