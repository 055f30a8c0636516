// Proves there is one inference path: the same tiny model gives identical output through every
// caller: the engine directly (one window at a time, and many at once in one runtime call), the
// worker's runs for several buildings at once (what it stores), POST /infer, and `nilm eval`'s
// loader.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelDir, type Disaggregation, type TransformerModel } from '@nilm/ml';
import { openTestApp, type TestApp } from '../app.fixture.js';
import { storeReadings } from '../services.fixture.js';
import { DisaggregationService } from './disaggregation.service.js';

const MIN = 60_000;
const T0 = Date.UTC(2025, 2, 1);
const HOMES = ['conf-a', 'conf-b', 'conf-c'];
/** Minutes of mains per home: three windows of the tiny model (32), not a multiple of a stride. */
const N = 101;

/** Home k's mains: integer watts, different per home. */
const mainsOf = (k: number): Float32Array =>
  Float32Array.from(
    { length: N },
    (_, i) => 150 + ((i * (k + 3)) % 11) * 240 + (i % 17 === k ? 2600 : 0),
  );

let t: TestApp;
let model: TransformerModel;
/** The reference: each home's series through the engine's model alone. */
const reference: Disaggregation[] = [];

beforeAll(async () => {
  t = await openTestApp();
  model = await t.parts.engine.model();
  for (let k = 0; k < HOMES.length; k++) reference.push(await model.disaggregate(seriesOf(k)));
}, 120_000);

afterAll(async () => {
  await t?.close();
}, 120_000);

function seriesOf(k: number) {
  return { startMs: T0, periodS: 60, mains: mainsOf(k), appliances: {}, source: 'conformance' };
}

describe('one inference path', () => {
  it('the engine: windows asked together give exactly what each gives alone', async () => {
    const windows = Array.from({ length: 7 }, (_, k) => mainsOf(k).slice(k, k + model.window));
    const alone: Array<{ power: Float32Array; onProb: Float32Array }> = [];
    for (const w of windows) alone.push(await t.parts.engine.infer(w, 1));
    const calls = model.batcher.calls;
    const together = await Promise.all(windows.map((w) => t.parts.engine.infer(w, 1)));
    expect(model.batcher.calls - calls).toBe(1);
    together.forEach((r, k) => {
      expect(r.power).toEqual(alone[k]!.power);
      expect(r.onProb).toEqual(alone[k]!.onProb);
    });
  });

  it('the worker: several buildings run at once store exactly the model output', async () => {
    const service = new DisaggregationService({
      timeseries: t.parts.timeseries,
      metadata: t.parts.metadata,
      engine: t.parts.engine,
    });
    for (let k = 0; k < HOMES.length; k++) {
      await t.parts.metadata.createBuilding({
        id: HOMES[k]!,
        name: HOMES[k]!,
        timezone: 'UTC',
        isDemo: false,
        modelRef: null,
      });
      const mains = mainsOf(k);
      await storeReadings(
        t.parts,
        HOMES[k]!,
        Array.from(mains, (powerW, i) => ({ ts: T0 + i * MIN, powerW })),
      );
    }
    const runs = await Promise.all(HOMES.map((id) => service.run(id)));
    expect(runs.every((r) => !r.more)).toBe(true);
    for (let k = 0; k < HOMES.length; k++) {
      const stored = await t.parts.timeseries.readEstimates(HOMES[k]!, T0, T0 + N * MIN);
      expect(stored).toHaveLength(N * model.appliances.length);
      for (const e of stored) {
        const i = (e.ts - T0) / MIN;
        const ref = reference[k]!.appliances[e.appliance]!;
        expect([e.ts, e.appliance, e.powerW, e.onProb]).toEqual([
          e.ts,
          e.appliance,
          Math.max(0, ref.power[i]!),
          ref.onProb![i]!,
        ]);
      }
    }
  });

  it('POST /infer answers what the engine gives for the same window, rounded for the wire', async () => {
    const window = mainsOf(1).slice(0, model.window);
    const direct = await t.parts.engine.infer(window, 1);
    const [r] = await Promise.all([
      t.app.inject({
        method: 'POST',
        url: '/api/v1/infer',
        headers: await t.auth('alice'),
        payload: { window: Array.from(window) },
      }),
      // Another caller's windows at the same time share its runtime call.
      t.parts.engine.infer(mainsOf(2).slice(0, model.window), 1),
    ]);
    expect(r!.statusCode).toBe(200);
    const L = model.window;
    model.appliances.forEach((name, a) => {
      const body = r!.json().appliances[name];
      expect(body.power_w).toEqual(
        Array.from(direct.power.subarray(a * L, (a + 1) * L), (v) => Math.round(v * 10) / 10),
      );
      expect(body.on_prob).toEqual(
        Array.from(direct.onProb.subarray(a * L, (a + 1) * L), (v) => Math.round(v * 1000) / 1000),
      );
    });
  });

  it("nilm eval's loader and the engine's model give identical series, alone or concurrently", async () => {
    const evalModel = (await loadModelDir(
      t.parts.engine.registry.active()!.dir,
    )) as TransformerModel;
    try {
      const viaEval = await evalModel.disaggregate(seriesOf(0));
      const concurrent = await Promise.all(HOMES.map((_, k) => model.disaggregate(seriesOf(k))));
      for (const name of model.appliances) {
        expect(viaEval.appliances[name]!.power).toEqual(reference[0]!.appliances[name]!.power);
        expect(viaEval.appliances[name]!.onProb).toEqual(reference[0]!.appliances[name]!.onProb);
        concurrent.forEach((d, k) => {
          expect(d.appliances[name]!.power).toEqual(reference[k]!.appliances[name]!.power);
          expect(d.appliances[name]!.onProb).toEqual(reference[k]!.appliances[name]!.onProb);
        });
      }
    } finally {
      await evalModel.release();
    }
  });
});
