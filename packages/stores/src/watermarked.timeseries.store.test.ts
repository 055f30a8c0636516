// Proves the watermarked time-series store (DuckDB under PGlite watermarks) meets the whole time-series contract, reads its oldest/newest times from the metadata rows once filled, fills a building from before the watermarks (migration 15) once from a scan, never claims data after a delete (also with writes in flight), scans buildings the metadata store does not know, and that two processes' stores over one metadata database agree.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbTimeSeriesStore } from './duckdb.timeseries.store.js';
import { METADATA_MIGRATIONS, runMigrations } from './metadata.migrations.js';
import type { MetadataStore } from './metadata.store.js';
import { createPgliteMetadataStore, createPgliteSqlClient } from './pglite.metadata.store.js';
import { createSqlMetadataStore } from './sql.metadata.store.js';
import { timeSeriesConformance } from './timeseries.conformance.js';
import { creatingBuildings, ensureBuilding } from './watermarked.fixture.js';
import { WatermarkedTimeSeriesStore } from './watermarked.timeseries.store.js';

const OPEN_TIMEOUT_MS = 120_000;
const T = Date.UTC(2026, 11, 1, 9);
const MIN = 60_000;

let metadata: MetadataStore;
beforeAll(async () => {
  metadata = await createPgliteMetadataStore();
  await metadata.migrate();
}, OPEN_TIMEOUT_MS);
afterAll(async () => {
  await metadata?.close();
}, OPEN_TIMEOUT_MS);

const createBuilding = (id: string) => ensureBuilding(metadata, id);

timeSeriesConformance(
  'duckdb with pglite watermarks',
  async () =>
    new WatermarkedTimeSeriesStore(
      await DuckDbTimeSeriesStore.open(),
      creatingBuildings(() => metadata),
    ),
);

describe('watermarked time-series store', () => {
  let seq = 0;
  const id = (tag: string) => `wm-${tag}-${++seq}`;
  let duck: DuckDbTimeSeriesStore;
  let store: WatermarkedTimeSeriesStore;
  beforeAll(async () => {
    duck = await DuckDbTimeSeriesStore.open();
    store = new WatermarkedTimeSeriesStore(duck, metadata);
  });
  afterAll(async () => {
    await duck?.close();
  });

  it('widens on write and then answers from the metadata row, not a scan', async () => {
    const b = id('rows');
    await createBuilding(b);
    await store.writeReadings(b, [
      { ts: T + 5 * MIN, powerW: 1 },
      { ts: T + 2 * MIN, powerW: 1 },
    ]);
    await store.writeEstimates(b, 'm@1', [
      { ts: T + 3 * MIN, appliance: 'kettle', powerW: 1, onProb: 1 },
    ]);
    expect(await store.watermarks(b)).toEqual({
      oldestReadingMs: T + 2 * MIN,
      newestReadingMs: T + 5 * MIN,
      oldestEstimateMs: T + 3 * MIN,
      newestEstimateMs: T + 3 * MIN,
    });
    expect((await metadata.getWatermarks([b])).get(b)?.filled).toBe(true);
    // A point written behind the wrapper's back (straight into DuckDB) is not seen: the answer
    // comes from the row, which is what makes it O(1).
    await duck.writeReadings(b, [{ ts: T + 60 * MIN, powerW: 1 }]);
    expect(await store.latestReadingTs(b)).toBe(T + 5 * MIN);
    expect(await duck.latestReadingTs(b)).toBe(T + 60 * MIN);
  });

  it("passes the inner store's rollup rows through", async () => {
    const b = id('rollups');
    await store.writeReadings(b, [{ ts: T, powerW: 4 }]);
    const rows = await store.readRollupRows?.(b, T - 3_600_000, T + 3_600_000, 900);
    expect(rows).toEqual(await duck.readRollupRows(b, T - 3_600_000, T + 3_600_000, 900));
    expect(rows?.length).toBeGreaterThan(0);
  });

  it('a refused batch widens nothing', async () => {
    const b = id('refused');
    await createBuilding(b);
    await store.writeReadings(b, [{ ts: T, powerW: 1 }]);
    await expect(
      store.writeReadings(b, [
        { ts: T + MIN, powerW: 1 },
        { ts: T + 2 * MIN, powerW: Number.NaN },
      ]),
    ).rejects.toThrow(/nothing was written/);
    expect(await store.latestReadingTs(b)).toBe(T);
  });

  it('after a delete it claims nothing, and then sees what is written again', async () => {
    const b = id('delete');
    await createBuilding(b);
    await store.writeReadings(b, [{ ts: T, powerW: 1 }]);
    await store.writeEstimates(b, 'm@1', [{ ts: T, appliance: 'kettle', powerW: 1, onProb: 1 }]);
    expect(await store.latestEstimateTs(b)).toBe(T);
    await store.deleteBuilding(b);
    expect(await store.watermarks(b)).toEqual({
      oldestReadingMs: null,
      newestReadingMs: null,
      oldestEstimateMs: null,
      newestEstimateMs: null,
    });
    await store.writeReadings(b, [{ ts: T + MIN, powerW: 1 }]);
    expect([await store.earliestReadingTs(b), await store.latestReadingTs(b)]).toEqual([
      T + MIN,
      T + MIN,
    ]);
    expect(await store.latestEstimateTs(b)).toBeNull();
  });

  it('a delete issued while writes are in flight leaves no watermark over deleted data', async () => {
    const b = id('inflight');
    await createBuilding(b);
    const writes = Array.from({ length: 5 }, (_, k) =>
      store.writeReadings(b, [{ ts: T + k * MIN, powerW: k }]),
    );
    const estimate = store.writeEstimates(b, 'm@1', [
      { ts: T, appliance: 'kettle', powerW: 1, onProb: 1 },
    ]);
    await store.deleteBuilding(b);
    await Promise.all([...writes, estimate]);
    expect(await duck.latestReadingTs(b)).toBeNull();
    expect(await store.watermarks(b)).toEqual({
      oldestReadingMs: null,
      newestReadingMs: null,
      oldestEstimateMs: null,
      newestEstimateMs: null,
    });
    // A write issued during the delete runs after it, and counts.
    const del = store.deleteBuilding(b);
    const late = store.writeReadings(b, [{ ts: T + 9 * MIN, powerW: 1 }]);
    await Promise.all([del, late]);
    expect(await store.latestReadingTs(b)).toBe(T + 9 * MIN);
    expect(await duck.latestReadingTs(b)).toBe(T + 9 * MIN);
  });

  it('scans a building the metadata store does not know, every time', async () => {
    const b = id('unknown');
    await store.writeReadings(b, [{ ts: T, powerW: 1 }]);
    expect(await store.latestReadingTs(b)).toBe(T);
    await duck.writeReadings(b, [{ ts: T + MIN, powerW: 1 }]);
    expect(await store.latestReadingTs(b)).toBe(T + MIN);
    expect((await metadata.getWatermarks([b])).size).toBe(0);
  });

  it('reads many buildings at once, and two processes over one metadata database agree', async () => {
    const [a, c] = [id('many'), id('many')];
    await createBuilding(a);
    await createBuilding(c);
    const other = new WatermarkedTimeSeriesStore(duck, metadata);
    await store.writeReadings(a, [{ ts: T + MIN, powerW: 1 }]);
    await other.writeReadings(a, [{ ts: T + 7 * MIN, powerW: 1 }]);
    await other.writeEstimates(c, 'm@1', [{ ts: T, appliance: 'fridge', powerW: 1, onProb: 1 }]);
    const seen = await store.watermarksOf([a, c]);
    expect(seen.get(a)?.newestReadingMs).toBe(T + 7 * MIN);
    expect(seen.get(a)?.oldestReadingMs).toBe(T + MIN);
    expect(seen.get(c)?.newestEstimateMs).toBe(T);
    expect(await other.watermarksOf([a, c])).toEqual(seen);
  });
});

describe('a building from before the watermarks', () => {
  it(
    'gets an unfilled row from migration 15, filled once from a scan on its first read',
    async () => {
      const client = await createPgliteSqlClient();
      const duck = await DuckDbTimeSeriesStore.open();
      try {
        await runMigrations(
          client,
          METADATA_MIGRATIONS.filter((m) => m.version < 15),
        );
        await client.query(
          `INSERT INTO buildings (id, name, timezone, created_at) VALUES ('old', 'Old', 'UTC', 1)`,
        );
        // Its history was stored before the watermarks existed.
        await duck.writeReadings('old', [
          { ts: T - 30 * MIN, powerW: 1 },
          { ts: T, powerW: 1 },
        ]);
        await duck.writeEstimates('old', 'm@1', [
          { ts: T - 20 * MIN, appliance: 'fridge', powerW: 1, onProb: 1 },
        ]);
        expect(await runMigrations(client)).toContain(15);
        const meta = createSqlMetadataStore({ kind: 'pglite', client });
        expect((await meta.getWatermarks(['old'])).get('old')).toMatchObject({
          filled: false,
          newestReadingMs: null,
        });
        const store = new WatermarkedTimeSeriesStore(duck, meta);
        const expected = {
          oldestReadingMs: T - 30 * MIN,
          newestReadingMs: T,
          oldestEstimateMs: T - 20 * MIN,
          newestEstimateMs: T - 20 * MIN,
        };
        expect(await store.watermarks('old')).toEqual(expected);
        expect((await meta.getWatermarks(['old'])).get('old')).toEqual({
          ...expected,
          filled: true,
          epoch: 0,
        });
      } finally {
        await duck.close();
        await client.close();
      }
    },
    OPEN_TIMEOUT_MS,
  );
});
