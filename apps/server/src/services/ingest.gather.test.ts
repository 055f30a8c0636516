/**
 * Concurrent ingest calls share store writes and backlog marks (gatherer.ts), on the real
 * embedded stores: every call's readings are stored and marked as if it had been alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryJobQueue } from '@nilm/queue';
import { openEmbeddedParts, type EmbeddedParts } from '../services.fixture.js';
import { IngestService } from './ingest.service.js';

const T0 = Date.UTC(2024, 4, 1, 12);

describe('ingest under concurrent calls', () => {
  let parts: EmbeddedParts;
  let queue: MemoryJobQueue;
  let ingest: IngestService;

  beforeAll(async () => {
    parts = await openEmbeddedParts('nilm-ingest-gather-');
    queue = new MemoryJobQueue();
    ingest = new IngestService({
      timeseries: parts.timeseries,
      backlog: parts.metadata,
      queue,
      now: () => T0 + 3_600_000,
    });
    for (let h = 0; h < 40; h++)
      await parts.metadata.createBuilding({
        id: `g${h}`,
        name: `g${h}`,
        timezone: 'UTC',
        isDemo: false,
        modelRef: null,
      });
  }, 120_000);

  afterAll(async () => {
    await queue.close();
    await parts?.close();
  }, 60_000);

  it('stores and marks 40 homes sent at once in two store writes', async () => {
    const before = { writes: ingest.writes.calls, marks: ingest.marks.calls };
    const counts = await Promise.all(
      Array.from({ length: 40 }, (_, h) =>
        ingest.ingest(`g${h}`, [
          { ts: T0, power_w: 100 + h },
          { ts: T0 + 10_000, power_w: 200 + h },
        ]),
      ),
    );
    expect(counts).toEqual(Array(40).fill(2));
    // The first call finds nothing in flight and goes alone; the 39 behind it share one write.
    expect(ingest.writes.calls - before.writes).toBe(2);
    // The marks follow as the writes end: the 39 reach the marks while the first one's mark may
    // still be in flight (2 statements) or just after it (the first of them alone, then 38: 3).
    expect(ingest.marks.calls - before.marks).toBeLessThanOrEqual(3);
    for (const h of [0, 17, 39]) {
      expect(await parts.timeseries.readReadings(`g${h}`, T0, T0 + 60_000)).toEqual([
        { ts: T0, powerW: 100 + h },
        { ts: T0 + 10_000, powerW: 200 + h },
      ]);
      const pending = await parts.metadata.listPending(`g${h}`, 10);
      expect(pending.map((r) => [r.fromMs, r.toMs])).toEqual([[T0, T0 + 10_001]]);
    }
    expect((await queue.stats()).waiting).toBe(40);
  });

  it('keeps the last value of a time sent twice in one gathered write', async () => {
    const t = T0 + 120_000;
    await Promise.all([
      ingest.ingest('g1', [{ ts: t - 60_000, power_w: 1 }]),
      ingest.ingest('g1', [{ ts: t, power_w: 5 }]),
      ingest.ingest('g2', [{ ts: t, power_w: 7 }]),
      ingest.ingest('g1', [{ ts: t, power_w: 9 }]),
    ]);
    expect(await parts.timeseries.readReadings('g1', t, t + 1)).toEqual([{ ts: t, powerW: 9 }]);
    expect(await parts.timeseries.readReadings('g2', t, t + 1)).toEqual([{ ts: t, powerW: 7 }]);
  });

  it('refuses a call the store refuses alone: the calls it shared a write with are stored', async () => {
    const t = T0 + 240_000;
    const results = await Promise.allSettled([
      ingest.ingest('g3', [{ ts: t, power_w: 30 }]),
      ingest.ingest('g4', [{ ts: t, power_w: 40 }]),
      // Routes check building ids before ingest; the store refuses one that slipped through.
      ingest.ingest('no spaces allowed', [{ ts: t, power_w: 50 }]),
      ingest.ingest('g6', [{ ts: t, power_w: 60 }]),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    for (const h of [3, 4, 6])
      expect(await parts.timeseries.readReadings(`g${h}`, t, t + 1)).toEqual([
        { ts: t, powerW: h * 10 },
      ]);
  });
});
