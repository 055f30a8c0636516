// Proves the worker stores the model's power band with each estimate: a tiny model whose card
// gives the kettle a band (30 W while off, 600 W while on, floored at 0) leaves a band around
// every kettle estimate, and none beside the washing machine's, whose card has no band.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { InferenceEngine, ModelRegistry } from '@nilm/ml';
import { writeRandomModel } from '@nilm/ml/testing';
import { createPgliteMetadataStore, DuckDbTimeSeriesStore, type MetadataStore } from '@nilm/stores';
import { storeReadings } from '../services.fixture.js';
import { DisaggregationService } from './disaggregation.service.js';

const T = Date.UTC(2024, 2, 1);
const MIN = 60_000;
const tmp = mkdtempSync(join(tmpdir(), 'nilm-band-'));
let engine: InferenceEngine;
let metadata: MetadataStore;
let timeseries: DuckDbTimeSeriesStore;

beforeAll(async () => {
  const src = join(tmp, 'src');
  await writeRandomModel(src, { id: 'banded', version: '1' });
  const card = JSON.parse(readFileSync(join(src, 'card.json'), 'utf8')) as {
    appliances: Array<{ name: string; band?: unknown }>;
  };
  card.appliances.find((a) => a.name === 'kettle')!.band = { edges: [0, 0.5], q90_w: [30, 600] };
  writeFileSync(join(src, 'card.json'), JSON.stringify(card));
  const registry = join(tmp, 'models');
  await (await ModelRegistry.open(registry)).add(src, { activate: true });
  engine = await InferenceEngine.open(registry);
  metadata = await createPgliteMetadataStore();
  await metadata.migrate();
  timeseries = await DuckDbTimeSeriesStore.open();
}, 120_000);

afterAll(async () => {
  await timeseries?.close();
  await metadata?.close();
  await engine?.close();
  rmSync(tmp, { recursive: true, force: true });
}, 120_000);

it('stores the band the model gives beside each estimate, and none where it gives none', async () => {
  await metadata.createBuilding({
    id: 'b',
    name: 'b',
    timezone: 'UTC',
    isDemo: false,
    modelRef: null,
  });
  // Two hours with a kettle-like 2.5 kW step every 20 minutes.
  const readings = Array.from({ length: 120 }, (_, i) => ({
    ts: T + i * MIN,
    powerW: 200 + (i % 20 < 3 ? 2500 : 0),
  }));
  await storeReadings({ timeseries, metadata }, 'b', readings);
  const service = new DisaggregationService({ timeseries, metadata, engine });
  for (let i = 0; i < 20 && (await service.run('b')).more; i++);

  const kettle = await timeseries.readEstimates('b', T, T + 120 * MIN, 'kettle');
  expect(kettle.length).toBeGreaterThan(60);
  // The band is the model's (how it is derived is the model's business, tested in @nilm/ml):
  // stored with every kettle estimate, around it, no wider than the card's widest, floored at 0.
  for (const e of kettle) {
    expect(e.lowW).not.toBeNull();
    expect(e.lowW!).toBeGreaterThanOrEqual(0);
    expect(e.lowW!).toBeLessThanOrEqual(e.powerW + 1e-3);
    expect(e.highW!).toBeGreaterThanOrEqual(e.powerW - 1e-3);
    expect(e.highW! - e.lowW!).toBeLessThanOrEqual(2 * 600 + 1e-3);
  }
  expect(kettle.some((e) => e.highW! - e.lowW! >= 30 - 1e-3)).toBe(true);
  const washer = await timeseries.readEstimates('b', T, T + 120 * MIN, 'washing_machine');
  expect(washer.length).toBe(kettle.length);
  expect(washer.every((e) => e.lowW === null && e.highW === null)).toBe(true);
});
