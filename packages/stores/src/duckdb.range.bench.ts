/**
 * Why the DuckDB store writes time ranges into its SQL as literals (numbers, not assertions;
 * recorded in docs/benchmarks.md): one day of one-minute buckets (mains + 4 appliances) among
 * 4 homes x 60 days, as the store reads it now, next to the previous SQL (range as parameters,
 * grouped FULL OUTER JOIN) and next to the plain scan of the day's readings, in one process,
 * repeated. Run: `npx tsx packages/stores/src/duckdb.range.bench.ts`.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbTimeSeriesStore } from './duckdb.timeseries.store.js';

const HOMES = ['bench-0', 'bench-1', 'bench-2', 'bench-3'];
const DAYS = 60;
const T0 = Date.UTC(2024, 0, 1);
const DAY = 86_400_000;
const MID = T0 + 30 * DAY;

const OLD_BUCKET = 'ts - ((ts % $4) + $4) % $4';
const OLD_SQL = `
  WITH r AS (
    SELECT ${OLD_BUCKET} AS bucket, avg(power_w) AS power_w FROM readings
    WHERE building = $1 AND ts >= $2 AND ts < $3 GROUP BY bucket
  ), e AS (
    SELECT ${OLD_BUCKET} AS bucket, appliance, avg(power_w) AS power_w, avg(on_prob) AS on_prob
    FROM estimates WHERE building = $1 AND ts >= $2 AND ts < $3 GROUP BY bucket, appliance
  )
  SELECT coalesce(r.bucket, e.bucket) AS bucket, r.power_w AS mains_w, e.appliance, e.power_w,
         e.on_prob
  FROM r FULL OUTER JOIN e ON r.bucket = e.bucket ORDER BY bucket, e.appliance`;
const SCAN_SQL = `SELECT ts, power_w FROM readings
  WHERE building = $1 AND ts >= ${MID} AND ts < ${MID + DAY}`;

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const store = await DuckDbTimeSeriesStore.open();
  const raw = await (await DuckDBInstance.create(':memory:')).connect();
  await raw.run(`CREATE TABLE readings (building VARCHAR NOT NULL, ts BIGINT NOT NULL,
    power_w DOUBLE NOT NULL, PRIMARY KEY (building, ts))`);
  await raw.run(`CREATE TABLE estimates (building VARCHAR NOT NULL, appliance VARCHAR NOT NULL,
    ts BIGINT NOT NULL, power_w DOUBLE NOT NULL, on_prob DOUBLE NOT NULL,
    PRIMARY KEY (building, appliance, ts))`);
  const apps = ['kettle', 'microwave', 'dishwasher', 'washing_machine'];
  for (const home of HOMES) {
    for (let d = 0; d < DAYS; d++) {
      const start = T0 + d * DAY;
      const readings = Array.from({ length: 8640 }, (_, i) => ({
        ts: start + i * 10_000,
        powerW: 150 + (i % 500),
      }));
      const estimates = Array.from({ length: 1440 * 4 }, (_, i) => ({
        ts: start + Math.floor(i / 4) * 60_000,
        appliance: apps[i % 4]!,
        powerW: i % 50,
        onProb: 0.1,
      }));
      await store.writeReadings(home, readings);
      await store.writeEstimates(home, 'bench@1', estimates);
    }
    // The same rows in the raw engine, written by SQL.
    await raw.run(`INSERT INTO readings SELECT '${home}', ${T0} + i * 10000, 150 + i % 500
      FROM range(${8640 * DAYS}) t(i)`);
    await raw.run(`INSERT INTO estimates SELECT '${home}', a, ${T0} + i * 60000, i % 50, 0.1
      FROM range(${1440 * DAYS}) t(i), (VALUES ${apps.map((a) => `('${a}')`).join(', ')}) v(a)`);
  }
  const time = async (run: () => Promise<unknown>): Promise<number> => {
    const xs: number[] = [];
    for (let i = 0; i < 30; i++) {
      const s = performance.now();
      await run();
      xs.push(performance.now() - s);
    }
    return p50(xs);
  };
  console.log(`one day of 1-minute buckets among ${HOMES.length} homes x ${DAYS} days, p50 of 30:`);
  for (let round = 1; round <= 3; round++) {
    const scan = await time(async () =>
      (await raw.runAndReadAll(SCAN_SQL, ['bench-1'])).getColumnsJS(),
    );
    const old = await time(async () =>
      (
        await raw.runAndReadAll(OLD_SQL, ['bench-1', BigInt(MID), BigInt(MID + DAY), 60_000n])
      ).getColumnsJS(),
    );
    const now = await time(() => store.readBuckets('bench-1', MID, MID + DAY, 60));
    console.log(
      `  round ${round}: store.readBuckets ${now.toFixed(1)} ms (${(now / scan).toFixed(1)}x the scan); previous SQL ${old.toFixed(1)} ms (${(old / scan).toFixed(1)}x); the day's readings scan ${scan.toFixed(1)} ms`,
    );
  }
  await store.close();
}

await main();
