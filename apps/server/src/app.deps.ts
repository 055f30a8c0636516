/** What the HTTP app needs, built once by `server.ts` (or by a test with real embedded parts). */
import type { InferenceEngine } from '@nilm/ml';
import type { JobQueue } from '@nilm/queue';
import type { MetadataStore, TimeSeriesStore } from '@nilm/stores';
import type { LocalIssuer, TokenVerifier } from './auth/index.js';
import type { ServerConfig } from './config.js';
import type { Metrics } from './metrics.js';
import type { LatestReadings } from './services/latest.readings.js';

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
