// Proves the scenario of the "every stored reading gets its estimates" issue on PostgreSQL,
// Redis (BullMQ), InfluxDB and Mosquitto with two workers (one in the server process, one
// `nilm worker` process): two buildings receive two live readings and get their estimates, then
// 14 days of real history ending now arrive through `nilm replay` at 100,000x, over HTTP into
// one and over MQTT into the other. Every minute with a reading ends up with exactly one
// estimate per appliance (checked minute by minute), every day's estimate_coverage reaches 1,
// and the time this took is printed.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxTimeSeriesStore } from '@nilm/stores';
import { runServer, type RunningServer } from './server.js';
import {
  createDatabase,
  dropDatabase,
  freePort,
  serviceUrls,
  tinyModelRegistry,
} from './services.fixture.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = resolve(ROOT, 'apps/cli/bin/nilm.js');
const DATA = resolve(ROOT, 'data/REFIT_House20_2014-09-03_14d.csv.gz');
const { databaseUrl: DATABASE_URL, influxUrl: INFLUX_URL } = serviceUrls();
const MQTT_URL = process.env.NILM_TEST_MQTT_URL ?? '';
if (!MQTT_URL) throw new Error('NILM_TEST_MQTT_URL must be set (.ci/run sets it)');
const tmp = mkdtempSync(join(tmpdir(), 'nilm-backlog-int-'));
const dbName = `nilm_backlog_${Date.now().toString(36)}`;
// A topic of this run only, so other tests on the shared broker never reach this server.
const TOPIC = `nilmtest-${Date.now().toString(36)}/+/power`;
const MIN = 60_000;
const DAY = 86_400_000;
let redis: ChildProcess | undefined;
let worker: ChildProcess | undefined;
let server: RunningServer;
let timeseries: InfluxTimeSeriesStore;
let bearer = '';
const tokens: Record<string, string> = {};

async function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${server.url}/api/v1${path}`, {
    ...init,
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${bearer}`,
      ...(init.headers as Record<string, string>),
    },
  });
}

/** Run a `nilm` command to its end; rejects with its stderr when it fails. */
function nilm(args: string[]): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) =>
      code === 0 ? ok() : fail(new Error(`nilm ${args[0]} exited ${code}: ${err.slice(-2000)}`)),
    );
  });
}

beforeAll(async () => {
  const dbUrl = await createDatabase(DATABASE_URL, dbName);
  const redisPort = await freePort();
  redis = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  await new Promise((ok) => setTimeout(ok, 500));
  const modelsDir = await tinyModelRegistry(tmp);
  const env = {
    LOG_LEVEL: 'error',
    DEMO: 'false',
    NILM_MODELS_DIR: modelsDir,
    NILM_ADMIN_PASSWORD: 'backlog-secret',
    DATABASE_URL: dbUrl,
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    INFLUX_URL,
    INFLUX_DATABASE: dbName,
    WORKER_RECONCILE_MS: '2000',
    WORKER_CONCURRENCY: '1',
  };
  server = await runServer(
    {
      ...env,
      PORT: '0',
      NILM_DATA_DIR: join(tmp, 'server'),
      MQTT_URL,
      MQTT_TOPIC: TOPIC,
    },
    ROOT,
  );
  worker = spawn(process.execPath, [BIN, 'worker'], {
    cwd: ROOT,
    env: { ...process.env, ...env, NILM_DATA_DIR: join(tmp, 'worker') },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  timeseries = await InfluxTimeSeriesStore.open({ url: INFLUX_URL, database: dbName });
  const login = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@nilm.local', password: 'backlog-secret' }),
  });
  bearer = ((await login.json()) as { access_token: string }).access_token;
  for (const id of ['http-home', 'mqtt-home']) {
    expect(
      (await api('/buildings', { method: 'POST', body: JSON.stringify({ id, name: id }) })).status,
    ).toBe(201);
    const t = await api(`/buildings/${id}/tokens`, {
      method: 'POST',
      body: JSON.stringify({ name: 'meter' }),
    });
    tokens[id] = ((await t.json()) as { token: string }).token;
  }
}, 180_000);

afterAll(async () => {
  worker?.kill('SIGKILL');
  await server?.close();
  await timeseries?.close();
  redis?.kill('SIGKILL');
  await fetch(`${INFLUX_URL}/query?q=${encodeURIComponent(`DROP DATABASE ${dbName}`)}`, {
    method: 'POST',
  }).catch(() => undefined);
  await dropDatabase(DATABASE_URL, dbName);
  rmSync(tmp, { recursive: true, force: true });
}, 120_000);

/** Days of the building (UTC) whose estimate_coverage is below 1, from the energy endpoint. */
async function uncoveredDays(id: string, start: number, end: number): Promise<number> {
  const r = await api(`/buildings/${id}/energy?start=${start}&end=${end}&period=day`);
  const body = (await r.json()) as { periods: Array<{ estimate_coverage: number | null }> };
  return body.periods.filter((p) => p.estimate_coverage !== null && p.estimate_coverage < 1).length;
}

describe('history that arrives while live data flows (PostgreSQL, InfluxDB, Redis, two workers)', () => {
  it('ends with every reading minute estimated once, over HTTP and over MQTT', async () => {
    const now = Math.floor(Date.now() / MIN) * MIN;
    // Live data first: two readings each, and their estimates.
    for (const id of ['http-home', 'mqtt-home']) {
      const r = await fetch(`${server.url}/api/v1/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-ingest-token': tokens[id]! },
        body: JSON.stringify({
          building_id: id,
          readings: [
            { ts: now - MIN, power_w: 240 },
            { ts: now, power_w: 250 },
          ],
        }),
      });
      expect(r.status).toBe(202);
    }
    for (let i = 0; i < 120; i++) {
      const [a, b] = await Promise.all([
        timeseries.latestEstimateTs('http-home'),
        timeseries.latestEstimateTs('mqtt-home'),
      ]);
      if (a === now && b === now) break;
      await new Promise((ok) => setTimeout(ok, 500));
    }
    expect(await timeseries.latestEstimateTs('http-home')).toBe(now);
    expect(await timeseries.latestEstimateTs('mqtt-home')).toBe(now);

    // Then 14 days of history ending now, as a user importing it would send it.
    const t0 = Date.now();
    await Promise.all([
      nilm([
        'replay',
        '--data',
        DATA,
        '--building',
        'http-home',
        '--url',
        server.url!,
        '--token',
        tokens['http-home']!,
        '--speed',
        '100000',
      ]),
      nilm([
        'replay',
        '--data',
        DATA,
        '--building',
        'mqtt-home',
        '--mqtt',
        MQTT_URL,
        '--topic',
        TOPIC,
        '--token',
        tokens['mqtt-home']!,
        '--speed',
        '100000',
      ]),
    ]);
    const sent = Date.now();
    const from = now - 15 * DAY;
    const to = Date.now() + MIN;
    // Every reading stored (MQTT is asynchronous: wait for the last ones to land).
    let readings: Record<string, number[]> = {};
    for (let i = 0; i < 120; i++) {
      readings = {};
      for (const id of ['http-home', 'mqtt-home'])
        readings[id] = (await timeseries.readReadings(id, from, to)).map((r) => r.ts);
      if (readings['http-home']!.length === readings['mqtt-home']!.length) break;
      await new Promise((ok) => setTimeout(ok, 500));
    }
    expect(readings['http-home']!.length).toBeGreaterThan(13 * 1440);
    expect(readings['mqtt-home']).toHaveLength(readings['http-home']!.length);

    // Within minutes every day is covered, for both buildings.
    const deadline = Date.now() + 6 * 60_000;
    let left = Infinity;
    while (Date.now() < deadline) {
      left =
        (await uncoveredDays('http-home', from, to)) + (await uncoveredDays('mqtt-home', from, to));
      if (left === 0) break;
      await new Promise((ok) => setTimeout(ok, 2000));
    }
    const done = Date.now();
    expect(left).toBe(0);
    const minutes = readings['http-home']!.length + readings['mqtt-home']!.length;
    console.log(
      `backfill on PostgreSQL + InfluxDB + Redis, two workers: ${minutes} minutes of history sent in ${((sent - t0) / 1000).toFixed(1)} s, all estimated ${((done - sent) / 1000).toFixed(1)} s after the last was sent (${(minutes / ((done - t0) / 1000)).toFixed(0)} minutes/s overall)`,
    );

    // Minute by minute: each minute with a reading has one estimate per appliance, once.
    for (const id of ['http-home', 'mqtt-home']) {
      const est = await timeseries.readEstimates(id, from, to);
      const keys = new Set(est.map((e) => `${e.appliance}@${e.ts}`));
      expect(keys.size).toBe(est.length);
      const perMinute = new Map<number, number>();
      for (const e of est) perMinute.set(e.ts, (perMinute.get(e.ts) ?? 0) + 1);
      const holes = readings[id]!.filter((ts) => perMinute.get(Math.floor(ts / MIN) * MIN) !== 2);
      expect(holes).toEqual([]);
    }
  });
});
