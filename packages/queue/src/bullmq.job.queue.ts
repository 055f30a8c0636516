/**
 * The job queue on BullMQ and Redis: jobs survive a restart of this process and are shared by
 * any number of worker processes. Contract in `job.queue.ts`.
 *
 * De-duplication is BullMQ's `deduplication: { id: buildingId, keepLastIfActive: true }`.
 * In one Lua script per `add`, BullMQ keeps a key `<prefix>:<queue>:de:<buildingId>` naming the
 * building's current job while it is waiting, delayed or active, and deletes it when the job
 * completes or fails for good:
 * - current job waiting or delayed (a retry backoff): the add is dropped;
 * - current job active: the add is parked in `<prefix>:<queue>:dn:<buildingId>` (one slot,
 *   overwritten by later adds) and turned into a new waiting job by the same script that
 *   finishes the active one. So one more job runs, and never alongside the running one.
 *
 * Two Redis connections, with opposite failure modes on purpose: the producer (enqueue, stats,
 * ping) fails fast so an HTTP ingest answers 503 instead of hanging; the worker's waits out an
 * outage and resumes by itself when Redis is back.
 */
import { Queue, UnrecoverableError, Worker, type Job as BullJob, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import {
  DEFAULT_RETRY,
  QueueClosedError,
  QueueUnavailableError,
  checkRetryPolicy,
  isUnrecoverableJobError,
  retryDelayMs,
  type JobHandler,
  type JobQueue,
  type ProcessOptions,
  type QueueStats,
  type RetryPolicy,
} from './job.queue.js';

export interface BullMqJobQueueOptions {
  /** Redis URL, e.g. `redis://127.0.0.1:6379/0`. */
  url: string;
  /** BullMQ queue name (no `:`); defaults to `nilm-disaggregation`. */
  queueName?: string;
  /** Prefix of every Redis key of the queue; defaults to `nilm`. */
  prefix?: string;
  /** Retries of transient failures; defaults to `DEFAULT_RETRY`. */
  retry?: RetryPolicy;
  /**
   * How long a worker's claim on a job lasts without renewal (it renews at half of it). A job
   * whose worker died is handed back to the queue within 2-3 times this; default 30 s.
   */
  lockDurationMs?: number;
  /** How long `enqueue`, `stats` and `ping` wait for Redis before rejecting; default 5 s. */
  operationTimeoutMs?: number;
  /**
   * Called with errors that do not belong to one call: Redis connection loss, a lost job lock.
   * The queue keeps going (and reconnects). Defaults to `console.error`, one line per new message.
   */
  onError?: (error: Error) => void;
}

interface JobData {
  buildingId: string;
}

const JOB_NAME = 'disaggregate';
/** Not a BullMQ built-in, so BullMQ asks the worker's `backoffStrategy`: ours, `retryDelayMs`. */
const BACKOFF_TYPE = 'nilm-exponential';
/** Minute-wide points of BullMQ's completed/failed counters; only their totals are read. */
const METRICS_POINTS = 60;

/** Reconnect forever, quickly at first, at most every 2 s. */
function reconnectDelayMs(times: number): number {
  return Math.min(times * 200, 2_000);
}

/** Default `onError`: log each error, but not the same message again and again (an outage). */
function logNewErrors(): (error: Error) => void {
  let last = '';
  return (error) => {
    if (error.message === last) return;
    last = error.message;
    console.error(`[queue] ${error.message}`);
  };
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/** `JobQueue` on BullMQ: de-duplicated per building, retried with backoff, shared by workers. */
export class BullMqJobQueue implements JobQueue {
  readonly kind = 'bullmq';
  private readonly url: string;
  private readonly queueName: string;
  private readonly prefix: string;
  private readonly retry: RetryPolicy;
  private readonly lockDurationMs: number;
  private readonly operationTimeoutMs: number;
  private readonly onError: (error: Error) => void;
  private readonly producer: Redis;
  private readonly queue: Queue<JobData>;
  private worker: Worker<JobData> | undefined;
  private workerConnection: Redis | undefined;
  private closing: Promise<void> | undefined;

  constructor(opts: BullMqJobQueueOptions) {
    if (!opts.url) throw new RangeError('url must name the Redis server, e.g. redis://host:6379');
    this.url = opts.url;
    this.queueName = opts.queueName ?? 'nilm-disaggregation';
    if (this.queueName.includes(':')) {
      throw new RangeError(`queueName must not contain ':', got ${this.queueName}`);
    }
    this.prefix = opts.prefix ?? 'nilm';
    this.retry = checkRetryPolicy(opts.retry ?? DEFAULT_RETRY);
    this.lockDurationMs = opts.lockDurationMs ?? 30_000;
    this.operationTimeoutMs = opts.operationTimeoutMs ?? 5_000;
    for (const [name, value] of [
      ['lockDurationMs', this.lockDurationMs],
      ['operationTimeoutMs', this.operationTimeoutMs],
    ] as const) {
      if (!(value > 0)) throw new RangeError(`${name} must be > 0, got ${value}`);
    }
    this.onError = opts.onError ?? logNewErrors();

    this.producer = new Redis(this.url, {
      // Fail fast while disconnected instead of buffering commands until Redis returns: the
      // caller is an HTTP request that must answer (503) in bounded time.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: this.operationTimeoutMs,
      retryStrategy: reconnectDelayMs,
    });
    this.ignoreClientErrors(this.producer);
    this.queue = new Queue<JobData>(this.queueName, {
      connection: this.producer,
      prefix: this.prefix,
    });
    this.queue.on('error', (error) => this.onError(error));
  }

  /**
   * Queue a job for `buildingId`: a no-op while one waits or is delayed for it, one follow-up
   * (run after it) while one runs.
   */
  async enqueue(buildingId: string): Promise<void> {
    if (this.closing) throw new QueueClosedError(this.kind);
    await this.withinDeadline(
      'enqueue',
      this.queue.add(JOB_NAME, { buildingId }, this.jobOptions(buildingId)),
    );
  }

  /** `enqueue` for each building in one pipelined round trip (BullMQ's addBulk). */
  async enqueueMany(buildingIds: readonly string[]): Promise<void> {
    if (this.closing) throw new QueueClosedError(this.kind);
    if (buildingIds.length === 0) return;
    await this.withinDeadline(
      'enqueue',
      this.queue.addBulk(
        buildingIds.map((buildingId) => ({
          name: JOB_NAME,
          data: { buildingId },
          opts: this.jobOptions(buildingId),
        })),
      ),
    );
  }

  private jobOptions(buildingId: string): JobsOptions {
    return {
      deduplication: { id: buildingId, keepLastIfActive: true },
      attempts: this.retry.maxAttempts,
      backoff: { type: BACKOFF_TYPE },
      // Totals come from BullMQ's metrics counters, so finished jobs need not be kept for
      // `stats()`; a few are kept to look at, failed ones longer.
      removeOnComplete: { count: 100 },
      removeOnFail: { count: 1_000 },
    };
  }

  /**
   * Start a BullMQ worker in this process that runs `handler`, at most `concurrency` jobs at a
   * time. It survives Redis outages: it waits, reconnects and resumes.
   */
  process(handler: JobHandler, opts: ProcessOptions = {}): void {
    if (this.closing) throw new QueueClosedError(this.kind);
    if (this.worker) throw new Error('process() was already called on this queue');
    const concurrency = opts.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`concurrency must be an integer >= 1, got ${concurrency}`);
    }
    // BullMQ requires `maxRetriesPerRequest: null` here: the worker's commands wait out an
    // outage rather than fail, and its blocking fetch must not be cut short.
    this.workerConnection = new Redis(this.url, {
      maxRetriesPerRequest: null,
      retryStrategy: reconnectDelayMs,
    });
    this.ignoreClientErrors(this.workerConnection);
    this.worker = new Worker<JobData>(this.queueName, (job) => this.runJob(handler, job), {
      connection: this.workerConnection,
      prefix: this.prefix,
      concurrency,
      lockDuration: this.lockDurationMs,
      stalledInterval: this.lockDurationMs,
      // A job whose worker was killed is "stalled" and handed back to the queue; BullMQ's
      // default (1) would fail it for good after a second crash or deploy. Allow as many
      // hand-backs as attempts: at-least-once, yet a job that kills every worker still ends.
      maxStalledCount: this.retry.maxAttempts,
      metrics: { maxDataPoints: METRICS_POINTS },
      settings: {
        backoffStrategy: (attemptsMade: number) => retryDelayMs(this.retry, attemptsMade),
      },
    });
    this.worker.on('error', (error) => this.onError(error));
  }

  /** Counts of jobs by state; `failed` and `completed` are totals kept in Redis. */
  async stats(): Promise<QueueStats> {
    const [counts, completed, failed] = await this.withinDeadline(
      'stats',
      Promise.all([
        this.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed'),
        this.queue.getMetrics('completed', 0, 0),
        this.queue.getMetrics('failed', 0, 0),
      ]),
    );
    const count = (state: string): number => counts[state] ?? 0;
    return {
      waiting: count('waiting') + count('prioritized'),
      active: count('active'),
      delayed: count('delayed'),
      failed: failed.meta.count,
      completed: completed.meta.count,
    };
  }

  /** Resolve when Redis answers; reject with `QueueUnavailableError` when it does not. */
  async ping(): Promise<void> {
    if (this.closing) throw new QueueClosedError(this.kind);
    await this.withinDeadline(
      'ping',
      this.queue.waitUntilReady().then(() => this.producer.ping()),
    );
  }

  /**
   * Stop fetching jobs, wait for running handlers to finish and record their outcome, then
   * close the Redis connections. Waiting jobs stay in Redis for the next worker.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    try {
      await this.worker?.close();
      await this.queue.close();
    } finally {
      // BullMQ leaves connections it was given open: they are ours to end.
      this.workerConnection?.disconnect();
      this.producer.disconnect();
    }
  }

  private async runJob(handler: JobHandler, job: BullJob<JobData>): Promise<void> {
    try {
      await handler({ buildingId: job.data.buildingId, attempt: job.attemptsMade + 1 });
    } catch (error) {
      // BullMQ skips the remaining attempts only for its own UnrecoverableError.
      if (isUnrecoverableJobError(error)) throw new UnrecoverableError(error.message);
      throw toError(error);
    }
  }

  /**
   * Settle with `operation`, or reject with `QueueUnavailableError` when it fails or outlasts
   * `operationTimeoutMs` (e.g. Redis unreachable since start, when BullMQ waits for it).
   */
  private async withinDeadline<T>(what: string, operation: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new QueueUnavailableError(
              `Redis at ${this.redisHost()} did not answer ${what} within ${this.operationTimeoutMs} ms`,
            ),
          ),
        this.operationTimeoutMs,
      );
    });
    try {
      return await Promise.race([operation, deadline]);
    } catch (error) {
      if (error instanceof QueueUnavailableError) throw error;
      throw new QueueUnavailableError(
        `Redis at ${this.redisHost()} failed ${what}: ${toError(error).message}`,
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /** Host and port of the URL, without credentials, for error messages. */
  private redisHost(): string {
    try {
      return new URL(this.url).host;
    } catch {
      return 'the configured URL';
    }
  }

  /**
   * BullMQ forwards a client's errors to the Queue/Worker `error` event (reported above) but
   * unhooks on close; this keeps ioredis from printing "Unhandled error event" after that.
   */
  private ignoreClientErrors(client: Redis): void {
    client.on('error', () => undefined);
  }
}
