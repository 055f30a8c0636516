/**
 * Server benchmarks (numbers, not assertions; recorded in docs/benchmarks.md):
 * - ingest: HTTP POST /api/v1/ingest with batches of 5000 readings, next to the time-series
 *   store's own write rate measured in the same run;
 * - reads: p50/p99 latency of a one-day readings query at 50 concurrent clients;
 * - worker: the time of one incremental disaggregation run, and so how many homes sending a
 *   reading every 10 s one worker process keeps up with;
 * - backfill: 14 days of one-minute history imported into a home whose live data already flows,
 *   estimated from the backlog to the end, as minutes per second, next to the engine's own rate
 *   on the same 14 days in one call (the ratio is the worker's overhead: chunking, context
 *   re-reads, the widened stretches, store reads and writes).
 * Runs on whatever the environment configures (embedded defaults unless DATABASE_URL,
 * INFLUX_URL, REDIS_URL are set), in a throw-away data directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../app.js';
import { loadConfig } from '../config.js';
import { createParts } from '../deps.factory.js';
import { DisaggregationService } from '../services/disaggregation.service.js';
import { benchIngestPaths, type IngestPathRates } from './ingest.paths.bench.js';

export interface ServerBenchResult {
  stores: { timeseries: string; metadata: string; queue: string };
  ingest: {
    batch: number;
    http_readings_per_s: number;
    store_readings_per_s: number;
  } & IngestPathRates;
  query: {
    clients: number;
    requests: number;
    p50_ms: number;
    p99_ms: number;
    points_per_response: number;
    single_client_p50_ms: number;
  };
  worker: { model: string; run_ms_mean: number; homes_at_10s: number };
  backfill: {
    minutes: number;
    runs: number;
    seconds: number;
    minutes_per_s: number;
    engine_minutes_per_s: number;
    ratio_to_engine: number;
  };
}

const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

/** Run all three benchmarks for about `seconds` each. */
export async function benchServer(
  env: NodeJS.ProcessEnv,
  repoRoot: string,
  seconds = 5,
): Promise<ServerBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'nilm-bench-'));
  const config = loadConfig(
    {
      ...env,
      NILM_DATA_DIR: dir,
      LOG_LEVEL: 'silent',
      DEMO: 'false',
      RATE_LIMIT_PER_USER: '1000000',
      MAX_BODY_BYTES: String(8 * 1024 * 1024),
    },
    repoRoot,
  );
  const parts = await createParts(config);
  const app = await build(parts);
  /** Store readings as ingest does: write them, then mark them for estimating. */
  const store = async (id: string, readings: Array<{ ts: number; powerW: number }>) => {
    await parts.timeseries.writeReadings(id, readings);
    await parts.metadata.markPending(
      id,
      readings.map((r) => r.ts),
    );
  };
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    await parts.metadata.upsertUser({
      id: 'bench',
      email: 'bench@local',
      role: 'admin',
      passwordHash: null,
    });
    const token = (await parts.issuer!.sign({ sub: 'bench', role: 'admin' })).token;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    for (const id of ['bench-raw', 'bench-http', 'bench-query'])
      await parts.metadata.createBuilding({
        id,
        name: id,
        timezone: 'UTC',
        isDemo: false,
        modelRef: null,
      });
    const B = 5000;
    const t0 = Date.UTC(2024, 0, 1);
    const batch = (k: number): Array<{ ts: number; powerW: number }> =>
      Array.from({ length: B }, (_, i) => ({
        ts: t0 + (k * B + i) * 1000,
        powerW: 200 + ((k * B + i) % 300),
      }));

    // Raw store writes.
    let k = 0;
    let start = performance.now();
    while (performance.now() - start < seconds * 1000)
      await parts.timeseries.writeReadings('bench-raw', batch(k++));
    const storeRate = (k * B) / ((performance.now() - start) / 1000);

    // HTTP ingest (includes validation, auth, JSON parsing and the enqueue).
    k = 0;
    start = performance.now();
    while (performance.now() - start < seconds * 1000) {
      const body = JSON.stringify({
        building_id: 'bench-http',
        readings: batch(k++).map((r) => ({ ts: r.ts, power_w: r.powerW })),
      });
      const r = await fetch(`${url}/api/v1/ingest`, { method: 'POST', headers, body });
      if (r.status !== 202) throw new Error(`ingest answered ${r.status}: ${await r.text()}`);
    }
    const httpRate = (k * B) / ((performance.now() - start) / 1000);

    // The other ways in: line protocol, MQTT embedded, MQTT external (with MQTT_URL).
    const paths = await benchIngestPaths(parts, url, {
      total: Math.max(20_000, Math.min(200_000, Math.round(httpRate * seconds))),
      mqttUrl: config.MQTT_URL,
    });

    // One day at one reading per 10 s, with estimates for every minute, then 50 clients.
    const day = Array.from({ length: 8640 }, (_, i) => ({
      ts: t0 + i * 10_000,
      powerW: 150 + (i % 500),
    }));
    await parts.timeseries.writeReadings('bench-query', day);
    const apps = ['kettle', 'microwave', 'dishwasher', 'washing_machine'];
    await parts.timeseries.writeEstimates(
      'bench-query',
      'bench@1',
      Array.from({ length: 1440 * 4 }, (_, i) => ({
        ts: t0 + Math.floor(i / 4) * 60_000,
        appliance: apps[i % 4]!,
        powerW: i % 50,
        onProb: 0.1,
      })),
    );
    const queryUrl = `${url}/api/v1/buildings/bench-query/readings?start=${t0}&end=${t0 + 86_400_000}&resolution=1m`;
    const single: number[] = [];
    for (let i = 0; i < 20; i++) {
      const s = performance.now();
      await (await fetch(queryUrl, { headers })).json();
      single.push(performance.now() - s);
    }
    single.sort((a, b) => a - b);
    const latencies: number[] = [];
    let points = 0;
    const deadline = performance.now() + seconds * 1000;
    const client = async (): Promise<void> => {
      while (performance.now() < deadline) {
        const s = performance.now();
        const r = await fetch(
          `${url}/api/v1/buildings/bench-query/readings?start=${t0}&end=${t0 + 86_400_000}&resolution=1m`,
          { headers },
        );
        const body = (await r.json()) as { points: unknown[] };
        latencies.push(performance.now() - s);
        points = body.points.length;
      }
    };
    await Promise.all(Array.from({ length: 50 }, client));
    latencies.sort((a, b) => a - b);

    // Worker: homes with a day of history and estimates; time incremental runs after new data.
    const service = new DisaggregationService({
      timeseries: parts.timeseries,
      metadata: parts.metadata,
      engine: parts.engine,
    });
    const model = await parts.engine.model();
    const homes = 10;
    const now0 = Math.floor(Date.now() / 60_000) * 60_000 - 86_400_000;
    for (let h = 0; h < homes; h++) {
      const id = `bench-home-${h}`;
      await parts.metadata.createBuilding({
        id,
        name: id,
        timezone: 'UTC',
        isDemo: false,
        modelRef: null,
      });
      await store(
        id,
        Array.from({ length: 8640 }, (_, i) => ({
          ts: now0 + i * 10_000,
          powerW: 150 + ((i * (h + 3)) % 700),
        })),
      );
      while ((await service.run(id)).more);
    }
    const runs: number[] = [];
    for (let step = 1; step <= 3; step++) {
      for (let h = 0; h < homes; h++) {
        const id = `bench-home-${h}`;
        const from = now0 + 86_400_000 + (step - 1) * 60_000;
        await store(
          id,
          Array.from({ length: 6 }, (_, i) => ({ ts: from + i * 10_000, powerW: 300 + i })),
        );
        const s = performance.now();
        await service.run(id);
        runs.push(performance.now() - s);
      }
    }
    const runMs = runs.reduce((a, b) => a + b, 0) / runs.length;

    // Backfill: live minutes first, then 14 days of history ending at them.
    const bf = 'bench-backfill';
    await parts.metadata.createBuilding({
      id: bf,
      name: bf,
      timezone: 'UTC',
      isDemo: false,
      modelRef: null,
    });
    const bfEnd = Math.floor(Date.now() / 60_000) * 60_000;
    await store(bf, [
      { ts: bfEnd - 60_000, powerW: 200 },
      { ts: bfEnd, powerW: 210 },
    ]);
    while ((await service.run(bf)).more);
    const minutes = 14 * 1440;
    const history = Array.from({ length: minutes }, (_, i) => ({
      ts: bfEnd - (minutes - 1 - i) * 60_000,
      powerW: 150 + ((i * 7) % 900) + (i % 1440 === 420 ? 2800 : 0),
    }));
    for (let i = 0; i < history.length; i += 5000) await store(bf, history.slice(i, i + 5000));
    let bfRuns = 0;
    const bfStart = performance.now();
    for (;;) {
      bfRuns++;
      if (!(await service.run(bf)).more) break;
    }
    const bfSeconds = (performance.now() - bfStart) / 1000;
    const mains = Float32Array.from(history, (r) => r.powerW);
    const e0 = performance.now();
    await model.disaggregate({
      startMs: history[0]!.ts,
      periodS: model.periodS,
      mains,
      appliances: {},
      source: 'bench',
    });
    const engineSeconds = (performance.now() - e0) / 1000;
    return {
      stores: {
        timeseries: parts.timeseries.kind,
        metadata: parts.metadata.kind,
        queue: parts.queue.kind,
      },
      ingest: {
        batch: B,
        http_readings_per_s: httpRate,
        store_readings_per_s: storeRate,
        ...paths,
      },
      query: {
        clients: 50,
        requests: latencies.length,
        p50_ms: pct(latencies, 0.5),
        p99_ms: pct(latencies, 0.99),
        points_per_response: points,
        single_client_p50_ms: pct(single, 0.5),
      },
      // Each home needs one run per minute (its new complete minute); runs are sequential per core.
      worker: {
        model: `${model.card.id}@${model.card.version}`,
        run_ms_mean: runMs,
        homes_at_10s: Math.floor((60_000 / runMs) * config.WORKER_CONCURRENCY),
      },
      backfill: {
        minutes,
        runs: bfRuns,
        seconds: bfSeconds,
        minutes_per_s: minutes / bfSeconds,
        engine_minutes_per_s: minutes / engineSeconds,
        ratio_to_engine: engineSeconds / bfSeconds,
      },
    };
  } finally {
    await app.close();
    await parts.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
