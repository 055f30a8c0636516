/**
 * The conformance suite of the `JobQueue` contract (`job.queue.ts`): every backend's test file
 * calls `queueConformance`, so the embedded and the Redis queue are held to the same behaviour.
 * Test-only (it imports vitest), hence not exported from the package index.
 *
 * Time: a backend that waits out retry backoffs itself (`QueueTimers`) runs on the suite's
 * manual clock, which ends a backoff only when a test says so; nothing sleeps and every wait is
 * exact. A backend whose backoffs are kept elsewhere (BullMQ: in Redis) runs on real time, where
 * the suite asserts only lower bounds and orders and waits by polling up to a generous deadline,
 * so a busy machine makes a run slower, never wrong.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  QueueClosedError,
  UnrecoverableJobError,
  retryDelayMs,
  type Job,
  type JobQueue,
  type QueueStats,
  type QueueTimers,
  type RetryPolicy,
} from './job.queue.js';

/**
 * The retry policy the suite gives most of its queues. On real time, backoffs are short enough
 * for tests and long enough (hundreds of ms) to measure.
 */
export const CONFORMANCE_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 400, maxDelayMs: 600 };

/**
 * For the test that acts on a job while it waits out a backoff: on real time, a minute is a
 * window no load closes before the test has acted.
 */
const SLOW_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 60_000, maxDelayMs: 60_000 };

/** Timers fire up to a millisecond early against `Date.now()`; allow for that in gap checks. */
const CLOCK_SLACK_MS = 10;
const WAIT = { timeout: 15_000, interval: 10 };
const IDLE = { waiting: 0, active: 0, delayed: 0 };

/** What `make` gets for one queue. */
export interface ConformanceQueueOptions {
  retry: RetryPolicy;
  /** The suite's manual clock: a backend run with `backoffs: 'injected'` must wait on it. */
  timers: QueueTimers;
}

/**
 * How a backend waits out retry backoffs: on the `timers` it is given (`injected`), or on a clock
 * the suite cannot reach (`real`).
 */
type Backoffs = 'injected' | 'real';

interface Gate {
  promise: Promise<void>;
  open: () => void;
}

function gate(): Gate {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** `QueueTimers` that fire only when a test ends them. */
class ManualTimers implements QueueTimers {
  private readonly waiting = new Map<number, { ms: number; fire: () => void }>();
  private next = 0;

  after(ms: number, fire: () => void): () => void {
    const id = this.next++;
    this.waiting.set(id, { ms, fire });
    return () => this.waiting.delete(id);
  }

  /** Lengths of the backoffs being waited out. */
  pending(): number[] {
    return [...this.waiting.values()].map((t) => t.ms);
  }

  /** Wait until the queue waits out exactly one backoff, check it is `ms` long, and end it. */
  async end(ms: number): Promise<void> {
    await vi.waitFor(() => expect(this.pending()).toEqual([ms]), WAIT);
    const [[id, timer]] = [...this.waiting];
    this.waiting.delete(id);
    timer.fire();
  }
}

async function statsReach(queue: JobQueue, expected: Partial<QueueStats>): Promise<void> {
  await vi.waitFor(async () => expect(await queue.stats()).toMatchObject(expected), WAIT);
}

/**
 * Register the conformance tests for one backend. `make` returns a new, empty queue (nothing
 * shared with other calls) with the options given; the suite closes every queue it makes.
 */
export function queueConformance(
  name: string,
  make: (opts: ConformanceQueueOptions) => Promise<JobQueue>,
  backoffs: Backoffs,
): void {
  describe(`JobQueue conformance: ${name} (${backoffs} backoffs)`, () => {
    const queues: JobQueue[] = [];
    const gates: Gate[] = [];

    async function newQueue(
      retry: RetryPolicy = CONFORMANCE_RETRY,
    ): Promise<{ queue: JobQueue; clock: ManualTimers }> {
      const clock = new ManualTimers();
      const queue = await make({ retry, timers: clock });
      queues.push(queue);
      return { queue, clock };
    }

    /**
     * Let the queue's next backoff of `ms` run out: at once on the manual clock; on real time it
     * runs out by itself while the caller polls.
     */
    async function endBackoff(clock: ManualTimers, ms: number): Promise<void> {
      if (backoffs === 'injected') await clock.end(ms);
    }

    function newGate(): Gate {
      const g = gate();
      gates.push(g);
      return g;
    }

    afterEach(async () => {
      // Release handlers a failed test left blocked, or close() would wait for them forever.
      for (const g of gates.splice(0)) g.open();
      await Promise.all(queues.splice(0).map((queue) => queue.close()));
    });

    it('runs an enqueued job once, as attempt 1', async () => {
      const { queue } = await newQueue();
      const runs: Job[] = [];
      queue.process(async (job) => {
        runs.push(job);
      });
      await queue.enqueue('b1');
      await statsReach(queue, { ...IDLE, completed: 1, failed: 0 });
      expect(runs).toEqual([{ buildingId: 'b1', attempt: 1 }]);
    });

    it('answers ping while open', async () => {
      const { queue } = await newQueue();
      await expect(queue.ping()).resolves.toBeUndefined();
    });

    it('de-duplicates enqueues of a building while its job waits', async () => {
      const { queue } = await newQueue();
      for (let i = 0; i < 5; i += 1) await queue.enqueue('b1');
      await queue.enqueue('b2');
      expect(await queue.stats()).toEqual({
        waiting: 2,
        active: 0,
        delayed: 0,
        failed: 0,
        completed: 0,
      });
      const runs: string[] = [];
      queue.process(async (job) => {
        runs.push(job.buildingId);
      });
      await statsReach(queue, { ...IDLE, completed: 2 });
      expect(runs.sort()).toEqual(['b1', 'b2']);
    });

    it('enqueueMany queues and de-duplicates like enqueue, in one call', async () => {
      const { queue } = await newQueue();
      await queue.enqueue('b1');
      await queue.enqueueMany(['b1', 'b2', 'b3', 'b2']);
      await queue.enqueueMany([]);
      expect(await queue.stats()).toEqual({
        waiting: 3,
        active: 0,
        delayed: 0,
        failed: 0,
        completed: 0,
      });
      const runs: string[] = [];
      queue.process(async (job) => {
        runs.push(job.buildingId);
      });
      await statsReach(queue, { ...IDLE, completed: 3 });
      expect(runs.sort()).toEqual(['b1', 'b2', 'b3']);
    });

    it('queues exactly one more job when enqueued while the job runs, after it', async () => {
      const { queue } = await newQueue();
      const started = newGate();
      const release = newGate();
      const runs: Job[] = [];
      let running = 0;
      let maxRunning = 0;
      queue.process(
        async (job) => {
          runs.push(job);
          running += 1;
          maxRunning = Math.max(maxRunning, running);
          if (runs.length === 1) {
            started.open();
            await release.promise;
          }
          running -= 1;
        },
        // Room for a second job, so running the follow-up alongside would be possible.
        { concurrency: 2 },
      );
      await queue.enqueue('b1');
      await started.promise;
      for (let i = 0; i < 5; i += 1) await queue.enqueue('b1');
      release.open();
      await statsReach(queue, { ...IDLE, completed: 2 });
      expect(runs).toEqual([
        { buildingId: 'b1', attempt: 1 },
        { buildingId: 'b1', attempt: 1 },
      ]);
      expect(maxRunning).toBe(1);
    });

    it('retries a transient error with growing backoff: attempts 1, 2, 3, then success', async () => {
      const { queue, clock } = await newQueue();
      const attempts: number[] = [];
      const startedAt: number[] = [];
      queue.process(async (job) => {
        attempts.push(job.attempt);
        startedAt.push(Date.now());
        if (job.attempt < 3) throw new Error('time-series store unreachable');
      });
      await queue.enqueue('b1');
      const [first, second] = [1, 2].map((retry) => retryDelayMs(CONFORMANCE_RETRY, retry));
      if (backoffs === 'injected') {
        // Each retry waits for its own backoff, of the policy's length, and for nothing else.
        await statsReach(queue, { ...IDLE, delayed: 1 });
        expect(attempts).toEqual([1]);
        await clock.end(first!);
        await statsReach(queue, { ...IDLE, delayed: 1 });
        expect(attempts).toEqual([1, 2]);
        await clock.end(second!);
      }
      await statsReach(queue, { ...IDLE, completed: 1, failed: 0 });
      expect(attempts).toEqual([1, 2, 3]);
      if (backoffs === 'real') {
        // Lower bounds only: load can lengthen a gap, never shorten it.
        const [t1, t2, t3] = startedAt as [number, number, number];
        expect(t2 - t1).toBeGreaterThanOrEqual(first! - CLOCK_SLACK_MS);
        expect(t3 - t2).toBeGreaterThanOrEqual(second! - CLOCK_SLACK_MS);
      }
    });

    it('absorbs enqueues while the job waits out a retry backoff', async () => {
      const { queue, clock } = await newQueue(SLOW_RETRY);
      const attempts: number[] = [];
      queue.process(async (job) => {
        attempts.push(job.attempt);
        if (job.attempt === 1) throw new Error('time-series store unreachable');
      });
      await queue.enqueue('b1');
      await statsReach(queue, { waiting: 0, active: 0, delayed: 1 });
      for (let i = 0; i < 3; i += 1) await queue.enqueue('b1');
      expect(await queue.stats()).toMatchObject({ waiting: 0, active: 0, delayed: 1 });
      expect(attempts).toEqual([1]);
      // On real time the retry is a minute away: what the contract says of the backoff is shown.
      if (backoffs === 'injected') {
        await clock.end(retryDelayMs(SLOW_RETRY, 1));
        await statsReach(queue, { ...IDLE, completed: 1, failed: 0 });
        expect(attempts).toEqual([1, 2]);
      }
    });

    it('fails an unrecoverable job without retry', async () => {
      const { queue } = await newQueue();
      const attempts: number[] = [];
      queue.process(async (job) => {
        attempts.push(job.attempt);
        throw new UnrecoverableJobError(`building ${job.buildingId} has no mains channel`);
      });
      await queue.enqueue('b1');
      await statsReach(queue, { ...IDLE, failed: 1, completed: 0 });
      expect(attempts).toEqual([1]);
    });

    it('fails a job for good after maxAttempts transient errors', async () => {
      const { queue, clock } = await newQueue();
      const attempts: number[] = [];
      queue.process(async (job) => {
        attempts.push(job.attempt);
        throw new Error('time-series store unreachable');
      });
      await queue.enqueue('b1');
      await endBackoff(clock, retryDelayMs(CONFORMANCE_RETRY, 1));
      await endBackoff(clock, retryDelayMs(CONFORMANCE_RETRY, 2));
      await statsReach(queue, { ...IDLE, failed: 1, completed: 0 });
      expect(attempts).toEqual([1, 2, 3]);
    });

    it('runs each of many buildings exactly once, at most 2 at a time with concurrency 2', async () => {
      const { queue } = await newQueue();
      const buildings = Array.from({ length: 12 }, (_, i) => `b${String(i).padStart(2, '0')}`);
      for (const building of buildings) await queue.enqueue(building);
      const runs: string[] = [];
      let started = 0;
      let running = 0;
      let maxRunning = 0;
      // A job that starts alone waits for a second to start beside it (the last one need not):
      // two at a time is then certain however slow the machine, instead of likely.
      let partner = newGate();
      queue.process(
        async (job) => {
          started += 1;
          running += 1;
          maxRunning = Math.max(maxRunning, running);
          if (running >= 2 || started === buildings.length) {
            partner.open();
            partner = newGate();
          } else {
            await partner.promise;
          }
          runs.push(job.buildingId);
          running -= 1;
        },
        { concurrency: 2 },
      );
      await statsReach(queue, { ...IDLE, completed: buildings.length, failed: 0 });
      expect(runs.sort()).toEqual(buildings);
      expect(maxRunning).toBe(2);
    });

    it('close waits for a running handler, then rejects enqueues', async () => {
      const { queue } = await newQueue();
      const started = newGate();
      const release = newGate();
      let finished = false;
      queue.process(async () => {
        started.open();
        await release.promise;
        finished = true;
      });
      await queue.enqueue('b1');
      await started.promise;
      // What the handler had done when close resolved, read at that moment.
      let finishedAtClose: boolean | undefined;
      const closing = queue.close().then(() => {
        finishedAtClose = finished;
      });
      await expect(queue.enqueue('b2')).rejects.toBeInstanceOf(QueueClosedError);
      // The handler is still held, so close cannot have resolved.
      expect(finishedAtClose).toBeUndefined();
      release.open();
      await closing;
      expect(finishedAtClose).toBe(true);
      await expect(queue.enqueue('b3')).rejects.toBeInstanceOf(QueueClosedError);
      await expect(queue.enqueueMany(['b3'])).rejects.toBeInstanceOf(QueueClosedError);
      await expect(queue.close()).resolves.toBeUndefined();
    });

    it('counts jobs by state in stats', async () => {
      const { queue } = await newQueue();
      for (const building of ['a', 'b', 'c']) await queue.enqueue(building);
      expect(await queue.stats()).toEqual({
        waiting: 3,
        active: 0,
        delayed: 0,
        failed: 0,
        completed: 0,
      });
      const release = newGate();
      let runs = 0;
      queue.process(async (job) => {
        runs += 1;
        if (runs === 1) await release.promise;
        if (job.buildingId === 'b') throw new UnrecoverableJobError('bad input');
      });
      await statsReach(queue, { waiting: 2, active: 1, delayed: 0 });
      release.open();
      await vi.waitFor(
        async () =>
          expect(await queue.stats()).toEqual({
            waiting: 0,
            active: 0,
            delayed: 0,
            failed: 1,
            completed: 2,
          }),
        WAIT,
      );
    });
  });
}
