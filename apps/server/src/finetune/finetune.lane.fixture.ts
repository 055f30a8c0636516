/**
 * Test support: the fine-tune lane's proof, run on embedded parts (finetune.lane.test.ts) and on
 * real Redis and PostgreSQL (finetune.lane.int.test.ts). A worker process (one Worker with its
 * FinetuneRunner, queue concurrency 1) trains a long fine-tune for one building while a second
 * building's disaggregation job comes in: that job completes, every minute estimated, while the
 * fine-tune is still running. Then another worker takes the job over (a claim in the metadata
 * store once the lease has lapsed): the first stops and removes its checkpoint folder. A second
 * job, cancelled while it runs, removes its folder too; a shutdown stops the lane and keeps the
 * folder of the job it stopped (to resume from). Only test files import it.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceEngine } from '@nilm/ml';
import type { JobQueue } from '@nilm/queue';
import type { FinetuneJob, MetadataStore, TimeSeriesStore } from '@nilm/stores';
import { Metrics } from '../metrics.js';
import { storeReadings } from '../services.fixture.js';
import { Worker } from '../worker.js';
import { FinetuneRunner } from './finetune.runner.js';

const MIN = 60_000;
const DAY = 86_400_000;
/** The data's end: 2026-11-10 12:00 UTC. */
const NOW = Date.UTC(2026, 10, 10, 12);
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface LaneParts {
  metadata: MetadataStore;
  timeseries: TimeSeriesStore;
  engine: InferenceEngine;
  queue: JobQueue;
  close: () => Promise<void>;
}

/** Wait until `probe` gives a value (polled every 100 ms); fails saying what it waited for. */
async function until<T>(what: string, probe: () => Promise<T | undefined | false>): Promise<T> {
  for (let i = 0; i < 1200; i++) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`gave up waiting: ${what}`);
}

export function describeFinetuneLane(name: string, open: () => Promise<LaneParts>): void {
  describe(`fine-tune lane (${name})`, () => {
    let p: LaneParts;
    let worker: Worker;
    let runner: FinetuneRunner;
    const dir = mkdtempSync(join(tmpdir(), 'nilm-ft-lane-'));
    const workDir = join(dir, 'finetune');

    beforeAll(async () => {
      p = await open();
      for (const id of ['ft-home', 'ft-other'])
        await p.metadata.createBuilding({
          id,
          name: id,
          timezone: 'UTC',
          isDemo: false,
          modelRef: null,
        });
      // Four days: 150-170 W always on, and a 120 W fridge on 15 minutes of every 40, on a plug.
      const readings = [];
      const plug = [];
      let x = 7;
      for (let ts = NOW - 4 * DAY; ts < NOW; ts += MIN) {
        x = (x * 1103515245 + 12345) % 2 ** 31;
        const fridge = (ts / MIN) % 40 < 15 ? 120 : 0;
        readings.push({ ts, powerW: 150 + (x / 2 ** 31) * 20 + fridge });
        plug.push({ ts, powerW: fridge });
      }
      await p.timeseries.writeReadings('ft-home', readings);
      await p.timeseries.writeSubmeter('ft-home', 'fridge', plug);
      runner = new FinetuneRunner({ ...p, workDir, log: quiet });
      worker = new Worker({ ...p, metrics: new Metrics(), finetune: runner, log: quiet });
      worker.start({ concurrency: 1, reconcileMs: 3_600_000 });
    }, 120_000);

    afterAll(async () => {
      await worker?.close();
      await p?.queue.close();
      await p?.close();
      rmSync(dir, { recursive: true, force: true });
    }, 120_000);

    /** Queue a long fine-tune of ft-home's fridge (100 epochs, the 300 s bound). */
    const queueLongJob = () =>
      p.metadata.createFinetuneJob({
        buildingId: 'ft-home',
        baseRef: 'tiny@1',
        appliances: ['fridge'],
        settings: { epochs: 100, maxSeconds: 300, dataUntilMs: NOW },
        createdBy: null,
      });
    const job = (id: string) => p.metadata.getFinetuneJob('ft-home', id);
    /** Enqueue ft-home (as the API does when it queues a job) and wait until its job trains. */
    const trainingStarts = async (id: string): Promise<FinetuneJob> => {
      await p.queue.enqueue('ft-home');
      return until('the fine-tune reports progress', async () => {
        const j = await job(id);
        return j?.status === 'running' && j.progress !== null && j;
      });
    };

    it('estimates another building while a fine-tune trains, on the same worker', async () => {
      const { id } = await queueLongJob();
      const training = await trainingStarts(id);
      expect(training.leaseOwner).toBe(runner.owner);

      const from = NOW - 2 * 3_600_000;
      const other = [];
      for (let ts = from; ts < NOW; ts += MIN) other.push({ ts, powerW: 200 + (ts % 9) * 20 });
      await storeReadings(p, 'ft-other', other);
      await p.queue.enqueue('ft-other');
      await until(
        'ft-other estimated',
        async () =>
          (await p.timeseries.latestEstimateTs('ft-other')) === NOW - MIN &&
          (await p.metadata.backlogSummary('ft-other')).ranges === 0,
      );
      // Every minute estimated, and the fine-tune still trains in its lane.
      const est = await p.timeseries.readEstimates('ft-other', from, NOW);
      expect(new Set(est.map((e) => e.ts)).size).toBe(120);
      expect(await job(id)).toMatchObject({ status: 'running', leaseOwner: runner.owner });
      expect(existsSync(join(workDir, id))).toBe(true);

      // Another worker takes the job over (its lease has lapsed by that worker's clock).
      const taken = await p.metadata.claimFinetuneJob({
        owner: 'another-worker',
        now: Date.now() + 10 * 60_000,
        leaseMs: 600_000,
        buildingId: 'ft-home',
      });
      expect(taken).toMatchObject({ id, attempts: 2 });
      await until(
        'the taken-over run removes its folder',
        async () => !existsSync(join(workDir, id)),
      );
      await p.metadata.cancelFinetuneJob('ft-home', id, Date.now());
    }, 300_000);

    it('a cancelled fine-tune removes its checkpoint folder', async () => {
      const { id } = await queueLongJob();
      await trainingStarts(id);
      await until('a checkpoint', async () => existsSync(join(workDir, id, 'checkpoint')));
      expect(await p.metadata.cancelFinetuneJob('ft-home', id, Date.now())).toBe(true);
      await until(
        'the cancelled run removes its folder',
        async () => !existsSync(join(workDir, id)),
      );
      expect(await job(id)).toMatchObject({ status: 'cancelled', resultRef: null });
    }, 300_000);

    it('a shutdown stops the lane and keeps the checkpoint to resume from', async () => {
      const { id } = await queueLongJob();
      await trainingStarts(id);
      await until('a checkpoint', async () =>
        existsSync(join(workDir, id, 'checkpoint', 'state.json')),
      );
      await worker.close();
      expect(existsSync(join(workDir, id, 'checkpoint', 'state.json'))).toBe(true);
      // Still running under its lease: any worker takes it over once the lease lapses.
      expect(await job(id)).toMatchObject({ status: 'running', leaseOwner: runner.owner });
      await p.metadata.cancelFinetuneJob('ft-home', id, Date.now());
    }, 300_000);
  });
}
