// The fine-tune lane on real Redis (BullMQ) and PostgreSQL (jobs claimed there), with an
// in-memory DuckDB and a tiny model: see finetune.lane.fixture.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceEngine } from '@nilm/ml';
import { BullMqJobQueue } from '@nilm/queue';
import { createPostgresMetadataStore, DuckDbTimeSeriesStore } from '@nilm/stores';
import {
  createDatabase,
  dropDatabase,
  serviceUrls,
  tinyModelRegistry,
} from '../services.fixture.js';
import { describeFinetuneLane } from './finetune.lane.fixture.js';

describeFinetuneLane('Redis, PostgreSQL', async () => {
  const { databaseUrl } = serviceUrls();
  const redisUrl = process.env.NILM_TEST_REDIS_URL;
  if (!redisUrl) throw new Error('NILM_TEST_REDIS_URL must be set (.ci/run sets it)');
  const run = Date.now().toString(36);
  const dbName = `nilm_ft_lane_${run}`;
  const tmp = mkdtempSync(join(tmpdir(), 'nilm-ft-lane-int-'));
  const metadata = createPostgresMetadataStore({
    connectionString: await createDatabase(databaseUrl, dbName),
  });
  await metadata.migrate();
  const timeseries = await DuckDbTimeSeriesStore.open();
  const engine = await InferenceEngine.open(await tinyModelRegistry(tmp));
  const queue = new BullMqJobQueue({
    url: redisUrl,
    queueName: `ft-lane-${run}`,
    prefix: `nilm-test-${run}`,
  });
  return {
    metadata,
    timeseries,
    engine,
    queue,
    close: async () => {
      await timeseries.close();
      await metadata.close();
      await engine.close();
      await dropDatabase(databaseUrl, dbName);
      rmSync(tmp, { recursive: true, force: true });
    },
  };
});
