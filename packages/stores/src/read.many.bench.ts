/**
 * What a worker's concurrent runs cost when each reads its home's recent readings on its own,
 * against one multi-building read for all of them (issue 16: one worker must keep up with
 * 10,000 homes). Run: `npx tsx packages/stores/src/read.many.bench.ts [homes] [stores] [reads]`
 * (default 2000 homes, store `memory`, 64 homes read; stores: some of `memory,file,influxdb`);
 * InfluxDB only with INFLUX_URL (e.g. http://127.0.0.1:18086), in a scratch database dropped at
 * the end.
 *
 * Every home gets the last 6 h of 10-s readings, written in arrival order as a live system
 * receives them (time-major: every home's reading at t, then t + 10 s, ...), one
 * writeReadingsMany per minute of all homes. Recent rows are then not grouped by building (only
 * finished days are, `duckdb.layout.ts`), so a read of one home's last 6 h scans every home's.
 * Then, 3 rounds of: the last 6 h of `reads` homes (spread over all) read (a) as that many
 * readReadings calls at once, as concurrent worker runs do, and (b) as one readReadingsMany.
 * Printed: ms, rows/s, and the load average (the machine may be shared). The two answers are
 * checked equal once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDbTimeSeriesStore } from './duckdb.timeseries.store.js';
import { InfluxTimeSeriesStore } from './influx.timeseries.store.js';
import type { ReadingsBatch, TimeSeriesStore } from './timeseries.store.js';

const STEP = 10_000;
const MIN = 60_000;
const SPAN = 6 * 60 * MIN;
const ROUNDS = 3;

const [nArg, storesArg, readsArg] = process.argv.slice(2);
const n = Number(nArg ?? 2000);
const reads = Number(readsArg ?? 64);
if (!Number.isInteger(n) || n < 1)
  throw new Error(`homes must be a whole number >= 1, got ${nArg}`);
if (!Number.isInteger(reads) || reads < 1 || reads > n)
  throw new Error(`reads must be a whole number from 1 to the homes (${n}), got ${readsArg}`);
const STORES = ['memory', 'file', 'influxdb'];
const stores = new Set((storesArg ?? 'memory').split(','));
for (const s of stores)
  if (!STORES.includes(s))
    throw new Error(`unknown store ${JSON.stringify(s)}: give some of ${STORES.join(',')}`);
const influxUrl = process.env['INFLUX_URL'];

const stamp = Date.now().toString(36);
const ids = Array.from({ length: n }, (_, i) => `rmb-${stamp}-${i}`);
// The 6 h before now, on the 10-s grid.
const end = Math.floor(Date.now() / STEP) * STEP;
const start = end - SPAN;
// Homes spread over all, as a worker's runs are.
const readIds = Array.from({ length: reads }, (_, k) => ids[Math.floor((k * n) / reads)]!);

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

const fmt = (ms: number, rows: number) =>
  `${ms.toFixed(0).padStart(7)} ms  ${Math.round(rows / (ms / 1000))
    .toString()
    .padStart(10)} rows/s`;

async function bench(label: string, store: TimeSeriesStore): Promise<void> {
  console.log(`\n${label}: ${n} homes, 6 h of 10-s readings, load average ${load()}`);
  const writing = performance.now();
  for (let t = start; t < end; t += MIN) {
    // Time-major inside the minute too: every home at t, then every home at t + 10 s, ...
    const rows: Array<{ b: number; ts: number }> = [];
    for (let ts = t; ts < Math.min(t + MIN, end); ts += STEP)
      for (let b = 0; b < n; b++) rows.push({ b, ts });
    const batches: ReadingsBatch[] = rows.map(({ b, ts }) => ({
      buildingId: ids[b]!,
      readings: [{ ts, powerW: ((b * 31 + ts / STEP) % 3000) + 0.5 }],
    }));
    await store.writeReadingsMany(batches);
  }
  const written = (n * SPAN) / STEP;
  console.log(
    `  written: ${written} rows in ${((performance.now() - writing) / 1000).toFixed(1)} s` +
      ` (writeReadingsMany per minute of all homes), load average ${load()}`,
  );
  const ranges = readIds.map((buildingId) => ({ buildingId, startMs: start, endMs: end }));
  let checked = false;
  for (let round = 1; round <= ROUNDS; round++) {
    const t0 = performance.now();
    const single = await Promise.all(
      ranges.map((r) => store.readReadings(r.buildingId, r.startMs, r.endMs)),
    );
    const t1 = performance.now();
    const many = await store.readReadingsMany(ranges);
    const t2 = performance.now();
    const rows = many.reduce((sum, r) => sum + r.length, 0);
    if (!checked) {
      if (JSON.stringify(single) !== JSON.stringify(many))
        throw new Error('readReadingsMany answered otherwise than readReadings per range');
      checked = true;
    }
    console.log(
      `  round ${round}: ${reads} readReadings at once ${fmt(t1 - t0, rows)}` +
        `   one readReadingsMany ${fmt(t2 - t1, rows)}   (${rows} rows, load ${load()})`,
    );
  }
}

if (stores.has('memory')) {
  const store = await DuckDbTimeSeriesStore.open();
  await bench('duckdb in memory', store);
  await store.close();
}
if (stores.has('file')) {
  const dir = await mkdtemp(join(tmpdir(), 'nilm-rmbench-'));
  try {
    const store = await DuckDbTimeSeriesStore.open({ path: join(dir, 'timeseries.duckdb') });
    await bench('duckdb in a file', store);
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
if (!stores.has('influxdb')) {
  // Not asked for.
} else if (influxUrl !== undefined && influxUrl !== '') {
  const database = `nilm_rmbench_${stamp}`;
  const store = await InfluxTimeSeriesStore.open({
    url: influxUrl,
    database,
    createDatabase: true,
    timeoutMs: 60_000,
  });
  try {
    await bench(`influxdb at ${influxUrl}`, store);
  } finally {
    await store.close();
    const drop = new URL('query', influxUrl.endsWith('/') ? influxUrl : `${influxUrl}/`);
    await fetch(drop, {
      method: 'POST',
      body: new URLSearchParams({ q: `DROP DATABASE "${database}"` }),
    });
  }
} else {
  console.log('\ninfluxdb: skipped (set INFLUX_URL to include it)');
}
