// Proves the in-process queue meets the JobQueue contract, computes retry delays as the policy
// says, and leaves no timer behind after close.
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_RETRY, checkRetryPolicy, retryDelayMs } from './job.queue.js';
import { MemoryJobQueue } from './memory.job.queue.js';
import { queueConformance } from './queue.conformance.js';

queueConformance('memory', async (opts) => new MemoryJobQueue(opts), 'injected');

describe('retryDelayMs', () => {
  it('doubles from baseDelayMs and stops at maxDelayMs', () => {
    const policy = { maxAttempts: 10, baseDelayMs: 500, maxDelayMs: 30_000 };
    expect([1, 2, 3, 4, 6, 7, 8].map((n) => retryDelayMs(policy, n))).toEqual([
      500, 1_000, 2_000, 4_000, 16_000, 30_000, 30_000,
    ]);
  });
});

describe('checkRetryPolicy', () => {
  it('accepts the default and rejects unusable policies, naming the field', () => {
    expect(checkRetryPolicy(DEFAULT_RETRY)).toBe(DEFAULT_RETRY);
    expect(() => checkRetryPolicy({ ...DEFAULT_RETRY, maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => checkRetryPolicy({ ...DEFAULT_RETRY, maxDelayMs: 1 })).toThrow(/maxDelayMs/);
  });
});

describe('MemoryJobQueue', () => {
  function timers(): number {
    return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
  }

  it('cancels the timer of a delayed retry on close, so the process can exit', async () => {
    const queue = new MemoryJobQueue({
      retry: { maxAttempts: 3, baseDelayMs: 60_000, maxDelayMs: 60_000 },
    });
    const before = timers();
    queue.process(async () => {
      throw new Error('time-series store unreachable');
    });
    await queue.enqueue('b1');
    await vi.waitFor(async () => expect(await queue.stats()).toMatchObject({ delayed: 1 }));
    expect(timers()).toBe(before + 1);
    await queue.close();
    expect(timers()).toBe(before);
    expect(await queue.stats()).toMatchObject({ waiting: 0, active: 0, delayed: 0 });
  });

  it('rejects a second process() and a concurrency below 1', () => {
    const queue = new MemoryJobQueue();
    expect(() => queue.process(async () => undefined, { concurrency: 0 })).toThrow(/concurrency/);
    queue.process(async () => undefined);
    expect(() => queue.process(async () => undefined)).toThrow(/already/);
  });
});
