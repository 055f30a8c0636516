/**
 * What one reconcile pass costs per 1,000 buildings (issue 16.2; `nilm bench --server --only
 * reconcile`): the worker's real `reconcile()` lists the buildings with a pending estimate range
 * from the configured metadata store (PGlite, or PostgreSQL with DATABASE_URL) and enqueues each
 * in the configured queue (in-process, or BullMQ on REDIS_URL). Each size: that many buildings
 * with a pending range, then 7 passes, each on a fresh queue (so every building is enqueued, not
 * de-duplicated); median and range. The buildings and, on Redis, the passes' queues are removed
 * afterwards.
 */
import { Redis } from 'ioredis';
import { BullMqJobQueue, MemoryJobQueue, type JobQueue } from '@nilm/queue';
import type { Parts } from '../app.deps.js';
import { Metrics } from '../metrics.js';
import { Worker } from '../worker.js';
import { benchBuilding } from './ingest.paths.bench.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const PASSES = 7;

export interface ReconcileSize {
  buildings: number;
  /** Buildings the passes enqueued: these plus any other pending one in the store. */
  enqueued: number;
  /** One pass, ms: median, fastest, slowest. */
  median_ms: number;
  min_ms: number;
  max_ms: number;
}

export interface ReconcileResult {
  metadata: string;
  queue: string;
  sizes: ReconcileSize[];
}

/** Delete every Redis key of BullMQ queue `name` (prefix `nilm`), SCAN by SCAN. */
async function dropQueue(url: string, name: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `nilm:${name}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export async function benchReconcile(
  parts: Parts,
  sizes: readonly number[],
): Promise<ReconcileResult> {
  const redisUrl = parts.config.REDIS_URL;
  const stamp = Date.now().toString(36);
  const result: ReconcileResult = {
    metadata: parts.config.DATABASE_URL ? 'PostgreSQL' : 'PGlite',
    queue: redisUrl ? 'BullMQ on Redis' : 'in-process',
    sizes: [],
  };
  for (const n of sizes) {
    const ids = Array.from({ length: n }, (_, i) => `rbench-${stamp}-${n}-${i}`);
    const now = Date.now();
    const ms: number[] = [];
    let enqueued = 0;
    let made = 0;
    try {
      // Inside the try: buildings made before a failure are deleted too.
      for (const [i, id] of ids.entries()) {
        await benchBuilding(parts, id);
        made++;
        await parts.metadata.markPending(id, [now - (i % 60) * 60_000, now]);
      }
      for (let r = 0; r < PASSES; r++) {
        const name = `rbench-${stamp}-${n}-${r}`;
        const queue: JobQueue = redisUrl
          ? new BullMqJobQueue({ url: redisUrl, queueName: name, onError: () => undefined })
          : new MemoryJobQueue();
        const worker = new Worker({
          timeseries: parts.timeseries,
          metadata: parts.metadata,
          queue,
          engine: parts.engine,
          metrics: new Metrics(),
          log: quiet,
        });
        try {
          const t0 = performance.now();
          const done = await worker.reconcile();
          ms.push(performance.now() - t0);
          const mine = new Set(done);
          const missing = ids.filter((id) => !mine.has(id)).length;
          if (missing > 0)
            throw new Error(`a reconcile pass left ${missing} of ${n} pending buildings unqueued`);
          enqueued = done.length;
        } finally {
          await queue.close();
          if (redisUrl) await dropQueue(redisUrl, name);
        }
      }
    } finally {
      for (const id of ids.slice(0, made)) await parts.metadata.deleteBuilding(id);
    }
    ms.sort((a, b) => a - b);
    result.sizes.push({
      buildings: n,
      enqueued,
      median_ms: ms[Math.floor(PASSES / 2)]!,
      min_ms: ms[0]!,
      max_ms: ms[PASSES - 1]!,
    });
  }
  return result;
}

/** The lines `nilm bench --server` prints for the reconcile part. */
export function formatReconcile(r: ReconcileResult): string[] {
  const per = (ms: number, n: number) => ((ms * 1000) / n).toFixed(1);
  return [
    `reconcile pass (${r.metadata} backlog, ${r.queue} queue, ${PASSES} passes each on a fresh queue):`,
    ...r.sizes.map(
      (s) =>
        `  ${s.buildings} pending buildings (${s.enqueued} enqueued): one pass ${s.median_ms.toFixed(1)} ms median (${s.min_ms.toFixed(1)}-${s.max_ms.toFixed(1)}); per 1,000 enqueued ${per(s.median_ms, s.enqueued)} ms (${per(s.min_ms, s.enqueued)}-${per(s.max_ms, s.enqueued)})`,
    ),
  ];
}
