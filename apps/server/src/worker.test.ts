// Proves the worker's reconcile loop enqueues exactly the buildings whose estimate backlog holds
// a range, that a backfill cut short by a restart is found again and finished through the
// queue, every minute estimated, and that a reconcile pass runs the daily device discovery
// (embedded stores, a tiny model).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceEngine } from '@nilm/ml';
import { MemoryJobQueue } from '@nilm/queue';
import type { DuckDbTimeSeriesStore, MetadataStore, Reading } from '@nilm/stores';
import { Metrics } from './metrics.js';
import { DiscoveryService } from './services/discovery.service.js';
import { openEmbeddedParts, storeReadings, type EmbeddedParts } from './services.fixture.js';
import { Worker } from './worker.js';

const MIN = 60_000;
const DAY = 86_400_000;

let parts: EmbeddedParts;
let metadata: MetadataStore;
let timeseries: DuckDbTimeSeriesStore;
let engine: InferenceEngine;
const queues: MemoryJobQueue[] = [];
const log = { info: () => undefined, warn: () => undefined, error: () => undefined };

beforeAll(async () => {
  parts = await openEmbeddedParts('nilm-worker-');
  ({ metadata, timeseries, engine } = parts);
}, 120_000);

afterAll(async () => {
  await Promise.all(queues.map((q) => q.close()));
  await parts?.close();
}, 120_000);

function newWorker(): { worker: Worker; queue: MemoryJobQueue } {
  const queue = new MemoryJobQueue();
  queues.push(queue);
  const worker = new Worker({ timeseries, metadata, queue, engine, metrics: new Metrics(), log });
  return { worker, queue };
}

/** One reading a minute over [fromMs, toMs]. */
function minutes(fromMs: number, toMs: number): Reading[] {
  const out: Reading[] = [];
  for (let ts = fromMs; ts <= toMs; ts += MIN) out.push({ ts, powerW: 100 + (ts % 7) * 30 });
  return out;
}

async function addBuilding(id: string): Promise<void> {
  await metadata.createBuilding({ id, name: id, timezone: 'UTC', isDemo: false, modelRef: null });
}

describe('worker reconcile', () => {
  it('enqueues the buildings with pending ranges, and no others', async () => {
    const { worker } = newWorker();
    const end = Date.UTC(2024, 3, 1);
    for (const id of ['w-covered', 'w-older-import', 'w-behind', 'w-no-readings'])
      await addBuilding(id);
    for (const id of ['w-covered', 'w-older-import', 'w-behind']) {
      await storeReadings(parts, id, minutes(end - DAY, end));
      while ((await worker.service.run(id)).more);
    }
    expect(await worker.reconcile()).toEqual([]);

    // Older readings imported after the building was covered; newer ones not yet seen.
    await storeReadings(parts, 'w-older-import', minutes(end - 3 * DAY, end - 2 * DAY));
    await storeReadings(parts, 'w-behind', minutes(end + MIN, end + 10 * MIN));
    expect((await worker.reconcile()).sort()).toEqual(['w-behind', 'w-older-import']);

    // Once their jobs have run, nothing is left to enqueue.
    for (const id of ['w-older-import', 'w-behind']) while ((await worker.service.run(id)).more);
    expect(await timeseries.earliestEstimateTs('w-older-import')).toBe(end - 3 * DAY);
    expect(await timeseries.latestEstimateTs('w-behind')).toBe(end + 10 * MIN);
    expect(await worker.reconcile()).toEqual([]);
  });

  it('finds a backfill cut short by a restart and finishes it through the queue', async () => {
    const id = 'w-restarted';
    await addBuilding(id);
    const end = Date.UTC(2024, 4, 1);
    const start = end - 6 * DAY;
    await storeReadings(parts, id, minutes(start, end - MIN));

    // Before the restart: one run of one day (the newest), then the process dies.
    const before = newWorker().worker;
    before.service.maxCatchUpS = 86_400;
    expect(await before.service.run(id)).toMatchObject({ more: true });
    expect(await timeseries.earliestEstimateTs(id)).toBeGreaterThan(start);

    // A fresh worker, as after a restart with the queue's jobs lost.
    const { worker, queue } = newWorker();
    worker.service.maxCatchUpS = 86_400;
    worker.start({ concurrency: 1, reconcileMs: 3_600_000 });
    try {
      expect(await worker.reconcile()).toEqual([id]);
      for (let i = 0; i < 1000 && (await metadata.listPending(id, 1)).length > 0; i++)
        await new Promise((ok) => setTimeout(ok, 20));
      expect(await metadata.listPending(id, 1)).toEqual([]);
      const points = await timeseries.readEstimates(id, start, end);
      expect(new Set(points.map((p) => p.ts)).size).toBe(6 * 1440);
      expect(await worker.reconcile()).toEqual([]);
    } finally {
      worker.stop();
      await queue.close();
    }
  });

  it('runs the daily device discovery on a reconcile pass', async () => {
    const id = 'w-devices';
    await addBuilding(id);
    const end = Date.UTC(2024, 4, 1, 23, 59);
    // A 1 kW load on for 5 minutes every 2 hours (from 01:00) over a 150 W baseload, for a day.
    const day: Reading[] = [];
    for (let ts = end - DAY; ts < end; ts += MIN)
      day.push({
        ts,
        powerW: 150 + ((ts - end + DAY + 3_600_000) % (2 * 3_600_000) < 5 * MIN ? 1000 : 0),
      });
    await storeReadings(parts, id, day);
    const queue = new MemoryJobQueue();
    queues.push(queue);
    const discovery = new DiscoveryService({ timeseries, metadata, now: () => end, log });
    const worker = new Worker({
      timeseries,
      metadata,
      queue,
      engine,
      metrics: new Metrics(),
      log,
      discovery,
    });
    await worker.reconcile();
    const devices = await metadata.listFoundDevices(id);
    expect(
      devices.map((d) => [d.label, d.signature.powerW, d.signature.runMinutes, d.stats.runs]),
    ).toEqual([['Device A', 1000, 5, 12]]);
  });
});
