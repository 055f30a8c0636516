/**
 * Rows read and time taken by the long-range reads of issue 16 on the embedded store, over one
 * home with a year of one-minute readings and two appliances' estimates, in a file: the store's
 * bucket reads of 30 days at 15 min and a year at 1 d, and the services' 30-day chart
 * (resolution auto, at most 1000 points), each first from the minute tables only and then from
 * the rollups, in the same run on the same file; then the 1-year daily-energy report cold and
 * with its finished days cached (`yearEnergy`) and the one-day answer's size as points and as
 * columns. Numbers,
 * not assertions (recorded in docs/benchmarks.md). With `--influx <url>` the same writes and
 * long reads then run on that InfluxDB (database `nilm_bench_rollups`, the home deleted first).
 * Run: `npx tsx apps/server/src/bench/reads.range.bench.ts [--influx http://127.0.0.1:18086]`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDbTimeSeriesStore, InfluxTimeSeriesStore, type TimeSeriesStore } from '@nilm/stores';
import { ReadingsService } from '../services/readings.service.js';
import { readingsColumns } from '../routes/readings.columns.js';

const HOME = 'bench-year';
const DAY = 86_400_000;
const DAYS = 366;
const T0 = Date.UTC(2024, 0, 1);
const END = T0 + DAYS * DAY;
const REPEAT = 9;

const round = (v: number, per: number) => Math.round(v * per) / per;
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** The 99th percentile of a few runs is their slowest. */
const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(0.99 * xs.length) - 1]!;
const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(1)} ms`);

async function timed<T>(
  work: () => Promise<T>,
  repeat = REPEAT,
): Promise<{ ms: number[]; last: T }> {
  const ms: number[] = [];
  let last: T | undefined;
  for (let i = 0; i < repeat; i++) {
    const s = performance.now();
    last = await work();
    ms.push(performance.now() - s);
  }
  return { ms, last: last! };
}

const spread = (xs: number[]) =>
  `p50 ${ms(p50(xs))}, p99 ${ms(p99(xs))} (of ${xs.length}: ${ms(Math.min(...xs))} - ${ms(Math.max(...xs))})`;

/** Either store: both keep rollups and count the rows a bucket read aggregates. */
type RollupStore = DuckDbTimeSeriesStore | InfluxTimeSeriesStore;

/** A year of minutes, a day per batch, then live minutes after it; prints what they cost. */
async function fill(store: RollupStore): Promise<void> {
  const w0 = performance.now();
  for (let d = 0; d < DAYS; d++) {
    const start = T0 + d * DAY;
    const minutes = Array.from({ length: 1440 }, (_, i) => start + i * 60_000);
    await store.writeReadings(
      HOME,
      minutes.map((ts, i) => ({ ts, powerW: 150 + (i % 97) * 10 })),
    );
    await store.writeEstimates(
      HOME,
      'bench@1',
      minutes.flatMap((ts, i) => [
        { ts, appliance: 'kettle', powerW: i % 97 < 5 ? 2000 : 0, onProb: i % 97 < 5 ? 0.9 : 0.05 },
        { ts, appliance: 'fridge', powerW: 80, onProb: 0.6 },
      ]),
    );
  }
  console.log(
    `${store.kind}: wrote ${DAYS} days x 1440 minutes (readings + 2 appliances, rollups kept) in ${((performance.now() - w0) / 1000).toFixed(0)} s`,
  );
  // Live writes: the next minutes after the year (outside every read below) of readings and
  // estimates, each one batch (its rollup buckets recomputed with it).
  let next = END;
  const live = await timed(async () => {
    await store.writeReadings(HOME, [{ ts: next, powerW: 500 }]);
    await store.writeEstimates(HOME, 'bench@1', [
      { ts: next, appliance: 'kettle', powerW: 0, onProb: 0.05 },
      { ts: next, appliance: 'fridge', powerW: 80, onProb: 0.6 },
    ]);
    next += 60_000;
  });
  console.log(
    `${store.kind}: one minute written (readings + estimates, 2 batches): ${spread(live.ms)}`,
  );
}

/** The long reads from the minute data, then from the rollups, with the p50 ratios. */
async function compare(open: (readRollups: boolean) => Promise<RollupStore>): Promise<void> {
  let store = await open(false);
  const before = await longReads(store, `${store.kind}, minute data`);
  await store.close();
  store = await open(true);
  const after = await longReads(store, `${store.kind}, rollups`);
  await store.close();
  console.log(
    `${store.kind}: p50 ratio minute data / rollups: ${before.map((b, i) => (b / after[i]!).toFixed(0)).join(', ')} (30 days at 15 min, 1 year at 1 d, 30-day chart)`,
  );
}

/** The long reads on one opened store; returns each read's p50 for the ratio. */
async function longReads(store: RollupStore, label: string): Promise<number[]> {
  const service = new ReadingsService(store);
  const from30 = END - 30 * DAY;
  const p50s: number[] = [];
  for (const [name, from, bucketS] of [
    ['30 days at 15 min', from30, 900],
    ['1 year at 1 d', T0, 86_400],
  ] as const) {
    const rows = await store.rowsForBuckets(HOME, from, END, bucketS);
    const run = await timed(() => store.readBuckets(HOME, from, END, bucketS));
    p50s.push(p50(run.ms));
    console.log(
      `${label}: ${name}: ${run.last.length} buckets, ${rows} rows read, ${spread(run.ms)}`,
    );
  }
  const chart = await timed(() => service.readings(HOME, from30, END, 'auto'));
  const rows = await store.rowsForBuckets(HOME, from30, END, chart.last.resolutionS);
  p50s.push(p50(chart.ms));
  console.log(
    `${label}: 30-day chart (service, auto): ${chart.last.buckets.length} points at ${chart.last.resolutionS} s, ${rows} rows read, ${spread(chart.ms)}`,
  );
  return p50s;
}

/** The energy report's reads: rollup rows (fingerprints) and the ranges of its minute reads. */
interface EnergyReads {
  rollupRows: number;
  minuteRanges: Array<[number, number]>;
}

/** The store, noting what the energy report reads from it into `reads`. */
function counted(store: RollupStore, reads: EnergyReads): TimeSeriesStore {
  return new Proxy(store, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (name === 'readBuckets')
        return (b: string, s: number, e: number, size: number) => {
          if (size === 60) reads.minuteRanges.push([s, e]);
          return store.readBuckets(b, s, e, size);
        };
      if (name === 'readRollupRows')
        return async (b: string, s: number, e: number, level: number) => {
          const rows = await store.readRollupRows(b, s, e, level);
          reads.rollupRows += rows.length;
          return rows;
        };
      return value;
    },
  });
}

/**
 * The 1-year daily energy report (Europe/Berlin, the year's 365 finished days and today, whose
 * minutes are the live ones written after the year): cold (a new cache every run: fingerprints,
 * then every minute) and warm (finished days from the cache, checked against their rollup rows;
 * today's minutes read), and a year of months warm; against the raw scan of the year's minute
 * rows (a count over what a cold report aggregates, `rowsForBuckets`: SQL on DuckDB, InfluxQL on
 * InfluxDB) in the same run.
 */
async function yearEnergy(store: RollupStore, coldRuns: number): Promise<void> {
  const now = END + 12 * 3_600_000;
  const from = END - 365 * DAY;
  const zone = 'Europe/Berlin';
  const rowsOf = async (reads: EnergyReads) => {
    let rows = reads.rollupRows;
    for (const [s, e] of reads.minuteRanges) rows += await store.rowsForBuckets(HOME, s, e, 60);
    return rows;
  };
  const raw = await timed(() => store.rowsForBuckets(HOME, from, now, 60));
  console.log(
    `${store.kind}: raw scan of the year's minute rows (count): ${raw.last} rows, ${spread(raw.ms)}`,
  );
  const coldReads: EnergyReads = { rollupRows: 0, minuteRanges: [] };
  const probe = new ReadingsService(counted(store, coldReads), undefined, { now: () => now });
  await probe.energy(HOME, from, now, 'day', zone);
  const warmReads: EnergyReads = { rollupRows: 0, minuteRanges: [] };
  const warmProbe = new ReadingsService(counted(store, warmReads), undefined, { now: () => now });
  await warmProbe.energy(HOME, from, now, 'day', zone);
  Object.assign(warmReads, { rollupRows: 0, minuteRanges: [] });
  await warmProbe.energy(HOME, from, now, 'day', zone);
  const cold = await timed(
    () =>
      new ReadingsService(store, undefined, { now: () => now }).energy(
        HOME,
        from,
        now,
        'day',
        zone,
      ),
    coldRuns,
  );
  const service = new ReadingsService(store, undefined, { now: () => now });
  await service.energy(HOME, from, now, 'day', zone);
  const warm = await timed(() => service.energy(HOME, from, now, 'day', zone));
  const months = await timed(() => service.energy(HOME, from, now, 'month', zone));
  const uncached = new ReadingsService(store, undefined, { energyCache: null });
  const same =
    JSON.stringify(warm.last) ===
    JSON.stringify(await uncached.energy(HOME, from, now, 'day', zone));
  console.log(
    `${store.kind}: 1-year daily energy, cold (${cold.last.length} days): ${await rowsOf(coldReads)} rows read (${coldReads.rollupRows} rollup rows, minutes of ${coldReads.minuteRanges.length} ranges), ${spread(cold.ms)}; p50 / raw scan p50 ${(p50(cold.ms) / p50(raw.ms)).toFixed(1)}`,
  );
  console.log(
    `${store.kind}: 1-year daily energy, warm: ${await rowsOf(warmReads)} rows read (${warmReads.rollupRows} rollup rows, minutes of ${warmReads.minuteRanges.length} ranges), ${spread(warm.ms)}; p50 / raw scan p50 ${(p50(warm.ms) / p50(raw.ms)).toFixed(2)}; equal to the uncached report: ${same}`,
  );
  console.log(
    `${store.kind}: 1-year monthly energy, warm (${months.last.length} months): ${spread(months.ms)}`,
  );
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'nilm-reads-range-'));
  const path = join(dir, 'timeseries.duckdb');
  const writer = await DuckDbTimeSeriesStore.open({ path });
  await fill(writer);
  await writer.close();
  await compare((readRollups) => DuckDbTimeSeriesStore.open({ path, readRollups }));

  const store = await DuckDbTimeSeriesStore.open({ path });
  await yearEnergy(store, 5);
  const service = new ReadingsService(store);
  const day = await service.readings(HOME, END - DAY, END, '1m');
  const columns = JSON.stringify(readingsColumns(HOME, END - DAY, END, day)).length;
  const points = JSON.stringify(
    day.buckets.map((b) => ({
      time: new Date(b.ts).toISOString(),
      power_w: b.powerW === null ? null : round(b.powerW, 10),
      appliances: Object.fromEntries(
        Object.entries(b.appliances).map(([a, v]) => [
          a,
          { power_w: round(v.powerW, 10), on_prob: round(v.onProb, 1000) },
        ]),
      ),
    })),
  ).length;
  console.log(
    `one day at 1 min: ${(columns / 1024).toFixed(1)} KB as columns, ${(points / 1024).toFixed(1)} KB as points (both rounded alike; ${(columns / points).toFixed(2)})`,
  );
  await store.close();
  await rm(dir, { recursive: true, force: true });

  const at = process.argv.indexOf('--influx');
  if (at < 0) return;
  const url = process.argv[at + 1];
  if (url === undefined) throw new Error('--influx needs the InfluxDB URL');
  const database = 'nilm_bench_rollups';
  const influx = await InfluxTimeSeriesStore.open({ url, database, createDatabase: true });
  await influx.deleteBuilding(HOME);
  await fill(influx);
  await influx.close();
  await compare((readRollups) => InfluxTimeSeriesStore.open({ url, database, readRollups }));
  const again = await InfluxTimeSeriesStore.open({ url, database });
  await yearEnergy(again, 3);
  await again.close();
}

await main();
