/**
 * Rows read and time taken by the two long-range reads of issue 16 on the embedded store, as
 * the readings/energy services run them: a 30-day chart (resolution auto, at most 1000 points)
 * and a 1-year daily-energy report, over one home with a year of one-minute readings and two
 * appliances' estimates. Also the one-day answer's size as points and as columns. Numbers, not
 * assertions (recorded in docs/benchmarks.md). Run: `npx tsx apps/server/src/bench/reads.range.bench.ts`.
 */
import { DuckDbTimeSeriesStore } from '@nilm/stores';
import { ReadingsService } from '../services/readings.service.js';
import { readingsColumns } from '../routes/readings.columns.js';

const HOME = 'bench-year';
const DAY = 86_400_000;
const DAYS = 366;
const T0 = Date.UTC(2024, 0, 1);
const END = T0 + DAYS * DAY;
const REPEAT = 5;

const round = (v: number, per: number) => Math.round(v * per) / per;
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number[]; last: T }> {
  const ms: number[] = [];
  let last: T | undefined;
  for (let i = 0; i < REPEAT; i++) {
    const s = performance.now();
    last = await work();
    ms.push(performance.now() - s);
  }
  return { ms, last: last! };
}

async function main(): Promise<void> {
  const store = await DuckDbTimeSeriesStore.open();
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
    `wrote ${DAYS} days x 1440 minutes (readings + 2 appliances) in ${((performance.now() - w0) / 1000).toFixed(0)} s`,
  );
  const service = new ReadingsService(store);
  const rowsIn = async (from: number, to: number) =>
    (await store.readReadings(HOME, from, to)).length +
    (await store.readEstimates(HOME, from, to)).length;

  const chartFrom = END - 30 * DAY;
  const chart = await timed(() => service.readings(HOME, chartFrom, END, 'auto'));
  console.log(
    `30-day chart: ${chart.last.buckets.length} points at ${chart.last.resolutionS} s, ${await rowsIn(chartFrom, END)} rows read, p50 ${p50(chart.ms).toFixed(0)} ms (of ${REPEAT}: ${chart.ms.map((m) => m.toFixed(0)).join(', ')})`,
  );
  const year = await timed(() => service.energy(HOME, T0, END, 'day'));
  console.log(
    `1-year daily energy: ${year.last.length} days, ${await rowsIn(T0, END)} rows read, p50 ${p50(year.ms).toFixed(0)} ms (of ${REPEAT}: ${year.ms.map((m) => m.toFixed(0)).join(', ')})`,
  );
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
}

await main();
