// Proves the DuckDB time-series store meets the contract in memory and in a file, that a 30-day chart at 15 min and a year at 1 d read a few thousand rows from its rollups (the same buckets as the minute tables), that a file written before rollups gains them once as it opens, that a file keeps readings, estimates and their model version across close and reopen, that files from before the band and the phases open and gain them, that its pool of readers answers concurrent reads in write order, and that its rollup rows give each bucket's counts and sums per series (grid points grouped alike).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it, vi } from 'vitest';
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

  it('makes a read wait for the writes of its building issued before it, not for other buildings', async () => {
    const store = await DuckDbTimeSeriesStore.open();
    try {
      // Not awaited: a multi-building write, then reads of two of its buildings.
      const written = store.writeReadingsMany([
        { buildingId: 'many-a', readings: [{ ts: t0, powerW: 1 }] },
        { buildingId: 'many-b', readings: [{ ts: t0, powerW: 2 }] },
      ]);
      const [a, b] = await Promise.all([
        store.readReadings('many-a', t0, t0 + 1),
        store.readReadings('many-b', t0, t0 + 1),
      ]);
      expect([a, b]).toEqual([[{ ts: t0, powerW: 1 }], [{ ts: t0, powerW: 2 }]]);
      await written;

      // A long write of one building queued: a read of another answers before it ends.
      let bigDone = false;
      const big = store
        .writeReadings(
          'many-big',
          Array.from({ length: 300_000 }, (_, i) => ({ ts: t0 + i * 1000, powerW: i % 500 })),
        )
        .then(() => {
          bigDone = true;
        });
      expect(await store.readReadings('many-a', t0, t0 + 1)).toEqual([{ ts: t0, powerW: 1 }]);
      expect(bigDone).toBe(false);
      await big;
      // A read of no building in particular (ping) still waits for every write before it.
      let written3 = false;
      void store.writeReadings('many-c', [{ ts: t0, powerW: 3 }]).then(() => {
        written3 = true;
      });
      await store.ping();
      expect(written3).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('makes a many-read wait for the writes of each of its buildings issued before it, not for others', async () => {
    const store = await DuckDbTimeSeriesStore.open();
    try {
      // Not awaited: writes of two buildings, then one read of both.
      const written = Promise.all([
        store.writeReadings('rm-a', [{ ts: t0, powerW: 1 }]),
        store.writeReadingsMany([{ buildingId: 'rm-b', readings: [{ ts: t0, powerW: 2 }] }]),
      ]);
      expect(
        await store.readReadingsMany([
          { buildingId: 'rm-b', startMs: t0, endMs: t0 + 1 },
          { buildingId: 'rm-a', startMs: t0, endMs: t0 + 1 },
        ]),
      ).toEqual([[{ ts: t0, powerW: 2 }], [{ ts: t0, powerW: 1 }]]);
      await written;

      // A long write of another building queued: the many-read answers before it ends.
      let bigDone = false;
      const big = store
        .writeReadings(
          'rm-big',
          Array.from({ length: 300_000 }, (_, i) => ({ ts: t0 + i * 1000, powerW: i % 500 })),
        )
        .then(() => {
          bigDone = true;
        });
      expect(
        await store.readReadingsMany([
          { buildingId: 'rm-a', startMs: t0, endMs: t0 + 1 },
          { buildingId: 'rm-b', startMs: t0, endMs: t0 + 1 },
        ]),
      ).toEqual([[{ ts: t0, powerW: 1 }], [{ ts: t0, powerW: 2 }]]);
      expect(bigDone).toBe(false);
      // Naming that building too makes it wait, and read all of it.
      const [, whole] = await store.readReadingsMany([
        { buildingId: 'rm-a', startMs: t0, endMs: t0 + 1 },
        { buildingId: 'rm-big', startMs: t0, endMs: t0 + 300_000_000 },
      ]);
      expect(bigDone).toBe(true);
      expect(whole).toHaveLength(300_000);
      await big;
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

  it('reads a 30-day chart at 15 min and a year at 1 d from its rollups: few rows, the same buckets', async () => {
    const path = await tempFile();
    const year = Date.UTC(2024, 0, 1);
    const DAY = 86_400_000;
    const store = await DuckDbTimeSeriesStore.open({ path });
    // A reading every 5 min and a fridge estimate every 15 min (a band on even days), for 366
    // days, in the month-sized batches a backfill writes.
    for (let d = 0; d < 366; d += 30) {
      const days = Math.min(30, 366 - d);
      const first = year + d * DAY;
      await store.writeReadings(
        'house-r',
        Array.from({ length: days * 288 }, (_, i) => ({
          ts: first + i * 300_000,
          powerW: 100 + (i % 13),
        })),
      );
      await store.writeEstimates(
        'house-r',
        'm@1',
        Array.from({ length: days * 96 }, (_, i) => ({
          ts: first + i * 900_000,
          appliance: 'fridge',
          powerW: 80 + (i % 3),
          onProb: 0.5,
          ...(Math.floor(i / 96) % 2 === 0 ? { lowW: 70, highW: 90 } : {}),
        })),
      );
    }
    const end = year + 366 * DAY - 7 * 60_000; // not on a bucket edge, as "now" never is
    const reads: Array<[number, number, number]> = [
      [end - 30 * DAY, end, 900],
      [end - 30 * DAY, end, 3600],
      [year + 5 * 60_000, end, 86_400],
    ];
    const viaRollups = [];
    for (const [from, to, size] of reads) {
      const rows = await store.rowsForBuckets('house-r', from, to, size);
      // About one row per series and bucket answered (2 series), plus the ragged ends (at most
      // a day's hours, an hour's quarters and 15 minutes of minute rows each); the minute
      // tables hold 11,520 rows per 30 days.
      const buckets = Math.ceil((to - from) / (size * 1000));
      expect(rows, `${size} s over ${(to - from) / DAY} days`).toBeLessThanOrEqual(
        2 * buckets + 2 * 2 * (24 + 4 + 3),
      );
      viaRollups.push(await store.readBuckets('house-r', from, to, size));
    }
    await store.close();

    const minutes = await DuckDbTimeSeriesStore.open({ path, readRollups: false });
    for (const [k, [from, to, size]] of reads.entries()) {
      expect(await minutes.rowsForBuckets('house-r', from, to, size)).toBeGreaterThan(5000);
      const direct = await minutes.readBuckets('house-r', from, to, size);
      expect(viaRollups[k]!.map((b) => b.ts)).toEqual(direct.map((b) => b.ts));
      viaRollups[k]!.forEach((b, i) => {
        expect(b.powerW).toBeCloseTo(direct[i]!.powerW!, 9);
        expect(Object.keys(b.appliances)).toEqual(Object.keys(direct[i]!.appliances));
        for (const [name, want] of Object.entries(direct[i]!.appliances)) {
          const got = b.appliances[name]!;
          expect(got.powerW).toBeCloseTo(want.powerW, 9);
          expect(got.onProb).toBeCloseTo(want.onProb, 9);
          expect(got.lowW === undefined).toBe(want.lowW === undefined);
          if (want.lowW !== undefined) expect(got.lowW).toBeCloseTo(want.lowW, 9);
        }
      });
    }
    await minutes.close();
  });

  it('builds rollups once, logged, when it opens a file written before them', async () => {
    const path = await tempFile();
    const first = await DuckDbTimeSeriesStore.open({ path });
    await first.writeReadings(
      'house-o',
      Array.from({ length: 600 }, (_, i) => ({ ts: t0 + i * 60_000, powerW: i })),
    );
    await first.writeEstimates('house-o', 'm@1', [
      { ts: t0, appliance: 'kettle', powerW: 2000, onProb: 1, lowW: 1900, highW: 2100 },
      { ts: t0 + 60_000, appliance: 'kettle', powerW: 1000, onProb: 0.5, lowW: 900, highW: 1100 },
    ]);
    const expected = await first.readBuckets('house-o', t0, t0 + 600 * 60_000, 3600);
    await first.close();
    // The file as released before rollups.
    const raw = await DuckDBInstance.create(path);
    const connection = await raw.connect();
    for (const level of [900, 3600, 86_400]) await connection.run(`DROP TABLE rollup_${level}`);
    connection.closeSync();
    raw.closeSync();

    const log = vi.fn();
    const reopened = await DuckDbTimeSeriesStore.open({ path, log });
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0]![0]).toMatch(
      /built the 15 min \/ 1 h \/ 1 d rollups .* \(41 rows at 15 min\)/,
    );
    expect(await reopened.rowsForBuckets('house-o', t0, t0 + 600 * 60_000, 3600)).toBe(11);
    expect(await reopened.readBuckets('house-o', t0, t0 + 600 * 60_000, 3600)).toEqual(expected);
    await reopened.close();
    const again = await DuckDbTimeSeriesStore.open({ path, log });
    expect(log).toHaveBeenCalledTimes(1);
    await again.close();
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

describe('duckdb rollup rows (fingerprints of what a bucket holds)', () => {
  const day = Date.UTC(2024, 6, 1);
  it('gives counts and sums per series and bucket, grid points grouped alike', async () => {
    const store = await DuckDbTimeSeriesStore.open();
    await store.writeReadings('fp', [
      { ts: day + 60_000, powerW: 100 },
      { ts: day + 120_000, powerW: 300 },
      { ts: day + 86_400_000, powerW: 7 },
    ]);
    await store.writeEstimates('fp', 'm@1', [
      { ts: day + 60_000, appliance: 'kettle', powerW: 40, onProb: 0.5, lowW: 30, highW: 50 },
    ]);
    await store.writeGrid('fp', [{ ts: day + 60_000, importW: 10, exportW: null, productionW: 2 }]);
    const rows = await store.readRollupRows('fp', day, day + 86_400_000, 86_400);
    const byKind = Object.fromEntries(rows.map((r) => [`${r.kind}:${r.appliance}`, r]));
    expect(rows).toHaveLength(3);
    expect(byKind['mains:']).toEqual({
      bucket: day,
      kind: 'mains',
      appliance: '',
      values: [2, 400, null, 0, null, 0, null],
    });
    expect(byKind['estimates:kettle']!.values).toEqual([1, 40, 0.5, 1, 30, 1, 50]);
    expect(byKind['grid:']!.values).toEqual([1, 10, null, 1, 2, 0, 1]);
    // A rewrite with another value changes the mains row.
    await store.writeReadings('fp', [{ ts: day + 60_000, powerW: 101 }]);
    const again = await store.readRollupRows('fp', day, day + 86_400_000, 86_400);
    expect(again.find((r) => r.kind === 'mains')!.values[1]).toBe(401);
    await expect(store.readRollupRows('fp', day, day + 1, 60)).rejects.toThrow(
      'rollup level must be one of 900, 3600, 86400 s, got 60',
    );
    await store.close();
  });
});
