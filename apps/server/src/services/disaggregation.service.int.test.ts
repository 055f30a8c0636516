// Proves the estimate backlog scenarios (disaggregation.scenarios.ts) on real PostgreSQL (the
// backlog) and InfluxDB (readings and estimates): every reading minute estimated once, minute
// by minute, whatever order history and live data arrive in, and after a run that dies.
import { InfluxTimeSeriesStore, createPostgresMetadataStore } from '@nilm/stores';
import { InferenceEngine } from '@nilm/ml';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createDatabase,
  dropDatabase,
  serviceUrls,
  tinyModelRegistry,
} from '../services.fixture.js';
import { disaggregationScenarios } from './disaggregation.scenarios.js';

const { databaseUrl: DATABASE_URL, influxUrl: INFLUX_URL } = serviceUrls();

disaggregationScenarios('PostgreSQL + InfluxDB', async () => {
  const name = `nilm_disagg_${Date.now().toString(36)}`;
  const tmp = mkdtempSync(join(tmpdir(), 'nilm-disagg-int-'));
  const metadata = createPostgresMetadataStore({
    connectionString: await createDatabase(DATABASE_URL, name),
  });
  await metadata.migrate();
  const timeseries = await InfluxTimeSeriesStore.open({
    url: INFLUX_URL,
    database: name,
    createDatabase: true,
  });
  const engine = await InferenceEngine.open(await tinyModelRegistry(tmp));
  return {
    metadata,
    timeseries,
    engine,
    close: async () => {
      await engine.close();
      await timeseries.close();
      await metadata.close();
      await fetch(`${INFLUX_URL}/query?q=${encodeURIComponent(`DROP DATABASE ${name}`)}`, {
        method: 'POST',
      }).catch(() => undefined);
      await dropDatabase(DATABASE_URL, name);
      rmSync(tmp, { recursive: true, force: true });
    },
  };
});
