// Proves the loss blocks compute the textbook values (BCE stays finite at extreme logits, masks
// exclude elements, Huber switches regime at delta) and that their gradients are correct.
import { describe, expect, it } from 'vitest';
import { buildTrainingGraph } from './graph.autodiff.js';
import { GraphBuilder } from './graph.builder.js';
import { createForwardSession, TrainingSession } from './graph.session.js';
import type { TensorRef } from './graph.types.js';
import { checkGradients } from './gradient.check.js';
import { bceWithLogitsLoss, huberLoss, maskedMean, mseLoss } from './loss.blocks.js';

const F64 = { eps: 1e-6, rtol: 1e-6, atol: 1e-7 };

/** Builds a float64 graph around one scalar loss and returns its value. */
async function evaluate(build: (g: GraphBuilder) => TensorRef): Promise<number> {
  const g = new GraphBuilder({ floatType: 'float64' });
  const loss = g.output(build(g), 'loss');
  const session = await createForwardSession(g.build(), [loss]);
  const value = Number((await session.run({})).get('loss')![0]);
  await session.release();
  return value;
}

const logits = [-100, -3, -0.5, 0.25, 2, 100];
const targets = [0, 1, 0, 1, 1, 0];
const naiveBce = (x: number, y: number): number => {
  const p = 1 / (1 + Math.exp(-x));
  return -(y * Math.log(p) + (1 - y) * Math.log(1 - p));
};

describe('loss values', () => {
  it('BCE with logits matches the naive formula where it is finite and stays finite at +-100', async () => {
    const value = await evaluate((g) =>
      bceWithLogitsLoss(g, g.param('x', [6], Float64Array.from(logits)), g.constant(targets, [6])),
    );
    // At x = +-100 the naive form overflows to Infinity; the exact value there is 0 and 100.
    const expected = logits.map((x, i) =>
      Math.abs(x) === 100 ? Math.max(x, 0) - x * targets[i]! : naiveBce(x, targets[i]!),
    );
    expect(Number.isFinite(value)).toBe(true);
    expect(value).toBeCloseTo(expected.reduce((a, b) => a + b, 0) / 6, 10);
  });

  it('masked MSE averages only the unmasked elements, and an empty mask gives 0', async () => {
    const pred = [1, 2, 3, 4];
    const target = [1, 0, 0, 0];
    const mse = (mask: number[]): Promise<number> =>
      evaluate((g) =>
        mseLoss(
          g,
          g.param('p', [2, 2], Float64Array.from(pred)),
          g.constant(target, [2, 2]),
          g.constant(mask, [2, 1]),
        ),
      );
    // The [2, 1] mask broadcasts over rows: keeping row 1 only averages (3^2 + 4^2) / 2.
    expect(await mse([0, 1])).toBeCloseTo(12.5, 12);
    expect(await mse([1, 1])).toBeCloseTo((0 + 4 + 9 + 16) / 4, 12);
    expect(await mse([0, 0])).toBe(0);
  });

  it('masked mean accepts a bool mask', async () => {
    const value = await evaluate((g) =>
      maskedMean(
        g,
        g.param('v', [4], Float64Array.from([1, 2, 3, 10])),
        g.constant([1, 1, 1, 0], [4], 'bool'),
      ),
    );
    expect(value).toBeCloseTo(2, 12);
  });

  it('Huber is quadratic inside delta and linear outside', async () => {
    const delta = 1.5;
    const r = [0.5, -1, 2, -4];
    const expected = r.map((v) =>
      Math.abs(v) <= delta ? 0.5 * v * v : delta * (Math.abs(v) - 0.5 * delta),
    );
    const value = await evaluate((g) =>
      huberLoss(g, g.param('p', [4], Float64Array.from(r)), g.constant([0, 0, 0, 0], [4]), delta),
    );
    expect(value).toBeCloseTo(expected.reduce((a, b) => a + b, 0) / 4, 12);
  });
});

describe('loss gradients', () => {
  it('BCE gradient is (sigmoid(x) - y) / n', async () => {
    const g = new GraphBuilder({ floatType: 'float64' });
    const x = g.param('x', [6], Float64Array.from(logits));
    const loss = g.output(bceWithLogitsLoss(g, x, g.constant(targets, [6])), 'loss');
    const session = await TrainingSession.create(buildTrainingGraph(g.build(), { loss }));
    const grad = (await session.run({})).grads.get('x')!;
    logits.forEach((v, i) => {
      expect(grad[i]).toBeCloseTo((1 / (1 + Math.exp(-v)) - targets[i]!) / 6, 12);
    });
    await session.release();
  });

  it.each([
    ['MSE', (g: GraphBuilder, p: TensorRef, t: TensorRef) => mseLoss(g, p, t)],
    [
      'masked MSE',
      (g: GraphBuilder, p: TensorRef, t: TensorRef) =>
        mseLoss(g, p, t, g.constant([1, 0, 1], [3, 1])),
    ],
    [
      'BCE with logits',
      (g: GraphBuilder, p: TensorRef, t: TensorRef) => bceWithLogitsLoss(g, p, g.sigmoid(t)),
    ],
    ['Huber', (g: GraphBuilder, p: TensorRef, t: TensorRef) => huberLoss(g, p, t, 0.7)],
  ])('%s passes the finite-difference check', async (_name, build) => {
    const g = new GraphBuilder({ floatType: 'float64' });
    // Values chosen away from the kinks of |x| and of Huber's switch point.
    const p = g.param('p', [3, 2], Float64Array.from([0.3, -1.2, 2.1, -0.4, 0.9, 1.7]));
    const t = g.param('t', [3, 2], Float64Array.from([-0.6, 0.2, 0.4, 1.3, -0.5, 0.1]));
    const loss = g.output(build(g, p, t), 'loss');
    const result = await checkGradients(g.build(), loss, F64);
    expect(result.failures).toEqual([]);
    expect(result.checked).toBe(12);
  });
});
