/**
 * The disaggregation job queue contract. Implementations: in-process (embedded default) and
 * BullMQ on Redis. Every implementation passes `queue.conformance.ts`.
 *
 * Contract:
 * - `enqueue(buildingId)` is de-duplicated: while a job for the building is waiting (or
 *   delayed for a retry), another enqueue for it is a no-op. A job that is already running
 *   does not absorb new enqueues: one more job is queued, so new data is never left unseen.
 *   That follow-up job starts only after the running one finishes: jobs of one building never
 *   run concurrently (two runs would race to write the same results), barring BullMQ handing
 *   back a stalled job whose first worker is alive but lost its lock.
 * - At-least-once: a job is done only when the handler resolves. A handler that throws
 *   `UnrecoverableJobError` fails the job without retry (bad input); any other error retries
 *   with exponential backoff (transient faults: a store down) up to `maxAttempts`.
 * - `close()` stops taking jobs and waits for running handlers to finish (graceful shutdown);
 *   with BullMQ an interrupted job is handed back to the queue and taken up by another worker.
 *   After `close()` has been called, `enqueue` rejects with `QueueClosedError`.
 * - A backend that cannot be reached makes `enqueue`, `stats` and `ping` reject promptly with
 *   `QueueUnavailableError` (an ingest answers 503 and the client retries) instead of hanging.
 */

export interface Job {
  buildingId: string;
  /** 1 for the first try. */
  attempt: number;
}

export type JobHandler = (job: Job) => Promise<void>;

export interface ProcessOptions {
  concurrency?: number;
}

export interface QueueStats {
  /**
   * Jobs ready to run. A follow-up job held back behind a running job of the same building
   * is not counted until that job finishes.
   */
  waiting: number;
  active: number;
  /** Jobs waiting out a retry backoff. */
  delayed: number;
  /** Jobs failed for good (unrecoverable, or out of attempts) since the queue was created. */
  failed: number;
  /** Jobs completed since the queue was created. */
  completed: number;
}

export interface JobQueue {
  readonly kind: string;
  enqueue(buildingId: string): Promise<void>;
  /**
   * `enqueue` for each building, in one round trip where the backend allows (ingest gathers
   * the enqueues of concurrent calls: one per reading was a Redis call per reading).
   */
  enqueueMany(buildingIds: readonly string[]): Promise<void>;
  /** Start processing jobs with `handler` (one processor per queue instance). */
  process(handler: JobHandler, opts?: ProcessOptions): void;
  stats(): Promise<QueueStats>;
  /** Resolve when the queue's backend answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Thrown by a handler for input that will never succeed: the job fails without retry. */
export class UnrecoverableJobError extends Error {
  /** The error catalogue's code (@nilm/contracts). */
  readonly code = 'JOB_UNRECOVERABLE';
  constructor(message: string) {
    super(message);
    this.name = 'UnrecoverableJobError';
  }
}

/** True for `UnrecoverableJobError`, also when thrown from another copy of this module. */
export function isUnrecoverableJobError(error: unknown): error is UnrecoverableJobError {
  return (
    error instanceof UnrecoverableJobError ||
    (error instanceof Error && error.name === 'UnrecoverableJobError')
  );
}

export interface RetryPolicy {
  maxAttempts: number;
  /** Delay before retry n (1-based) is min(maxDelayMs, baseDelayMs * 2^(n-1)). */
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Delay in ms before retry `retry` (1-based: the first retry follows attempt 1). */
export function retryDelayMs(policy: RetryPolicy, retry: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
}

/** Return `policy` if it is usable, else throw a `RangeError` naming the bad field. */
export function checkRetryPolicy(policy: RetryPolicy): RetryPolicy {
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new RangeError(`retry.maxAttempts must be an integer >= 1, got ${policy.maxAttempts}`);
  }
  if (!(policy.baseDelayMs >= 0) || !(policy.maxDelayMs >= policy.baseDelayMs)) {
    throw new RangeError(
      `retry delays must satisfy 0 <= baseDelayMs <= maxDelayMs, got ${policy.baseDelayMs} and ${policy.maxDelayMs}`,
    );
  }
  return policy;
}

/**
 * Where a queue waits out its retry backoffs, for the backends that keep time themselves (the
 * in-process queue; BullMQ's delays live in Redis). Real timers by default; a test passes a
 * manual clock to end a backoff when it says so, instead of sleeping through it.
 */
export interface QueueTimers {
  /** Call `fire` once `ms` have passed, unless the returned `cancel` is called first. */
  after(ms: number, fire: () => void): () => void;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 50, baseDelayMs: 500, maxDelayMs: 30_000 };

/** Thrown by `enqueue` (and `process`) once `close()` has been called. */
export class QueueClosedError extends Error {
  readonly code = 'QUEUE_CLOSED';
  constructor(kind: string) {
    super(`The ${kind} job queue is closed (shut down): it takes no new jobs.`);
    this.name = 'QueueClosedError';
  }
}

/**
 * The queue's backend did not answer in time (Redis down or unreachable). The job may or may
 * not have been queued: the caller answers 503 and the client retries, and a duplicate is
 * absorbed by de-duplication.
 */
export class QueueUnavailableError extends Error {
  readonly code = 'QUEUE_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QueueUnavailableError';
  }
}
