/**
 * What reading a building's oldest/newest reading and estimate times costs (issue 16.2): the
 * DuckDB store's min/max scans against the metadata store's watermarks
 * (WatermarkedTimeSeriesStore), over the same data in the same run. Run:
 * `npx tsx packages/stores/src/watermarks.bench.ts [buildings] [days]` (default 1000 1).
 * Each building holds `days` of one reading and one estimate (one appliance) per minute, put
 * into a DuckDB file in bulk (as a database from before the watermarks), so the first read of
 * every building scans once and fills its row (timed and printed). PGlite in memory holds the
 * watermarks; with DATABASE_URL, that PostgreSQL database (a scratch one: the bench adds
 * `wbench-*` buildings and deletes them at the end). Each way runs over every building one
 * after the other, as the reconcile, alert and live loops ask, 5 times in turns; median and
 * range per building and the ratio of the medians are printed. Last, the cost a watermark adds
 * to a write: one new reading per building through each store, for the first 100 buildings.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbTimeSeriesStore } from './duckdb.timeseries.store.js';
import { createPgliteMetadataStore } from './pglite.metadata.store.js';
import { createPostgresMetadataStore } from './postgres.metadata.store.js';
import { WatermarkedTimeSeriesStore } from './watermarked.timeseries.store.js';

const MIN = 60_000;
const DAY = 86_400_000;
const REPEATS = 5;
const WRITERS_MAX = 100;

const [nArg, daysArg] = process.argv.slice(2);
const n = Number(nArg ?? 1000);
const days = Number(daysArg ?? 1);
if (!Number.isInteger(n) || n < 1)
  throw new Error(`buildings must be a whole number >= 1, got ${nArg}`);
if (!Number.isFinite(days) || days <= 0)
  throw new Error(`days must be a number > 0, got ${daysArg}`);
const WRITERS = Math.min(WRITERS_MAX, n);
const say = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);

const stamp = Date.now().toString(36);
const ids = Array.from({ length: n }, (_, i) => `wbench-${stamp}-${i}`);
const minutes = Math.round((days * DAY) / MIN);
const end = Math.floor(Date.now() / MIN) * MIN;
const start = end - minutes * MIN;

const dir = await mkdtemp(join(tmpdir(), 'nilm-wbench-'));
const path = join(dir, 'timeseries.duckdb');
// The store makes the tables; the points go in by one bulk statement each.
await (await DuckDbTimeSeriesStore.open({ path })).close();
{
  const instance = await DuckDBInstance.create(path);
  const c = await instance.connect();
  const from = `FROM range(${n}) b(i), range(${minutes}) m(k)`;
  await c.run(`INSERT INTO readings SELECT 'wbench-${stamp}-' || i, ${start} + k * ${MIN},
    200 + (i * 7 + k) % 300 ${from} ORDER BY i, k`);
  await c.run(`INSERT INTO estimates (building, appliance, ts, power_w, on_prob, model)
    SELECT 'wbench-${stamp}-' || i, 'fridge', ${start} + k * ${MIN}, 50, 0.5, 'bench@1'
    ${from} ORDER BY i, k`);
  c.closeSync();
  instance.closeSync();
}
say(`${n} buildings x ${minutes} minutes stored`);

const databaseUrl = process.env['DATABASE_URL'];
const metadata = databaseUrl
  ? createPostgresMetadataStore({ connectionString: databaseUrl })
  : await createPgliteMetadataStore({});
await metadata.migrate();
for (const id of ids)
  await metadata.createBuilding({ id, name: id, timezone: 'UTC', isDemo: false, modelRef: null });
const points = await DuckDbTimeSeriesStore.open({ path });
const store = new WatermarkedTimeSeriesStore(points, metadata);

let t0 = performance.now();
await store.watermarksOf(ids);
const fillMs = performance.now() - t0;
say(`rows filled`);

// Same answers first: the watermarks stand for the scans.
for (const id of ids.slice(0, 20)) {
  const w = await store.watermarks(id);
  const s = await Promise.all([
    points.earliestReadingTs(id),
    points.latestReadingTs(id),
    points.earliestEstimateTs(id),
    points.latestEstimateTs(id),
  ]);
  const got = [w.oldestReadingMs, w.newestReadingMs, w.oldestEstimateMs, w.newestEstimateMs];
  if (got.join() !== s.join())
    throw new Error(`${id}: watermarks ${got.join()} != scans ${s.join()}`);
}

const ways: Array<{ name: string; run: () => Promise<unknown> }> = [
  {
    name: 'scan: the 4 min/max queries',
    run: async () => {
      for (const id of ids)
        await Promise.all([
          points.earliestReadingTs(id),
          points.latestReadingTs(id),
          points.earliestEstimateTs(id),
          points.latestEstimateTs(id),
        ]);
    },
  },
  {
    name: 'watermarks: all 4, one row',
    run: async () => {
      for (const id of ids) await store.watermarks(id);
    },
  },
  {
    name: 'scan: newest reading (max)',
    run: async () => {
      for (const id of ids) await points.latestReadingTs(id);
    },
  },
  {
    name: 'watermarks: newest reading',
    run: async () => {
      for (const id of ids) await store.latestReadingTs(id);
    },
  },
  { name: 'watermarks: all 4 of every building, one query', run: () => store.watermarksOf(ids) },
];
const ms = ways.map(() => [] as number[]);
for (let r = 0; r < REPEATS; r++) {
  for (const [w, way] of ways.entries()) {
    t0 = performance.now();
    await way.run();
    ms[w]!.push(performance.now() - t0);
  }
  say(`round ${r + 1} of ${REPEATS}`);
}

// What widening adds to a write: one new reading per building, raw and through the watermarks.
const writes = [[] as number[], [] as number[]];
for (let r = 0; r < REPEATS; r++)
  for (const [w, target] of [points, store].entries()) {
    t0 = performance.now();
    for (const id of ids.slice(0, WRITERS))
      await target.writeReadings(id, [{ ts: end + (2 * r + w + 1) * MIN, powerW: 100 }]);
    writes[w]!.push(performance.now() - t0);
  }

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const per = (x: number, count = n) => ((x * 1000) / count).toFixed(1);
const line = (name: string, xs: number[], count = n) =>
  `  ${name}: ${per(median(xs), count)} us (${per(Math.min(...xs), count)}-${per(Math.max(...xs), count)})\n`;
process.stdout.write(
  `duckdb + ${metadata.kind}: ${n} buildings x ${minutes} minutes of readings and estimates ` +
    `(${((2 * n * minutes) / 1e6).toFixed(2)} M points); first read of every building (scan and ` +
    `fill) ${per(fillMs)} us per building; per building, median (min-max) of ${REPEATS} runs:\n`,
);
for (const [w, way] of ways.entries()) process.stdout.write(line(way.name, ms[w]!));
process.stdout.write(
  `  scan / watermarks: all 4 ${(median(ms[0]!) / median(ms[1]!)).toFixed(1)}x, newest reading ` +
    `${(median(ms[2]!) / median(ms[3]!)).toFixed(1)}x, all 4 in one query for all ` +
    `${(median(ms[0]!) / median(ms[4]!)).toFixed(1)}x\n` +
    line(`write one reading, raw (${WRITERS} buildings)`, writes[0]!, WRITERS) +
    line(`write one reading, with its watermark`, writes[1]!, WRITERS) +
    `  RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB; load average ${(
      await import('node:os')
    )
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}\n`,
);
if (databaseUrl) for (const id of ids) await metadata.deleteBuilding(id);
await store.close();
await metadata.close();
await rm(dir, { recursive: true, force: true });
