// Proves scale-out on real Redis (BullMQ), PostgreSQL and InfluxDB: two `nilm worker` processes
// share the jobs of many buildings; one is killed (SIGKILL) in the middle of the work; its job
// is handed back and done by the other; every building ends with exactly one estimate per
// appliance and minute (none missing, none duplicated); SIGTERM stops a worker cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullMqJobQueue } from '@nilm/queue';
import {
  createPostgresMetadataStore,
  InfluxTimeSeriesStore,
  type MetadataStore,
} from '@nilm/stores';
import {
  createDatabase,
  dropDatabase,
  freePort,
  serviceUrls,
  tinyModelRegistry,
} from './services.fixture.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = resolve(ROOT, 'apps/cli/bin/nilm.js');
const { databaseUrl: DATABASE_URL, influxUrl: INFLUX_URL } = serviceUrls();
const tmp = mkdtempSync(join(tmpdir(), 'nilm-scale-'));
const dbName = `nilm_scale_${Date.now().toString(36)}`;
const BUILDINGS = 16;
const MINUTES = 2 * 1440;
let redis: ChildProcess;
let redisUrl = '';
let dbUrl = '';
let metadata: MetadataStore;
let timeseries: InfluxTimeSeriesStore;
let queue: BullMqJobQueue;
const workers: ChildProcess[] = [];

function startWorker(name: string, modelsDir: string): ChildProcess {
  const child = spawn(process.execPath, [BIN, 'worker'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: dbUrl,
      REDIS_URL: redisUrl,
      INFLUX_URL,
      INFLUX_DATABASE: dbName,
      NILM_MODELS_DIR: modelsDir,
      NILM_DATA_DIR: join(tmp, name),
      NILM_ADMIN_PASSWORD: 'scale-out-secret',
      QUEUE_LOCK_MS: '1500',
      WORKER_RECONCILE_MS: '600000',
      WORKER_CONCURRENCY: '1',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.resume();
  child.stderr!.resume();
  workers.push(child);
  return child;
}

beforeAll(async () => {
  dbUrl = await createDatabase(DATABASE_URL, dbName);
  const port = await freePort();
  redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  redisUrl = `redis://127.0.0.1:${port}`;
  await new Promise((ok) => setTimeout(ok, 500));
  metadata = createPostgresMetadataStore({ connectionString: dbUrl });
  await metadata.migrate();
  timeseries = await InfluxTimeSeriesStore.open({
    url: INFLUX_URL,
    database: dbName,
    createDatabase: true,
  });
  queue = new BullMqJobQueue({ url: redisUrl, lockDurationMs: 1500 });
}, 120_000);

afterAll(async () => {
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  await queue?.close();
  await metadata?.close();
  await fetch(`${INFLUX_URL}/query?q=${encodeURIComponent(`DROP DATABASE ${dbName}`)}`, {
    method: 'POST',
  }).catch(() => undefined);
  await timeseries?.close();
  redis?.kill('SIGKILL');
  await dropDatabase(DATABASE_URL, dbName);
  rmSync(tmp, { recursive: true, force: true });
}, 120_000);

describe('two workers on Redis', () => {
  it('share the jobs, survive one being killed mid-job, and leave no estimate missing or duplicated', async () => {
    const modelsDir = await tinyModelRegistry(tmp);
    const start = Math.floor((Date.now() - 3 * 86_400_000) / 60_000) * 60_000;
    for (let b = 0; b < BUILDINGS; b++) {
      const id = `scale-${b}`;
      await metadata.createBuilding({
        id,
        name: id,
        timezone: 'UTC',
        isDemo: false,
        modelRef: null,
      });
      // Readings every 10 s: each job reads, resamples and disaggregates two days. Stored as
      // ingest stores them: written, then marked in the estimate backlog.
      const readings = Array.from({ length: MINUTES * 6 }, (_, i) => ({
        ts: start + i * 10_000,
        powerW: 150 + ((i * (b + 7)) % 900),
      }));
      await timeseries.writeReadings(id, readings);
      await metadata.markPending(
        id,
        readings.map((r) => r.ts),
      );
    }
    const a = startWorker('a', modelsDir);
    const b = startWorker('b', modelsDir);
    for (let i = 0; i < BUILDINGS; i++) await queue.enqueue(`scale-${i}`);
    // Kill worker A in the middle of a job: each worker runs one job at a time, so when two
    // jobs are active both workers hold one.
    let statsBefore = await queue.stats();
    const busyBy = Date.now() + 60_000;
    while (statsBefore.active < 2 && Date.now() < busyBy) {
      await new Promise((ok) => setTimeout(ok, 20));
      statsBefore = await queue.stats();
    }
    a.kill('SIGKILL');
    expect(statsBefore.active).toBe(2);
    expect(statsBefore.completed).toBeLessThan(BUILDINGS);
    const deadline = Date.now() + 150_000;
    let done = 0;
    while (Date.now() < deadline) {
      const s = await queue.stats();
      done = s.completed;
      if (s.completed >= BUILDINGS && s.waiting === 0 && s.active === 0 && s.delayed === 0) break;
      await new Promise((ok) => setTimeout(ok, 1000));
    }
    expect(done).toBeGreaterThanOrEqual(BUILDINGS);
    // The backlog is empty: nothing was lost with the killed worker's job.
    expect(await metadata.buildingsWithPending(100)).toEqual([]);
    // Every minute, two appliances, exactly once.
    for (let i = 0; i < BUILDINGS; i++) {
      const est = await timeseries.readEstimates(`scale-${i}`, start, start + MINUTES * 60_000);
      const keys = new Set(est.map((e) => `${e.appliance}@${e.ts}`));
      expect(keys.size).toBe(est.length);
      expect(est.length).toBe(MINUTES * 2);
    }
    // SIGTERM: the surviving worker stops taking jobs and exits cleanly.
    const exit = new Promise<number | null>((ok) => b.once('exit', (code) => ok(code)));
    b.kill('SIGTERM');
    expect(await exit).toBe(0);
  });
});
