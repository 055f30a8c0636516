/**
 * What one store call per building costs against one call for many buildings (issue 16: one
 * worker process must keep up with 10,000 homes sending a reading every 10 s, 1,000 a second).
 * Run: `npx tsx packages/stores/src/write.many.bench.ts [buildings] [stores]` (default 1000,
 * and every store: `memory,file,influxdb`); InfluxDB only with INFLUX_URL (e.g.
 * http://127.0.0.1:18086), in a scratch database dropped at the end.
 *
 * Per store (DuckDB in memory, DuckDB in a file, InfluxDB): every building first gets one
 * reading and one set of estimates (untimed, so building keys exist, as in a running
 * server). Then, for readings (one per building) and for estimates (11 appliances x 1 minute
 * per building), every building is written once in each way: (a) one call per building, one
 * after the other; (a') the same through the many-write with one batch per call; (b) calls of
 * 100 buildings and of 1000 (of all, when fewer). Each way writes into a 15 min bucket of its
 * own, so each starts with the same amount of recent data for its rollup refresh to read.
 * Printed: building-writes per second, rows per second, and the load average (the machine may
 * be shared).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDbTimeSeriesStore } from './duckdb.timeseries.store.js';
import { InfluxTimeSeriesStore } from './influx.timeseries.store.js';
import type { EstimatePoint, TimeSeriesStore } from './timeseries.store.js';

const MIN = 60_000;
const QUARTER = 15 * MIN;
const APPLIANCES = [
  'fridge',
  'kettle',
  'oven',
  'dishwasher',
  'washing_machine',
  'tumble_dryer',
  'microwave',
  'heat_pump',
  'ev_charger',
  'boiler',
  'television',
];

const [nArg, storesArg] = process.argv.slice(2);
const n = Number(nArg ?? 1000);
if (!Number.isInteger(n) || n < 1)
  throw new Error(`buildings must be a whole number >= 1, got ${nArg}`);
const STORES = ['memory', 'file', 'influxdb'];
const stores = new Set((storesArg ?? STORES.join(',')).split(','));
for (const s of stores)
  if (!STORES.includes(s))
    throw new Error(`unknown store ${JSON.stringify(s)}: give some of ${STORES.join(',')}`);
const influxUrl = process.env['INFLUX_URL'];

const stamp = Date.now().toString(36);
const ids = Array.from({ length: n }, (_, i) => `wmb-${stamp}-${i}`);
// Live data: the next quarter hours from now, one per way of writing.
const base = Math.ceil(Date.now() / QUARTER) * QUARTER;

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function estimates(ts: number, k: number): EstimatePoint[] {
  return APPLIANCES.map((appliance, a) => ({
    ts,
    appliance,
    powerW: (k * 7 + a * 13) % 500,
    onProb: 0.5,
  }));
}

interface Way {
  name: string;
  /** Buildings per call; 0: one call per building through the single-building method. */
  size: number;
}

const WAYS: Way[] = [
  { name: 'one call per building (writeReadings / writeEstimates)', size: 0 },
  { name: 'one call per building (many-write, 1 batch)', size: 1 },
  { name: 'calls of 100 buildings', size: 100 },
  { name: 'calls of 1000 buildings', size: 1000 },
];

async function writeAll(
  store: TimeSeriesStore,
  series: 'readings' | 'estimates',
  size: number,
  ts: number,
): Promise<void> {
  if (size === 0) {
    for (const [k, b] of ids.entries())
      if (series === 'readings') await store.writeReadings(b, [{ ts, powerW: k }]);
      else await store.writeEstimates(b, 'bench@1', estimates(ts, k));
    return;
  }
  for (let i = 0; i < n; i += size) {
    const chunk = ids.slice(i, i + size);
    if (series === 'readings')
      await store.writeReadingsMany(
        chunk.map((buildingId, j) => ({ buildingId, readings: [{ ts, powerW: i + j }] })),
      );
    else
      await store.writeEstimatesMany(
        chunk.map((buildingId, j) => ({
          buildingId,
          modelVersion: 'bench@1',
          points: estimates(ts, i + j),
        })),
      );
  }
}

async function bench(label: string, store: TimeSeriesStore): Promise<void> {
  console.log(`\n${label}: ${n} buildings, load average ${load()}`);
  // Untimed: every building known to the store (keys, series), a quarter before the first way.
  await writeAll(store, 'readings', Math.min(n, 1000), base - QUARTER);
  await writeAll(store, 'estimates', Math.min(n, 1000), base - QUARTER);
  for (const series of ['readings', 'estimates'] as const) {
    const rowsPerBuilding = series === 'readings' ? 1 : APPLIANCES.length;
    for (const [w, way] of WAYS.entries()) {
      if (way.size > n) continue;
      const ts = base + w * QUARTER + 10_000;
      const started = performance.now();
      await writeAll(store, series, way.size, ts);
      const s = (performance.now() - started) / 1000;
      console.log(
        `  ${series.padEnd(9)} ${way.name.padEnd(56)} ${s.toFixed(2).padStart(7)} s` +
          `  ${Math.round(n / s)
            .toString()
            .padStart(7)} writes/s  ${Math.round((n * rowsPerBuilding) / s)
            .toString()
            .padStart(8)} rows/s`,
      );
    }
  }
  console.log(`  load average after: ${load()}`);
}

if (stores.has('memory')) {
  const store = await DuckDbTimeSeriesStore.open();
  await bench('duckdb in memory', store);
  await store.close();
}
if (stores.has('file')) {
  const dir = await mkdtemp(join(tmpdir(), 'nilm-wmbench-'));
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
  const database = `nilm_wmbench_${stamp}`;
  const store = await InfluxTimeSeriesStore.open({
    url: influxUrl,
    database,
    createDatabase: true,
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
