// Proves the finite-difference checker can fail: at Relu's kink the analytic subgradient (0)
// and the central difference (0.5) disagree and the element is reported; elsewhere it passes.
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './graph.builder.js';
import { checkGradients } from './gradient.check.js';

describe('checkGradients', () => {
  it('reports exactly the elements whose gradient disagrees with central differences', async () => {
    const g = new GraphBuilder({ floatType: 'float64' });
    const x = g.param('x', [3], Float64Array.from([0, 1.5, -2]));
    const loss = g.output(g.sumAll(g.relu(x)), 'loss');
    const result = await checkGradients(g.build(), loss, { eps: 1e-6, rtol: 1e-6, atol: 1e-9 });
    expect(result.checked).toBe(3);
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]).toMatchObject({ param: 'x', index: 0, analytic: 0 });
    expect(result.failures[0]!.numeric).toBeCloseTo(0.5, 9);
    expect(result.worstRatio).toBeGreaterThan(1);
  });

  it('samples at most maxPerParam elements per parameter', async () => {
    const g = new GraphBuilder({ floatType: 'float64' });
    const x = g.param(
      'x',
      [10],
      Float64Array.from({ length: 10 }, (_, i) => i / 10),
    );
    const loss = g.output(g.sumAll(g.mul(x, x)), 'loss');
    const result = await checkGradients(g.build(), loss, {
      eps: 1e-6,
      rtol: 1e-6,
      atol: 1e-9,
      maxPerParam: 4,
    });
    expect(result.checked).toBe(4);
    expect(result.failures).toEqual([]);
  });
});
