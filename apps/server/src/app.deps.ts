/**
 * The app's dependencies: what the HTTP app needs (`AppDeps`, which a test may build from real
 * embedded parts), and `createParts`, which opens them from the configuration: embedded defaults
 * (DuckDB, PGlite, the in-process queue, local accounts) unless DATABASE_URL, REDIS_URL,
 * INFLUX_URL or external auth switch on the production services. `server.ts` calls it once.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { InferenceEngine } from '@nilm/ml';
import { BullMqJobQueue, MemoryJobQueue, type JobQueue } from '@nilm/queue';
import {
  createPgliteMetadataStore,
  createPostgresMetadataStore,
  DuckDbTimeSeriesStore,
  InfluxTimeSeriesStore,
  type MetadataStore,
  type TimeSeriesStore,
  WatermarkedTimeSeriesStore,
} from '@nilm/stores';
import {
  createTokenVerifier,
  defaultLocalKeyFile,
  LocalIssuer,
  type TokenVerifier,
} from './auth/index.js';
import type { ServerConfig } from './config.js';
import { Metrics } from './metrics.js';
import { pinnedModelsOf } from './finetune/pinned.models.js';
import { LatestReadings } from './services/latest.readings.js';
import { intraOpThreads } from './cpu.threads.js';

/** What the HTTP app needs: built once by `createParts` (or by a test with real embedded parts). */
export interface AppDeps {
  config: ServerConfig;
  timeseries: TimeSeriesStore;
  metadata: MetadataStore;
  queue: JobQueue;
  engine: InferenceEngine;
  verifier: TokenVerifier;
  /** Present when the server signs its own tokens (no external auth configured). */
  issuer?: LocalIssuer;
  metrics: Metrics;
  /** The newest reading per building this process stored, for live streams that open. */
  latestReadings?: LatestReadings;
  /** ioredis client for shared rate-limit counters, when REDIS_URL is set. */
  rateLimitRedis?: unknown;
  now?: () => number;
  /** Told when a building's sources were added, changed or removed (the source runner reloads). */
  sourcesChanged?: () => void;
}

/** The app's dependencies, with `close()` for all of them. */
export interface Parts extends AppDeps {
  close(): Promise<void>;
}

/**
 * Open every store, queue and the model engine the configuration names. `log` hears what the
 * stores do once at opening (building the rollups of data stored before them, for example).
 */
export async function createParts(
  config: ServerConfig,
  log?: (message: string) => void,
): Promise<Parts> {
  mkdirSync(config.dataDir, { recursive: true });
  const closers: Array<() => Promise<void>> = [];
  const metadata: MetadataStore = config.DATABASE_URL
    ? createPostgresMetadataStore({ connectionString: config.DATABASE_URL })
    : await createPgliteMetadataStore({ dataDir: join(config.dataDir, 'metadata') });
  closers.push(() => metadata.close());
  await metadata.migrate();
  const points: TimeSeriesStore = config.INFLUX_URL
    ? await InfluxTimeSeriesStore.open({
        url: config.INFLUX_URL,
        database: config.INFLUX_DATABASE,
        username: config.INFLUX_USERNAME,
        password: config.INFLUX_PASSWORD,
        token: config.INFLUX_TOKEN,
        // InfluxDB 3 has no CREATE DATABASE over InfluxQL; 1.x needs it once.
        createDatabase: !config.INFLUX_TOKEN,
        log,
      })
    : await DuckDbTimeSeriesStore.open({ path: join(config.dataDir, 'timeseries.duckdb'), log });
  // Every writer and reader of this process goes through it: newest/oldest reading and estimate
  // times come from the metadata store's per-building watermarks, not min/max scans (issue 16).
  const timeseries: TimeSeriesStore = new WatermarkedTimeSeriesStore(points, metadata);
  closers.push(() => timeseries.close());
  const engine = await InferenceEngine.open(config.modelsDir, {
    threads: intraOpThreads(config.NILM_ROLE, config.WORKER_CONCURRENCY),
  });
  // A building's own (fine-tuned) models are in the metadata store, for every process.
  engine.usePinnedModels(pinnedModelsOf(metadata));
  closers.push(() => engine.close());
  const queue: JobQueue = config.REDIS_URL
    ? new BullMqJobQueue({ url: config.REDIS_URL, lockDurationMs: config.QUEUE_LOCK_MS })
    : new MemoryJobQueue();
  // Closed first (closers run in reverse): it waits for running jobs, which still need the model
  // and the stores; closing the model under a running job fails it ("Session already disposed").
  closers.push(() => queue.close());
  let issuer: LocalIssuer | undefined;
  if (!config.externalAuth)
    issuer = await LocalIssuer.create({ keyFile: defaultLocalKeyFile(config.dataDir) });
  const verifier = createTokenVerifier(
    {
      jwksUrl: config.AUTH_JWKS_URL,
      hs256Secret: config.AUTH_HS256_SECRET,
      issuer: config.AUTH_ISSUER,
      audience: config.AUTH_AUDIENCE,
      supabaseUrl: config.SUPABASE_URL,
    },
    { local: issuer?.trustedKey() },
  );
  let rateLimitRedis: Redis | undefined;
  if (config.REDIS_URL) {
    rateLimitRedis = new Redis(config.REDIS_URL, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: false,
    });
    rateLimitRedis.on('error', () => undefined);
    closers.push(async () => void rateLimitRedis!.disconnect());
  }
  return {
    config,
    metadata,
    timeseries,
    queue,
    engine,
    verifier,
    issuer,
    metrics: new Metrics(),
    latestReadings: new LatestReadings(),
    rateLimitRedis,
    async close() {
      // Queue first: it waits for running jobs, which still need the model and the stores.
      for (const c of closers.reverse()) await c().catch(() => undefined);
    },
  };
}
