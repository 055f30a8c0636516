/**
 * The in-process job queue: the embedded default when no Redis is configured. Same contract
 * as the BullMQ queue (see `job.queue.ts`), but jobs live in this process only: waiting and
 * delayed jobs are dropped by `close()` or a crash, and the next ingest enqueues them again.
 */
import {
  DEFAULT_RETRY,
  QueueClosedError,
  checkRetryPolicy,
  isUnrecoverableJobError,
  retryDelayMs,
  type JobHandler,
  type JobQueue,
  type ProcessOptions,
  type QueueStats,
  type QueueTimers,
  type RetryPolicy,
} from './job.queue.js';

export interface MemoryJobQueueOptions {
  /** Retries of transient failures; defaults to `DEFAULT_RETRY`. */
  retry?: RetryPolicy;
  /** Where retry backoffs are waited out; real timers by default. */
  timers?: QueueTimers;
}

const realTimers: QueueTimers = {
  after(ms, fire) {
    const timer = setTimeout(fire, ms);
    return () => clearTimeout(timer);
  },
};

/**
 * One building's current job. At most one job per building exists at a time, plus at most one
 * follow-up requested while it runs; this mirrors BullMQ's `keepLastIfActive` de-duplication,
 * so both backends behave alike.
 */
interface BuildingJob {
  state: 'waiting' | 'active' | 'delayed';
  attempt: number;
  /** An enqueue arrived while the job ran: queue one more job when it finishes. */
  followUp: boolean;
  /** Cancels the pending retry of a delayed job. */
  cancelRetry?: () => void;
}

/** In-process `JobQueue` with de-duplication per building, retries and graceful close. */
export class MemoryJobQueue implements JobQueue {
  readonly kind = 'memory';
  private readonly retry: RetryPolicy;
  private readonly timers: QueueTimers;
  private readonly jobs = new Map<string, BuildingJob>();
  /** Buildings whose job is waiting, oldest first. */
  private readonly ready: string[] = [];
  private readonly running = new Set<Promise<void>>();
  private handler: JobHandler | undefined;
  private concurrency = 1;
  private completed = 0;
  private failed = 0;
  private closing: Promise<void> | undefined;

  constructor(opts: MemoryJobQueueOptions = {}) {
    this.retry = checkRetryPolicy(opts.retry ?? DEFAULT_RETRY);
    this.timers = opts.timers ?? realTimers;
  }

  /**
   * Queue a job for `buildingId`: a no-op while one waits or is delayed for it, one follow-up
   * (run after it) while one runs.
   */
  async enqueue(buildingId: string): Promise<void> {
    if (this.closing) throw new QueueClosedError(this.kind);
    const job = this.jobs.get(buildingId);
    if (job === undefined) {
      this.jobs.set(buildingId, { state: 'waiting', attempt: 1, followUp: false });
      this.ready.push(buildingId);
      this.dispatch();
    } else if (job.state === 'active') {
      job.followUp = true;
    }
  }

  /** `enqueue` for each building, in order. */
  async enqueueMany(buildingIds: readonly string[]): Promise<void> {
    if (this.closing) throw new QueueClosedError(this.kind);
    for (const id of buildingIds) await this.enqueue(id);
  }

  /** Start running jobs with `handler`, at most `concurrency` at a time. */
  process(handler: JobHandler, opts: ProcessOptions = {}): void {
    if (this.closing) throw new QueueClosedError(this.kind);
    if (this.handler) throw new Error('process() was already called on this queue');
    const concurrency = opts.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`concurrency must be an integer >= 1, got ${concurrency}`);
    }
    this.handler = handler;
    this.concurrency = concurrency;
    this.dispatch();
  }

  /** Counts of jobs by state; `failed` and `completed` since the queue was created. */
  async stats(): Promise<QueueStats> {
    let delayed = 0;
    for (const job of this.jobs.values()) if (job.state === 'delayed') delayed += 1;
    return {
      waiting: this.ready.length,
      active: this.running.size,
      delayed,
      failed: this.failed,
      completed: this.completed,
    };
  }

  /** Resolves while the queue is open (there is no backend to lose). */
  async ping(): Promise<void> {
    if (this.closing) throw new QueueClosedError(this.kind);
  }

  /**
   * Stop taking jobs, drop waiting and delayed ones (cancelling their timers so they do not
   * keep the process alive), and resolve once every running handler has finished.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.ready.length = 0;
    for (const [buildingId, job] of this.jobs) {
      if (job.state !== 'active') {
        job.cancelRetry?.();
        this.jobs.delete(buildingId);
      }
    }
    // Running jobs never reject (see `run`), and no new ones start once `closing` is set.
    await Promise.all(this.running);
  }

  private dispatch(): void {
    const handler = this.handler;
    if (!handler) return;
    while (!this.closing && this.running.size < this.concurrency && this.ready.length > 0) {
      const buildingId = this.ready.shift() as string;
      const job = this.jobs.get(buildingId) as BuildingJob;
      job.state = 'active';
      const run: Promise<void> = this.run(handler, buildingId, job).finally(() => {
        this.running.delete(run);
        this.dispatch();
      });
      this.running.add(run);
    }
  }

  /** Run one attempt and move the job on; never rejects. */
  private async run(handler: JobHandler, buildingId: string, job: BuildingJob): Promise<void> {
    try {
      await handler({ buildingId, attempt: job.attempt });
      this.completed += 1;
      this.finish(buildingId, job);
    } catch (error) {
      if (isUnrecoverableJobError(error) || job.attempt >= this.retry.maxAttempts) {
        this.failed += 1;
        this.finish(buildingId, job);
      } else if (this.closing) {
        // Shutting down: the retry would never run; the next ingest enqueues the building again.
        this.jobs.delete(buildingId);
      } else {
        this.scheduleRetry(buildingId, job);
      }
    }
  }

  private scheduleRetry(buildingId: string, job: BuildingJob): void {
    const delay = retryDelayMs(this.retry, job.attempt);
    job.state = 'delayed';
    job.attempt += 1;
    job.cancelRetry = this.timers.after(delay, () => {
      job.cancelRetry = undefined;
      job.state = 'waiting';
      this.ready.push(buildingId);
      this.dispatch();
    });
  }

  /** The job is done (completed or failed for good): start its follow-up, if one was asked. */
  private finish(buildingId: string, job: BuildingJob): void {
    if (job.followUp && !this.closing) {
      this.jobs.set(buildingId, { state: 'waiting', attempt: 1, followUp: false });
      this.ready.push(buildingId);
    } else {
      this.jobs.delete(buildingId);
    }
  }
}
