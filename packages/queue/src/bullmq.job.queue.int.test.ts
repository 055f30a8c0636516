// Proves the BullMQ queue meets the JobQueue contract on a real Redis, shares jobs between two
// workers without running a building twice at once, and rides out a Redis restart.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { BullMqJobQueue, type BullMqJobQueueOptions } from './bullmq.job.queue.js';
import { QueueUnavailableError } from './job.queue.js';
import { CONFORMANCE_RETRY, queueConformance } from './queue.conformance.js';

const redisUrl = process.env.NILM_TEST_REDIS_URL;
if (!redisUrl) {
  throw new Error(
    'NILM_TEST_REDIS_URL is not set: the integration tier needs a Redis, e.g. ' +
      'NILM_TEST_REDIS_URL=redis://127.0.0.1:6379 npx vitest run -c vitest.int.config.ts',
  );
}
const REDIS_URL: string = redisUrl;

// Every key this file writes to the shared Redis starts with this, and is deleted afterwards.
const PREFIX = `nilm-test-${randomUUID()}`;

function queueOn(url: string, opts: Partial<BullMqJobQueueOptions> = {}): BullMqJobQueue {
  return new BullMqJobQueue({
    url,
    queueName: `q-${randomUUID()}`,
    prefix: PREFIX,
    retry: CONFORMANCE_RETRY,
    ...opts,
  });
}

// redis-server processes started by this file; stopped at the end even if a test failed.
const ownRedis = new Set<ChildProcess>();

afterAll(async () => {
  await Promise.all([...ownRedis].map(stopRedis));
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
});

// BullMQ keeps retry backoffs in Redis, out of reach of the suite's clock: real time.
queueConformance(
  'bullmq',
  async ({ retry }) => {
    const queue = queueOn(REDIS_URL, { retry });
    await queue.ping();
    return queue;
  },
  'real',
);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('BullMqJobQueue', () => {
  it('shares the jobs of 20 buildings between two workers, never running one twice at once', async () => {
    const queueName = `q-${randomUUID()}`;
    const a = queueOn(REDIS_URL, { queueName });
    const b = queueOn(REDIS_URL, { queueName });
    try {
      const buildings = Array.from({ length: 20 }, (_, i) => `b${String(i).padStart(2, '0')}`);
      const inFlight = new Set<string>();
      const overlaps: string[] = [];
      const runs = new Map<string, number>();
      const byWorker = { a: 0, b: 0 };
      const handler = (worker: 'a' | 'b') => async (job: { buildingId: string }) => {
        if (inFlight.has(job.buildingId)) overlaps.push(job.buildingId);
        inFlight.add(job.buildingId);
        await sleep(20 + Math.floor(Math.random() * 20));
        inFlight.delete(job.buildingId);
        runs.set(job.buildingId, (runs.get(job.buildingId) ?? 0) + 1);
        byWorker[worker] += 1;
      };
      a.process(handler('a'), { concurrency: 2 });
      b.process(handler('b'), { concurrency: 2 });

      // Three rounds, each building enqueued through both producers back to back: without
      // de-duplication its two jobs would sit side by side and both workers would take them.
      // Later rounds meet waiting and running jobs alike.
      for (let round = 0; round < 3; round += 1) {
        for (const building of buildings) {
          await a.enqueue(building);
          await b.enqueue(building);
        }
        await sleep(30);
      }

      await vi.waitFor(
        async () => {
          const stats = await a.stats();
          const total = [...runs.values()].reduce((sum, n) => sum + n, 0);
          expect(stats).toMatchObject({ waiting: 0, active: 0, delayed: 0, failed: 0 });
          expect(stats.completed).toBe(total);
          expect([...runs.keys()].sort()).toEqual(buildings);
        },
        { timeout: 30_000, interval: 50 },
      );
      expect(overlaps).toEqual([]);
      expect(byWorker.a).toBeGreaterThan(0);
      expect(byWorker.b).toBeGreaterThan(0);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('rejects operations within operationTimeoutMs when Redis was never reachable', async () => {
    const port = await freePort();
    const queue = queueOn(`redis://127.0.0.1:${port}`, {
      operationTimeoutMs: 500,
      onError: () => undefined,
    });
    try {
      await expect(queue.enqueue('b1')).rejects.toBeInstanceOf(QueueUnavailableError);
      await expect(queue.ping()).rejects.toThrow(/did not answer ping within 500 ms/);
    } finally {
      await queue.close();
    }
  });

  it('rejects operations promptly while Redis is down and resumes processing after it restarts', async () => {
    // A Redis of our own, so stopping it does not disturb the shared one.
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    let redis = await startRedis(port);
    const errors: Error[] = [];
    const queue = queueOn(url, { operationTimeoutMs: 1_000, onError: (e) => errors.push(e) });
    try {
      const done: string[] = [];
      let slowStarted = (): void => undefined;
      const slowRunning = new Promise<void>((resolve) => (slowStarted = resolve));
      let releaseSlow = (): void => undefined;
      const slowReleased = new Promise<void>((resolve) => (releaseSlow = resolve));
      queue.process(async ({ buildingId }) => {
        if (buildingId === 'slow') {
          slowStarted();
          await slowReleased;
        }
        done.push(buildingId);
      });

      await queue.enqueue('before');
      await vi.waitFor(() => expect(done).toContain('before'), { timeout: 10_000 });
      // A job running when Redis goes away finishes during the outage.
      await queue.enqueue('slow');
      await slowRunning;

      await stopRedis(redis);
      await expect(queue.enqueue('during')).rejects.toBeInstanceOf(QueueUnavailableError);
      await expect(queue.stats()).rejects.toBeInstanceOf(QueueUnavailableError);
      await expect(queue.ping()).rejects.toBeInstanceOf(QueueUnavailableError);
      releaseSlow();
      // Long enough for several reconnect attempts of both connections.
      await sleep(2_000);

      // Redis comes back empty (no persistence): what it held is gone, the queue is not.
      redis = await startRedis(port);
      await vi.waitFor(() => queue.ping(), { timeout: 30_000, interval: 200 });
      await queue.enqueue('after-1');
      await queue.enqueue('after-2');
      await vi.waitFor(() => expect(done).toEqual(expect.arrayContaining(['after-1', 'after-2'])), {
        timeout: 60_000,
        interval: 100,
      });
      expect(done).not.toContain('during');
      expect(errors.length).toBeGreaterThan(0);
    } finally {
      await queue.close();
      await stopRedis(redis);
    }
  });
});

/** A TCP port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no TCP port assigned');
  return address.port;
}

/** Start a throwaway redis-server (no persistence) on `port` and wait until it answers. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { cwd: tmpdir(), stdio: 'ignore' },
  );
  ownRedis.add(child);
  child.once('exit', () => ownRedis.delete(child));
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) =>
      reject(new Error(`cannot start redis-server (is it on PATH?): ${error.message}`)),
    );
  });
  await vi.waitFor(() => answersPing(port), { timeout: 10_000, interval: 50 });
  return child;
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

function answersPing(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.setTimeout(1_000, () => socket.destroy(new Error('no answer')));
    socket.once('error', reject);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.end();
      if (data.toString().startsWith('+PONG')) resolve();
      else reject(new Error(`unexpected answer ${data.toString()}`));
    });
  });
}
