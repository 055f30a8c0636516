// The power band as served: estimate +- the card's half-width for the minute's on_prob bin,
// floored at 0 W and capped at the mains (an appliance draws no more than the whole house), and
// never below the estimate itself.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRandomModel } from './model.fixture.js';
import { TransformerModel } from './transformer.disaggregator.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nilm-band-'));
  await writeRandomModel(dir);
  const card = JSON.parse(await readFile(join(dir, 'card.json'), 'utf8'));
  // One bin for every on_prob: a half-width wider than any mains below.
  for (const a of card.appliances) a.band = { edges: [0], q90_w: [5000] };
  await writeFile(join(dir, 'card.json'), JSON.stringify(card));
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('power band', () => {
  it('is capped at the mains, never below the estimate, and floored at 0 W', async () => {
    const model = await TransformerModel.load(dir);
    const n = 100;
    const mains = Float32Array.from(
      { length: n },
      (_, t) => 200 + 30 * (t % 7) + (t > 50 ? 2000 : 0),
    );
    const out = await model.disaggregate({
      startMs: 0,
      periodS: 60,
      mains,
      appliances: {},
      source: 'test',
    });
    await model.release();
    for (const e of Object.values(out.appliances)) {
      for (let t = 0; t < n; t++) {
        const p = e.power[t]!;
        expect(e.lower![t]).toBe(Math.max(0, p - 5000));
        expect(e.upper![t]).toBeCloseTo(Math.max(p, Math.min(p + 5000, mains[t]!)), 3);
        expect(e.upper![t]).toBeLessThanOrEqual(Math.max(p, mains[t]!) + 1e-3);
      }
    }
  });
});
