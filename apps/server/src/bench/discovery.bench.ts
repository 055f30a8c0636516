/**
 * Time taken by found-device discovery and the live scorecard on a month of one real home
 * (IDEAL House 65, June 2017, ../shared/data/ideal, one-minute mains and its electric shower's
 * sub-meter) in the embedded stores: the daily discovery pass over 30 days, the pass as readings
 * arrive (the last 2 days, merging), and the live scorecard (last 7 and 30 days) of a shower
 * sub-meter against stored estimates (the sub-meter one minute late: the cost does not depend on
 * the values); and the search alone (`discoverDevices`, no store). Numbers, not assertions (recorded in docs/benchmarks.md).
 * Run: `npx tsx apps/server/src/bench/discovery.bench.ts`.
 */
import { join, resolve } from 'node:path';
import { discoverDevices, InferenceEngine, readDatasetCsvLenient } from '@nilm/ml';
import { createPgliteMetadataStore, DuckDbTimeSeriesStore } from '@nilm/stores';
import { DiscoveryService } from '../services/discovery.service.js';
import { SubmeterScorecardService } from '../services/submeter.scorecard.service.js';

const ROOT = resolve(import.meta.dirname, '../../../..');
const FILE = resolve(ROOT, '../shared/data/ideal/IDEAL_House65_2017-06.csv.gz');
const MIN = 60_000;
const REPEAT = 5;
const HOME = 'ideal-65';

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) =>
  `median ${p50(xs).toFixed(2)} s (min ${Math.min(...xs).toFixed(2)}, max ${Math.max(...xs).toFixed(2)}, ${xs.length} runs)`;

const series = (await readDatasetCsvLenient(FILE)).series;
const n = Math.min(series.mains.length, 30 * 1440);
const start = series.startMs;
const end = start + n * MIN;
const shower = series.appliances.electric_shower!;
const metadata = await createPgliteMetadataStore();
await metadata.migrate();
const timeseries = await DuckDbTimeSeriesStore.open();
const engine = await InferenceEngine.open(join(ROOT, 'models'));
await metadata.createBuilding({
  id: HOME,
  name: HOME,
  timezone: 'Europe/London',
  isDemo: false,
  modelRef: null,
});
const mains = [];
const metered = [];
const estimates = [];
for (let i = 0; i < n; i++) {
  const ts = start + i * MIN;
  if (Number.isFinite(series.mains[i])) mains.push({ ts, powerW: series.mains[i]! });
  if (Number.isFinite(shower[i])) metered.push({ ts, powerW: shower[i]! });
  const late = shower[Math.max(0, i - 1)]!;
  if (Number.isFinite(late))
    estimates.push({
      ts,
      appliance: 'electric_shower',
      powerW: late,
      onProb: late > 1000 ? 0.9 : 0.1,
    });
}
await timeseries.writeReadings(HOME, mains);
await timeseries.writeSubmeter(HOME, 'electric_shower', metered);
const { card } = await engine.files();
await timeseries.writeEstimates(HOME, `${card.id}@${card.version}`, estimates);
await metadata.createSource({
  id: `${HOME}-plug`,
  buildingId: HOME,
  name: 'Shower meter',
  type: 'tasmota',
  role: 'submeter',
  appliance: 'electric_shower',
  settings: { topic: 'tele/shower/SENSOR' },
});
const building = (await metadata.getBuilding(HOME))!;
console.log(`IDEAL House 65, ${(n / 1440).toFixed(0)} days, ${mains.length} minutes of mains`);

const daily: number[] = [];
let found = 0;
for (let k = 0; k < REPEAT; k++) {
  const t0 = performance.now();
  const pass = await new DiscoveryService({ timeseries, metadata }).discover(building, start, end);
  daily.push((performance.now() - t0) / 1000);
  found = pass.devices.length;
}
console.log(`discovery, daily pass over 30 days: ${fmt(daily)}; ${found} devices`);

// The search alone (no store reads or writes), on the same minutes.
const alone: number[] = [];
const mainsF = Float64Array.from(series.mains.subarray(0, n));
for (let k = 0; k < REPEAT; k++) {
  const t0 = performance.now();
  discoverDevices(
    { startMs: start, periodS: 60, mains: mainsF, explained: new Float64Array(n) },
    { hourOf: (ms) => new Date(ms).getUTCHours() },
  );
  alone.push((performance.now() - t0) / 1000);
}
console.log(`discovery search alone (discoverDevices, 30 days): ${fmt(alone)}`);

const recent: number[] = [];
for (let k = 0; k < REPEAT; k++) {
  const service = new DiscoveryService({ timeseries, metadata, now: () => end });
  const t0 = performance.now();
  await service.afterEstimates(HOME);
  recent.push((performance.now() - t0) / 1000);
}
console.log(`discovery as readings arrive (last 2 days, merging): ${fmt(recent)}`);

const live: number[] = [];
const scorecards = new SubmeterScorecardService({ timeseries, metadata, engine, now: () => end });
let compared = 0;
for (let k = 0; k < REPEAT; k++) {
  const t0 = performance.now();
  const sc = await scorecards.scorecard(building);
  live.push((performance.now() - t0) / 1000);
  compared = sc.appliances.length;
}
console.log(`live scorecard (7 and 30 days, ${compared} sub-meter): ${fmt(live)}`);
await engine.close();
await timeseries.close();
await metadata.close();
