/**
 * The conformance suite of the `JobQueue` contract (`job.queue.ts`): every backend's test file
 * calls `queueConformance`, so the embedded and the Redis queue are held to the same behaviour.
 * Test-only (it imports vitest), hence not exported from the package index.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  QueueClosedError,
  UnrecoverableJobError,
  retryDelayMs,
  type Job,
  type JobQueue,
  type QueueStats,
  type RetryPolicy,
} from './job.queue.js';

/**
 * The retry policy `make` must give its queues. Backoffs are short enough for tests and long
 * enough (hundreds of ms) to observe and act on a job while it waits out a retry.
 */
export const CONFORMANCE_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 400, maxDelayMs: 600 };

/** Timers fire up to a millisecond early against `Date.now()`; allow for that in gap checks. */
const CLOCK_SLACK_MS = 10;
const WAIT = { timeout: 15_000, interval: 10 };
const IDLE = { waiting: 0, active: 0, delayed: 0 };

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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function statsReach(queue: JobQueue, expected: Partial<QueueStats>): Promise<void> {
  await vi.waitFor(async () => expect(await queue.stats()).toMatchObject(expected), WAIT);
}

/**
 * Register the conformance tests for one backend. `make` returns a new, empty queue (nothing
 * shared with other calls) using `CONFORMANCE_RETRY`; the suite closes every queue it makes.
 */
export function queueConformance(name: string, make: () => Promise<JobQueue>): void {
  describe(`JobQueue conformance: ${name}`, () => {
    const queues: JobQueue[] = [];
    const gates: Gate[] = [];

    async function newQueue(): Promise<JobQueue> {
      const queue = await make();
      queues.push(queue);
      return queue;
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
      const queue = await newQueue();
      const runs: Job[] = [];
      queue.process(async (job) => {
        runs.push(job);
      });
      await queue.enqueue('b1');
      await statsReach(queue, { ...IDLE, completed: 1, failed: 0 });
      expect(runs).toEqual([{ buildingId: 'b1', attempt: 1 }]);
    });

    it('answers ping while open', async () => {
      const queue = await newQueue();
      await expect(queue.ping()).resolves.toBeUndefined();
    });

    it('de-duplicates enqueues of a building while its job waits', async () => {
      const queue = await newQueue();
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

    it('queues exactly one more job when enqueued while the job runs, after it', async () => {
      const queue = await newQueue();
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
      const queue = await newQueue();
      const attempts: number[] = [];
      const startedAt: number[] = [];
      queue.process(async (job) => {
        attempts.push(job.attempt);
        startedAt.push(Date.now());
        if (job.attempt < 3) throw new Error('time-series store unreachable');
      });
      await queue.enqueue('b1');
      await statsReach(queue, { ...IDLE, completed: 1, failed: 0 });
      expect(attempts).toEqual([1, 2, 3]);
      const [t1, t2, t3] = startedAt as [number, number, number];
      expect(t2 - t1).toBeGreaterThanOrEqual(retryDelayMs(CONFORMANCE_RETRY, 1) - CLOCK_SLACK_MS);
      expect(t3 - t2).toBeGreaterThanOrEqual(retryDelayMs(CONFORMANCE_RETRY, 2) - CLOCK_SLACK_MS);
    });

    it('absorbs enqueues while the job waits out a retry backoff', async () => {
      const queue = await newQueue();
      const attempts: number[] = [];
      queue.process(async (job) => {
        attempts.push(job.attempt);
        if (job.attempt === 1) throw new Error('time-series store unreachable');
      });
      await queue.enqueue('b1');
      await statsReach(queue, { waiting: 0, active: 0, delayed: 1 });
      for (let i = 0; i < 3; i += 1) await queue.enqueue('b1');
      expect(await queue.stats()).toMatchObject({ waiting: 0, active: 0, delayed: 1 });
      await statsReach(queue, { ...IDLE, completed: 1, failed: 0 });
      expect(attempts).toEqual([1, 2]);
    });

    it('fails an unrecoverable job without retry', async () => {
      const queue = await newQueue();
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
      const queue = await newQueue();
      const attempts: number[] = [];
      queue.process(async (job) => {
        attempts.push(job.attempt);
        throw new Error('time-series store unreachable');
      });
      await queue.enqueue('b1');
      await statsReach(queue, { ...IDLE, failed: 1, completed: 0 });
      expect(attempts).toEqual([1, 2, 3]);
    });

    it('runs each of many buildings exactly once, at most 2 at a time with concurrency 2', async () => {
      const queue = await newQueue();
      const buildings = Array.from({ length: 12 }, (_, i) => `b${String(i).padStart(2, '0')}`);
      for (const building of buildings) await queue.enqueue(building);
      const runs: string[] = [];
      let running = 0;
      let maxRunning = 0;
      queue.process(
        async (job) => {
          running += 1;
          maxRunning = Math.max(maxRunning, running);
          await sleep(30);
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
      const queue = await newQueue();
      const started = newGate();
      let finished = false;
      queue.process(async () => {
        started.open();
        await sleep(300);
        finished = true;
      });
      await queue.enqueue('b1');
      await started.promise;
      await queue.close();
      expect(finished).toBe(true);
      await expect(queue.enqueue('b2')).rejects.toBeInstanceOf(QueueClosedError);
      await expect(queue.close()).resolves.toBeUndefined();
    });

    it('counts jobs by state in stats', async () => {
      const queue = await newQueue();
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
