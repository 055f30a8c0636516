// Proves the watermarked time-series store meets the whole time-series contract on real InfluxDB with its watermarks in real PostgreSQL, and that two processes' stores (an API writing readings and a worker writing estimates, each with its own InfluxDB and PostgreSQL clients) keep and read the same watermarks, concurrently, and both see a delete.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxTimeSeriesStore } from './influx.timeseries.store.js';
import type { MetadataStore } from './metadata.store.js';
import { createPostgresMetadataStore } from './postgres.metadata.store.js';
import { timeSeriesConformance } from './timeseries.conformance.js';
import { creatingBuildings, ensureBuilding } from './watermarked.fixture.js';
import { WatermarkedTimeSeriesStore } from './watermarked.timeseries.store.js';

const influxUrl = process.env.NILM_TEST_INFLUX_URL;
const baseUrl = process.env.NILM_TEST_DATABASE_URL;
// Never skip: a missing service must fail the integration tier, not hide it.
if (!influxUrl)
  throw new Error('NILM_TEST_INFLUX_URL is not set: start .ci/services/influxdb.sh and export it');
if (!baseUrl)
  throw new Error(
    'NILM_TEST_DATABASE_URL is not set, e.g. postgres://postgres@127.0.0.1:5432/postgres',
  );

const T = Date.UTC(2026, 11, 1, 9);
const MIN = 60_000;

function urlFor(database: string): string {
  const url = new URL(baseUrl as string);
  url.pathname = `/${database}`;
  return url.toString();
}
const admin = new pg.Pool({ connectionString: urlFor('postgres'), max: 1 });
const pgName = `nilm_test_${randomBytes(6).toString('hex')}`;
const influxDb = `nilm_test_${randomBytes(6).toString('hex')}`;
const influxDbs: string[] = [influxDb];

let metadata: MetadataStore;
beforeAll(async () => {
  await admin.query(`CREATE DATABASE ${pgName}`);
  metadata = createPostgresMetadataStore({ connectionString: urlFor(pgName), max: 4 });
  await metadata.migrate();
}, 120_000);

afterAll(async () => {
  await metadata?.close();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  for (const db of influxDbs) {
    const target = new URL('query', influxUrl.endsWith('/') ? influxUrl : `${influxUrl}/`);
    await fetch(target, {
      method: 'POST',
      body: new URLSearchParams({ q: `DROP DATABASE "${db}"` }),
    });
  }
}, 120_000);

timeSeriesConformance('influxdb with postgres watermarks', async () => {
  const database = `nilm_test_${randomBytes(6).toString('hex')}`;
  influxDbs.push(database);
  return new WatermarkedTimeSeriesStore(
    await InfluxTimeSeriesStore.open({ url: influxUrl, database, createDatabase: true }),
    creatingBuildings(() => metadata),
  );
});

describe('watermarks shared by an API and a worker process', () => {
  it('agree while one writes readings and the other estimates, and both see a delete', async () => {
    // Each "process" has clients of its own to both services, as separate processes would.
    const apiMeta = createPostgresMetadataStore({ connectionString: urlFor(pgName), max: 2 });
    const workerMeta = createPostgresMetadataStore({ connectionString: urlFor(pgName), max: 2 });
    const open = () =>
      InfluxTimeSeriesStore.open({ url: influxUrl, database: influxDb, createDatabase: true });
    const api = new WatermarkedTimeSeriesStore(await open(), apiMeta);
    const worker = new WatermarkedTimeSeriesStore(await open(), workerMeta);
    try {
      const b = `wm-shared-${randomBytes(3).toString('hex')}`;
      await ensureBuilding(metadata, b);
      await Promise.all([
        ...Array.from({ length: 10 }, (_, k) =>
          api.writeReadings(b, [{ ts: T + k * MIN, powerW: 100 + k }]),
        ),
        ...Array.from({ length: 10 }, (_, k) =>
          worker.writeEstimates(b, 'm@1', [
            { ts: T + (k - 5) * MIN, appliance: 'fridge', powerW: 50, onProb: 1 },
          ]),
        ),
      ]);
      const expected = {
        oldestReadingMs: T,
        newestReadingMs: T + 9 * MIN,
        oldestEstimateMs: T - 5 * MIN,
        newestEstimateMs: T + 4 * MIN,
      };
      expect(await api.watermarks(b)).toEqual(expected);
      expect(await worker.watermarks(b)).toEqual(expected);
      expect((await metadata.getWatermarks([b])).get(b)?.filled).toBe(true);
      await api.deleteBuilding(b);
      const none = {
        oldestReadingMs: null,
        newestReadingMs: null,
        oldestEstimateMs: null,
        newestEstimateMs: null,
      };
      expect(await worker.watermarks(b)).toEqual(none);
      await worker.writeEstimates(b, 'm@1', [{ ts: T, appliance: 'fridge', powerW: 1, onProb: 1 }]);
      expect(await api.watermarks(b)).toEqual({
        ...none,
        oldestEstimateMs: T,
        newestEstimateMs: T,
      });
    } finally {
      await api.close();
      await worker.close();
      await apiMeta.close();
      await workerMeta.close();
    }
  }, 120_000);
});
