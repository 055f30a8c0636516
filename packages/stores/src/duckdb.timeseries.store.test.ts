// Proves the DuckDB time-series store meets the contract in memory and in a file, that a file keeps readings, estimates and their model version across close and reopen, that files from before the band and the phases open and gain them, and that its pool of readers answers concurrent reads in write order.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDbTimeSeriesStore } from './duckdb.timeseries.store.js';
import { timeSeriesConformance } from './timeseries.conformance.js';
import { StoreUnavailableError } from './timeseries.store.js';

const dirs: string[] = [];
async function tempFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'nilm-duckdb-ts-'));
  dirs.push(dir);
  return join(dir, 'timeseries.duckdb');
}

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

timeSeriesConformance('duckdb in memory', () => DuckDbTimeSeriesStore.open());

timeSeriesConformance('duckdb in a file', async () =>
  DuckDbTimeSeriesStore.open({ path: await tempFile() }),
);

describe('duckdb time-series store', () => {
  const t0 = Date.UTC(2024, 5, 1);

  it('keeps its data in the file across close and reopen', async () => {
    const path = await tempFile();
    const first = await DuckDbTimeSeriesStore.open({ path });
    await first.writeReadings('house-1', [
      { ts: t0, powerW: 230.5 },
      { ts: t0 + 1000, powerW: 231.25 },
    ]);
    await first.writeEstimates('house-1', 'seq2point@3', [
      { ts: t0, appliance: 'fridge', powerW: 80, onProb: 0.9 },
    ]);
    await first.close();

    const second = await DuckDbTimeSeriesStore.open({ path });
    expect(await second.readReadings('house-1', t0, t0 + 60_000)).toEqual([
      { ts: t0, powerW: 230.5 },
      { ts: t0 + 1000, powerW: 231.25 },
    ]);
    expect(await second.readEstimates('house-1', t0, t0 + 60_000)).toEqual([
      { ts: t0, appliance: 'fridge', powerW: 80, onProb: 0.9, lowW: null, highW: null },
    ]);
    // Upserts still work against the primary keys of a reopened file.
    await second.writeReadings('house-1', [{ ts: t0, powerW: 1 }]);
    expect(await second.latestReadingTs('house-1')).toBe(t0 + 1000);
    await second.close();

    // The model version is stored beside each estimate, though the contract does not read it.
    const raw = await DuckDBInstance.create(path);
    const connection = await raw.connect();
    const rows = await connection.runAndReadAll(
      'SELECT building, appliance, model FROM estimates ORDER BY ts',
    );
    expect(rows.getRows()).toEqual([['house-1', 'fridge', 'seq2point@3']]);
    const readings = await connection.runAndReadAll('SELECT power_w FROM readings ORDER BY ts');
    expect(readings.getRows()).toEqual([[1], [231.25]]);
    connection.closeSync();
    raw.closeSync();
  });

  it('opens a file written before estimates had a band: old rows read null, new ones keep it', async () => {
    const path = await tempFile();
    const raw = await DuckDBInstance.create(path);
    const connection = await raw.connect();
    // The estimates table as released before the band columns.
    await connection.run(`CREATE TABLE estimates (
      building VARCHAR NOT NULL, appliance VARCHAR NOT NULL, ts BIGINT NOT NULL,
      power_w DOUBLE NOT NULL, on_prob DOUBLE NOT NULL, model VARCHAR NOT NULL,
      PRIMARY KEY (building, appliance, ts))`);
    await connection.run(
      `INSERT INTO estimates VALUES ('house-3', 'kettle', ${t0}, 2900, 1, 'm@1')`,
    );
    connection.closeSync();
    raw.closeSync();

    const store = await DuckDbTimeSeriesStore.open({ path });
    await store.writeEstimates('house-3', 'm@2', [
      { ts: t0 + 60_000, appliance: 'kettle', powerW: 2800, onProb: 1, lowW: 2400, highW: 3200 },
    ]);
    expect(await store.readEstimates('house-3', t0, t0 + 120_000)).toEqual([
      { ts: t0, appliance: 'kettle', powerW: 2900, onProb: 1, lowW: null, highW: null },
      { ts: t0 + 60_000, appliance: 'kettle', powerW: 2800, onProb: 1, lowW: 2400, highW: 3200 },
    ]);
    await store.close();
  });

  it('answers more concurrent reads than it has readers, each with what was written before it', async () => {
    const store = await DuckDbTimeSeriesStore.open({ readers: 2 });
    try {
      const rows: Array<Promise<Array<{ ts: number; powerW: number }>>> = [];
      const latest: Array<Promise<number | null>> = [];
      for (let k = 0; k < 20; k++) {
        // Not awaited: each read must still see the writes issued before it. One that waited
        // for a free reader may also see later writes (it reads when it runs), never a torn one.
        void store.writeReadings('house-3', [{ ts: t0 + k * 1000, powerW: k }]);
        rows.push(store.readReadings('house-3', t0, t0 + 60_000));
        latest.push(store.latestReadingTs('house-3'));
      }
      const seen = await Promise.all(rows);
      const newest = await Promise.all(latest);
      for (let k = 0; k < 20; k++) {
        // A whole prefix of the writes (a consistent snapshot), at least the first k + 1.
        expect(seen[k]!.length).toBeGreaterThanOrEqual(k + 1);
        expect(seen[k]).toEqual(
          Array.from({ length: seen[k]!.length }, (_, i) => ({ ts: t0 + i * 1000, powerW: i })),
        );
        expect(newest[k]).toBeGreaterThanOrEqual(t0 + k * 1000);
      }
    } finally {
      await store.close();
    }
  });

  it('reads grid rows written after it found none, and after reopening the file', async () => {
    const path = await tempFile();
    const store = await DuckDbTimeSeriesStore.open({ path });
    const point = { ts: t0, importW: 100, exportW: 0, productionW: null };
    // Remembered as "no grid" here; a later write must still be read.
    expect(await store.readGridBuckets('house-4', t0, t0 + 60_000, 60)).toEqual([]);
    await store.writeGrid('house-4', [point]);
    expect(await store.readGridBuckets('house-4', t0, t0 + 60_000, 60)).toEqual([point]);
    await store.deleteBuilding('house-4');
    expect(await store.readGridBuckets('house-4', t0, t0 + 60_000, 60)).toEqual([]);
    await store.writeGrid('house-4', [point]);
    await store.close();
    const reopened = await DuckDbTimeSeriesStore.open({ path });
    try {
      expect(await reopened.readGridBuckets('house-4', t0, t0 + 60_000, 60)).toEqual([point]);
    } finally {
      await reopened.close();
    }
  });

  it('opens a file written before grid rows had phases: old rows read without, new ones keep them', async () => {
    const path = await tempFile();
    const raw = await DuckDBInstance.create(path);
    const connection = await raw.connect();
    // The grid table as released before the per-phase columns.
    await connection.run(`CREATE TABLE grid (
      building VARCHAR NOT NULL, ts BIGINT NOT NULL, import_w DOUBLE, export_w DOUBLE,
      production_w DOUBLE, PRIMARY KEY (building, ts))`);
    await connection.run(`INSERT INTO grid VALUES ('house-5', ${t0}, 0, 800, 2000)`);
    connection.closeSync();
    raw.closeSync();

    const store = await DuckDbTimeSeriesStore.open({ path });
    const phased = {
      ts: t0 + 60_000,
      importW: 0,
      exportW: 500,
      productionW: 1500,
      phasesW: [-700, 200],
    };
    await store.writeGrid('house-5', [phased]);
    expect(await store.readGridBuckets('house-5', t0, t0 + 120_000, 60)).toEqual([
      { ts: t0, importW: 0, exportW: 800, productionW: 2000 },
      phased,
    ]);
    await store.close();
  });

  it('refuses a pool without readers, naming the option', async () => {
    await expect(DuckDbTimeSeriesStore.open({ readers: 0 })).rejects.toThrow(
      'readers must be a whole number of at least 1, got 0',
    );
  });

  it('waits for queued work on close, then refuses new calls as unavailable', async () => {
    const store = await DuckDbTimeSeriesStore.open();
    const write = store.writeReadings('house-2', [{ ts: t0, powerW: 5 }]);
    const read = store.readReadings('house-2', t0, t0 + 1);
    await store.close();
    await expect(write).resolves.toBeUndefined();
    await expect(read).resolves.toEqual([{ ts: t0, powerW: 5 }]);
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.close()).resolves.toBeUndefined();
  });
});
