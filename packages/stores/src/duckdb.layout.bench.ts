/**
 * What the embedded store's layout (duckdb.layout.ts) buys at scale (issue 16.2; numbers, not
 * assertions, recorded in docs/benchmarks.md): N homes (default 1,000) x D days (default 3) of
 * one-minute readings and one appliance's estimates, stored in arrival order (minute after
 * minute, every home in turn: what live ingest leaves), ids with a common prefix
 * ("home-000001"). Prints, before and after `cluster()`: one home's finished day read through
 * the store (readReadings, and readBuckets at 1 min: mains + estimates) p50 / p99 over 31 random
 * homes, next to the same SQL run bare on a connection (the engine's own rate), and what the
 * clustering pass cost. Run: `npx tsx packages/stores/src/duckdb.layout.bench.ts [homes] [days]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbTimeSeriesStore } from './duckdb.timeseries.store.js';

const homes = Number(process.argv[2] ?? 1000);
const days = Number(process.argv[3] ?? 3);
if (!Number.isInteger(homes) || homes < 1 || !Number.isInteger(days) || days < 3)
  throw new Error(`usage: duckdb.layout.bench.ts [homes >= 1] [days >= 3], got ${homes} ${days}`);
const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;
const id = (b: number) => `home-${String(b + 1).padStart(6, '0')}`;

const dir = mkdtempSync(join(tmpdir(), 'nilm-layout-bench-'));
const path = join(dir, 'timeseries.duckdb');

// The store's tables, then rows in arrival order written straight into them (through the store
// this would take hours: one write per home and minute).
const created = await DuckDbTimeSeriesStore.open({ path });
for (let b = 0; b < homes; b++) await created.writeReadings(id(b), [{ ts: T0 - DAY, powerW: 0 }]);
await created.close();
{
  const raw = await DuckDBInstance.create(path);
  const c = await raw.connect();
  const t = performance.now();
  await c.run(
    `INSERT INTO readings
     SELECT k.building, k.bkey, ${T0} + m * 60000, 100 + (m * 7 + k.bkey * 13) % 900
     FROM range(${days * 1440}) r(m), building_keys k ORDER BY m, k.bkey`,
  );
  await c.run(
    `INSERT INTO estimates
     SELECT k.building, k.bkey, 'fridge', ${T0} + m * 60000, (m + k.bkey) % 40 < 15, 0.5, 'm@1',
            NULL, NULL
     FROM range(${days * 1440}) r(m), building_keys k ORDER BY m, k.bkey`,
  );
  c.closeSync();
  raw.closeSync();
  process.stdout.write(
    `${homes} homes x ${days} days: ${(homes * days * 1440 * 2).toLocaleString('en')} rows written in arrival order in ${((performance.now() - t) / 1000).toFixed(1)} s\n`,
  );
}

/** p50 and p99 (slowest of 31) of `run` on 31 random homes, in ms. */
async function time(run: (home: number) => Promise<unknown>): Promise<string> {
  const ms: number[] = [];
  for (let i = 0; i < 31; i++) {
    const home = Math.floor(Math.random() * homes);
    const t = performance.now();
    await run(home);
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return `p50 ${ms[15]!.toFixed(1)} ms, p99 ${ms[30]!.toFixed(1)} ms`;
}

const from = T0;
const to = T0 + DAY;
/** The store's reads of one finished day, then the same scan as bare SQL on a connection. */
async function measure(label: string): Promise<void> {
  const store = await DuckDbTimeSeriesStore.open({ path });
  const readings = await time((h) => store.readReadings(id(h), from, to));
  const buckets = await time((h) => store.readBuckets(id(h), from, to, 60));
  await store.close();
  const raw = await DuckDBInstance.create(path);
  const c = await raw.connect();
  // Keys were given in id order, from 1.
  const bare = await time((h) =>
    c.runAndReadAll(
      `SELECT ts, power_w FROM readings
       WHERE bkey = ${h + 1} AND building = $1 AND ts >= ${from} AND ts < ${to} ORDER BY ts`,
      [id(h)],
    ),
  );
  c.closeSync();
  raw.closeSync();
  process.stdout.write(
    `${label}: one finished day, readReadings ${readings}; readBuckets at 1 min ${buckets}; bare SQL of readReadings ${bare}\n`,
  );
}

await measure('arrival order');
const store = await DuckDbTimeSeriesStore.open({ path });
const nowMs = T0 + days * DAY + 3_600_000;
const t = performance.now();
const done = await store.cluster({ nowMs });
const s = (performance.now() - t) / 1000;
await store.close();
process.stdout.write(
  `cluster(): ${done.slices} slices, ${done.rows.toLocaleString('en')} rows in ${s.toFixed(1)} s (${Math.round(done.rows / s).toLocaleString('en')} rows/s)\n`,
);
await measure('clustered    ');
rmSync(dir, { recursive: true, force: true });
