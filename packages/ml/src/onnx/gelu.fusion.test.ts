// ONNX Runtime fuses the builder's erf GELU into its one-kernel Gelu at inference: read from the
// runtime's own profile, which names the kernels it actually ran.
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './graph.builder.js';
import { exportInferenceModel } from './graph.export.js';
import { profileKernels } from './kernel.profile.js';

/** The op types of the kernels ONNX Runtime ran for one call of `bytes` on input x [2, 3, 8]. */
async function kernelsRun(
  bytes: Uint8Array,
  x: Float32Array,
): Promise<{ ops: Set<string>; y: Float32Array }> {
  const { kernels, outputs } = await profileKernels(bytes, { x: { data: x, dims: [2, 3, 8] } });
  return { ops: new Set(kernels.map((k) => k.op)), y: outputs['y']! };
}

describe('GELU at inference', () => {
  it('runs as one fused Gelu kernel, with the exact erf values', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', [2, 3, 8]);
    const y = g.output(g.gelu(x), 'y');
    const input = Float32Array.from({ length: 48 }, (_, i) => (i - 24) / 6);
    const { ops, y: got } = await kernelsRun(exportInferenceModel(g.build(), [y]), input);
    expect([...ops]).toEqual(['Gelu']);
    // Reference: x * Phi(x), Phi from erf by its series (exact to float precision here).
    const erf = (v: number): number => {
      let sum = 0;
      let term = v;
      for (let n = 0; n < 80; n++) {
        sum += term / (2 * n + 1);
        term *= (-v * v) / (n + 1);
      }
      return (2 / Math.sqrt(Math.PI)) * sum;
    };
    input.forEach((v, i) => expect(got[i]).toBeCloseTo(0.5 * v * (1 + erf(v / Math.SQRT2)), 5));
  });

  it('after a bias Add, runs as BiasGelu', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', [2, 3, 8]);
    const b = g.param('b', [8], new Float32Array(8).fill(0.25));
    const y = g.output(g.gelu(g.add(x, b)), 'y');
    const { ops } = await kernelsRun(exportInferenceModel(g.build(), [y]), new Float32Array(48));
    expect(ops.has('Erf')).toBe(false);
    expect([...ops].some((o) => o === 'BiasGelu' || o === 'Gelu')).toBe(true);
  });
});
