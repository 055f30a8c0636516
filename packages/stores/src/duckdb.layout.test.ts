// Proves the embedded store's layout (duckdb.layout.ts): a file from the release before it (primary keys, no building keys) opens rewritten in building order with the same data, logged once; clustering rewrites finished days in building order, never today's or yesterday's, changes no answer and is done once; writes after it still replace; ids that share a long prefix stay apart; and building keys survive a reopen and a delete.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DuckDbTimeSeriesStore } from './duckdb.timeseries.store.js';

const dirs: string[] = [];
async function tempFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'nilm-duckdb-layout-'));
  dirs.push(dir);
  return join(dir, 'timeseries.duckdb');
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const DAY = 86_400_000;
const MIN = 60_000;
const t0 = Date.UTC(2026, 10, 1);

/** Rows of a table in storage order (rowid), as [building, ts]. */
async function storageOrder(path: string, table: string): Promise<Array<[string, number]>> {
  const raw = await DuckDBInstance.create(path);
  const c = await raw.connect();
  const rows = (await c.runAndReadAll(`SELECT building, ts FROM ${table} ORDER BY rowid`))
    .getRows()
    .map(([b, ts]) => [String(b), Number(ts)] as [string, number]);
  c.closeSync();
  raw.closeSync();
  return rows;
}

describe('duckdb store layout', () => {
  it('opens a file from before building keys rewritten in building order, the same data, logged once', async () => {
    const path = await tempFile();
    const raw = await DuckDBInstance.create(path);
    const c = await raw.connect();
    // The tables as released before the layout: primary keys, no bkey, rollups beside them.
    await c.run(`CREATE TABLE readings (building VARCHAR NOT NULL, ts BIGINT NOT NULL,
      power_w DOUBLE NOT NULL, PRIMARY KEY (building, ts))`);
    await c.run(`CREATE TABLE estimates (building VARCHAR NOT NULL, appliance VARCHAR NOT NULL,
      ts BIGINT NOT NULL, power_w DOUBLE NOT NULL, on_prob DOUBLE NOT NULL,
      model VARCHAR NOT NULL, low_w DOUBLE, high_w DOUBLE, PRIMARY KEY (building, appliance, ts))`);
    await c.run(`CREATE TABLE rollup_900 (building VARCHAR NOT NULL, bucket BIGINT NOT NULL,
      appliance VARCHAR NOT NULL, n BIGINT NOT NULL, power_sum DOUBLE NOT NULL)`);
    // Two buildings, minute after minute (arrival order).
    for (let i = 0; i < 120; i++)
      for (const b of ['zeta', 'alpha'])
        await c.run(`INSERT INTO readings VALUES ('${b}', ${t0 + i * MIN}, ${i})`);
    await c.run(`INSERT INTO estimates VALUES ('zeta', 'kettle', ${t0}, 2000, 0.9, 'm@1', 1800, 2200),
      ('alpha', 'kettle', ${t0}, 100, 0.1, 'm@1', NULL, NULL)`);
    c.closeSync();
    raw.closeSync();

    const log = vi.fn();
    const store = await DuckDbTimeSeriesStore.open({ path, log });
    expect(log.mock.calls.map(([m]) => m as string)).toEqual([
      expect.stringMatching(/^duckdb: rewrote 242 rows of a file from an earlier release/),
      expect.stringMatching(/built the 15 min \/ 1 h \/ 1 d rollups .* \(18 rows at 15 min\)/),
    ]);
    expect(await store.readReadings('zeta', t0, t0 + 2 * MIN)).toEqual([
      { ts: t0, powerW: 0 },
      { ts: t0 + MIN, powerW: 1 },
    ]);
    expect(await store.readEstimates('zeta', t0, t0 + MIN)).toEqual([
      { ts: t0, appliance: 'kettle', powerW: 2000, onProb: 0.9, lowW: 1800, highW: 2200 },
    ]);
    expect(await store.readBuckets('alpha', t0, t0 + 2 * 3_600_000, 3600)).toEqual([
      { ts: t0, powerW: 29.5, appliances: { kettle: { powerW: 100, onProb: 0.1 } } },
      { ts: t0 + 3_600_000, powerW: 89.5, appliances: {} },
    ]);
    // Writes still replace what is stored at their times.
    await store.writeReadings('alpha', [{ ts: t0, powerW: 7 }]);
    expect(await store.readReadings('alpha', t0, t0 + MIN)).toEqual([{ ts: t0, powerW: 7 }]);
    await store.close();
    const order = await storageOrder(path, 'readings');
    // Building order, then the rewritten minute appended after it.
    expect(order.map(([b]) => b)).toEqual([
      ...Array<string>(119).fill('alpha'),
      ...Array<string>(120).fill('zeta'),
      'alpha',
    ]);
    const again = await DuckDbTimeSeriesStore.open({ path, log });
    expect(log).toHaveBeenCalledTimes(2);
    expect(await again.readReadings('zeta', t0 + 119 * MIN, t0 + 120 * MIN)).toEqual([
      { ts: t0 + 119 * MIN, powerW: 119 },
    ]);
    await again.close();
  });

  it('rewrites finished days in building order, not the last two, once, and answers the same', async () => {
    const path = await tempFile();
    const store = await DuckDbTimeSeriesStore.open({ path });
    const ids = ['home-000000000001', 'home-000000000002', 'home-000000000003'];
    // Four days, every building every two hours in turn (arrival order), estimates alongside.
    for (let h = 0; h < 4 * 24; h += 2)
      for (const [k, id] of ids.entries()) {
        const ts = t0 + h * 3_600_000;
        await store.writeReadings(id, [{ ts, powerW: 100 * k + h }]);
        await store.writeEstimates(id, 'm@1', [
          { ts, appliance: 'fridge', powerW: k + h / 100, onProb: 0.5, lowW: 0, highW: 2 },
        ]);
      }
    const before = await Promise.all(
      ids.map((id) => store.readBuckets(id, t0, t0 + 4 * DAY, 3600)),
    );
    const beforeDaily = await Promise.all(
      ids.map((id) => store.readBuckets(id, t0, t0 + 4 * DAY, 86_400)),
    );
    // Now is in day 4: days 1-2 are finished, day 3 (yesterday) and day 4 (today) are not.
    const nowMs = t0 + 3 * DAY + 5 * 3_600_000;
    const done = await store.cluster({ nowMs });
    // Readings and estimates: 2 days each; 15 min rollups: 2 days; hourly and daily rollups'
    // slices (a week, 28 days) have not ended before yesterday.
    expect(done).toEqual({ slices: 6, rows: 72 + 72 + 144 });
    expect(await store.cluster({ nowMs })).toEqual({ slices: 0, rows: 0 });
    for (const [k, id] of ids.entries()) {
      expect(await store.readBuckets(id, t0, t0 + 4 * DAY, 3600)).toEqual(before[k]);
      expect(await store.readBuckets(id, t0, t0 + 4 * DAY, 86_400)).toEqual(beforeDaily[k]);
    }
    await store.close();
    const order = (await storageOrder(path, 'readings')).filter(([, ts]) => ts < t0 + 2 * DAY);
    // Each clustered day: one building after another, in time order within each.
    const day1 = order.filter(([, ts]) => ts < t0 + DAY).map(([b]) => b);
    expect(day1).toEqual(ids.flatMap((id) => Array<string>(12).fill(id)));
    const unclustered = (await storageOrder(path, 'readings'))
      .filter(([, ts]) => ts >= t0 + 2 * DAY && ts < t0 + 2 * DAY + 2 * 3_600_000)
      .map(([b]) => b);
    expect(unclustered).toEqual(ids);
    // Writes after clustering still replace.
    const reopened = await DuckDbTimeSeriesStore.open({ path });
    await reopened.writeReadings(ids[1]!, [{ ts: t0, powerW: 5 }]);
    expect(await reopened.readReadings(ids[1]!, t0, t0 + 1)).toEqual([{ ts: t0, powerW: 5 }]);
    await reopened.close();
  });

  it('keeps buildings whose ids share a long prefix apart, and a key through reopen and delete', async () => {
    const path = await tempFile();
    const store = await DuckDbTimeSeriesStore.open({ path });
    const a = 'building-with-a-long-shared-prefix-a';
    const b = 'building-with-a-long-shared-prefix-b';
    await store.writeReadings(a, [{ ts: t0, powerW: 1 }]);
    await store.writeReadings(b, [{ ts: t0, powerW: 2 }]);
    await store.deleteBuilding(a);
    expect(await store.readReadings(a, t0, t0 + MIN)).toEqual([]);
    await store.close();
    const reopened = await DuckDbTimeSeriesStore.open({ path });
    expect(await reopened.readReadings(b, t0, t0 + MIN)).toEqual([{ ts: t0, powerW: 2 }]);
    expect(await reopened.latestReadingTs('never-written')).toBeNull();
    await reopened.writeReadings(a, [{ ts: t0, powerW: 3 }]);
    await reopened.writeReadings('c', [{ ts: t0, powerW: 4 }]);
    expect(await reopened.readReadings(a, t0, t0 + MIN)).toEqual([{ ts: t0, powerW: 3 }]);
    expect(await reopened.readReadings('c', t0, t0 + MIN)).toEqual([{ ts: t0, powerW: 4 }]);
    expect(await reopened.readReadings(b, t0, t0 + MIN)).toEqual([{ ts: t0, powerW: 2 }]);
    await reopened.close();
  });
});
