// Proves issue 12.11: closing the running parts while a disaggregation job runs lets the job
// finish on an open model and open stores (the queue is closed, and waited for, before the model
// and stores), instead of failing with "Session already disposed".
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { createParts } from './app.deps.js';
import { seedMetadata, storeReadings, tinyModelRegistry } from './services.fixture.js';
import { Worker } from './worker.js';

const tmp = mkdtempSync(join(tmpdir(), 'nilm-shutdown-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it('finishes the running job before closing the model and the stores', async () => {
  const config = loadConfig(
    {
      NILM_DATA_DIR: join(tmp, 'data'),
      NILM_MODELS_DIR: await tinyModelRegistry(tmp),
      LOG_LEVEL: 'silent',
      DEMO: 'false',
    },
    resolve(import.meta.dirname, '../../..'),
  );
  seedMetadata(config.dataDir);
  const parts = await createParts(config);
  await parts.metadata.createBuilding({
    id: 'h',
    name: 'h',
    timezone: 'UTC',
    isDemo: false,
    modelRef: null,
  });
  const end = Date.UTC(2024, 0, 2);
  const readings = [];
  for (let ts = end - 6 * 3_600_000; ts <= end; ts += 60_000)
    readings.push({ ts, powerW: 200 + (ts % 11) * 40 });
  await storeReadings(parts, 'h', readings);

  const failures: unknown[] = [];
  const worker = new Worker({
    ...parts,
    log: { info: () => undefined, warn: (o) => failures.push(o), error: (o) => failures.push(o) },
  });
  // The job is held inside the model, its session in use, until shutdown has begun.
  let started!: () => void;
  const jobStarted = new Promise<void>((r) => (started = r));
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const model = parts.engine.model.bind(parts.engine);
  parts.engine.model = async (ref) => {
    const m = await model(ref);
    const disaggregate = m.disaggregate.bind(m);
    m.disaggregate = async (series) => {
      started();
      await held;
      return disaggregate(series);
    };
    return m;
  };
  const run = worker.service.run.bind(worker.service);
  let result: Awaited<ReturnType<typeof run>> | undefined;
  worker.service.run = async (id) => (result = await run(id));
  worker.start({ concurrency: 1, reconcileMs: 60_000 });
  await parts.queue.enqueue('h');
  await jobStarted;
  worker.stop();
  const closed = parts.close();
  // Let close() get as far as it would before the job goes on.
  await new Promise((r) => setTimeout(r, 200));
  release();
  await closed;
  expect(failures).toEqual([]);
  expect(result?.written).toBeGreaterThan(0);
}, 120_000);
