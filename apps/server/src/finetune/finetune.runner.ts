/**
 * Runs a building's fine-tune jobs (issue 13.4, 13.5) in whichever worker claims them, in a lane
 * of their own beside the disaggregation queue: the worker wakes the lane after a building's
 * disaggregation run (the API enqueues the building when it queues a job, so the wake-up reaches
 * some worker through the queue) and on every reconcile pass (a job whose worker died is taken
 * over once its lease lapses), and goes on estimating while the lane trains. Jobs are claimed in
 * the metadata store, so each runs once across all workers. A run reads the building's data
 * (finetune.data.ts), fine-tunes the base model on CPU within its time bound, scores base and
 * fine-tuned model on the held-out minutes, and stores the model, pinned to the building, as a
 * candidate with that scorecard: the owner activates or discards it. Progress goes to the job
 * every few seconds; a job cancelled or taken over meanwhile stops at its next report, stores
 * nothing and removes its checkpoint folder; one stopped by the worker's shutdown keeps it, to
 * resume from it when its lease lapses.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  finetuneTransformer,
  NilmError,
  scoreOnHome,
  TransformerModel,
  type HomeScore,
  type InferenceEngine,
} from '@nilm/ml';
import type {
  DeviceStore,
  FinetuneJob,
  FinetuneStore,
  LabelStore,
  TimeSeriesStore,
} from '@nilm/stores';
import { ApiError } from '../errors.js';
import { readHomeData, type HomeData } from './finetune.data.js';
import { finetuneHeads, queuedHeads, readDeviceHeads, scoringRules } from './finetune.devices.js';

/** A fine-tune may run this long at most, whatever it asks for (issue 13.4's bound). */
export const FINETUNE_MAX_SECONDS = 300;
/** How long a claim holds without a progress report. */
const LEASE_MS = 120_000;
/** Progress is written at most this often. */
const REPORT_EVERY_MS = 3_000;

/** The scorecard of one fine-tune: per appliance, base and fine-tuned on the held-out minutes. */
export interface Scorecard {
  held_out: ScoredPart;
  trained_on: ScoredPart;
  appliances: Record<string, { base: HomeScore; tuned: HomeScore }>;
}

/** Known minutes of a part of the data, and the time it covers (ISO 8601). */
interface ScoredPart {
  minutes: number;
  from: string;
  to: string;
}

const scoredPart = (p: HomeData['parts']['train']): ScoredPart => ({
  minutes: p.minutes,
  from: new Date(p.fromMs).toISOString(),
  to: new Date(p.toMs).toISOString(),
});

export interface FinetuneRunnerDeps {
  metadata: FinetuneStore & Pick<LabelStore, 'listLabels'> & Pick<DeviceStore, 'getFoundDevice'>;
  timeseries: TimeSeriesStore;
  engine: InferenceEngine;
  /** Where checkpoints live while a job runs (a stopped job resumes from them here). */
  workDir: string;
  now?: () => number;
  log: { info: (o: object, m: string) => void; warn: (o: object, m: string) => void };
}

class Stopped extends Error {
  constructor(readonly why: 'lost' | 'shutdown') {
    super(why === 'lost' ? 'the job was cancelled or taken over' : 'the worker is shutting down');
  }
}

/** The file in a job's checkpoint folder that names the runner writing it. */
const OWNER_FILE = 'owner';

export class FinetuneRunner {
  /** Who this runner is in the jobs' leases. */
  readonly owner = `finetune-${randomUUID()}`;
  private running = false;
  /** The lane: runs jobs one after another while there are any; undefined when idle. */
  private lane: Promise<void> | undefined;
  /** Set by a wake-up that came while the lane ran: look again before going idle. */
  private again = false;
  private stopping = false;

  constructor(private readonly deps: FinetuneRunnerDeps) {}

  /**
   * Wake the lane: run the queued jobs (`buildingId`'s first when given) in the background, one
   * at a time, until none is left. Returns at once; never throws.
   */
  wake(buildingId?: string): void {
    if (this.stopping) return;
    if (this.lane) {
      this.again = true;
      return;
    }
    this.lane = (async () => {
      let first = buildingId;
      for (;;) {
        this.again = false;
        const ran = await this.runNext(first);
        first = undefined;
        if (this.stopping || (!ran && !this.again)) break;
      }
    })().finally(() => {
      this.lane = undefined;
    });
  }

  /**
   * Stop the lane (a shutdown): a running fine-tune stops at its next training step and keeps
   * its checkpoint; resolves when the lane is idle.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.lane;
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /** Claim and run one job (of `buildingId` when given); null when there was none. Never throws. */
  async runNext(buildingId?: string): Promise<FinetuneJob | null> {
    // One at a time per process: a fine-tune takes both cores for minutes.
    if (this.running) return null;
    this.running = true;
    try {
      const job = await this.deps.metadata.claimFinetuneJob({
        owner: this.owner,
        now: this.now(),
        leaseMs: LEASE_MS,
        ...(buildingId ? { buildingId } : {}),
      });
      if (!job) return null;
      await this.run(job);
      return (await this.deps.metadata.getFinetuneJob(job.buildingId, job.id)) ?? job;
    } catch (e) {
      this.deps.log.warn(
        { err: e },
        'fine-tune pass failed; the job is taken over when its lease lapses',
      );
      return null;
    } finally {
      this.running = false;
    }
  }

  private async run(job: FinetuneJob): Promise<void> {
    const { metadata } = this.deps;
    const dir = join(this.deps.workDir, job.id);
    const t0 = this.now();
    // Set when a progress report finds the job no longer ours; the next report stops the run.
    let stopped = false;
    const check = (): void => {
      if (stopped) throw new Stopped('lost');
      if (this.stopping) throw new Stopped('shutdown');
    };
    try {
      // Who writes this folder now: a runner that loses the job removes it only if still its own
      // (a taker-over on the same data folder resumes from it and names itself here).
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, OWNER_FILE), this.owner);
      const base = await this.deps.engine.files(job.baseRef);
      // The data the API checked when the job was queued: up to that moment.
      const until = Number(job.settings.dataUntilMs ?? job.createdAt);
      // Named found devices (their ids in the settings) are read again: one dismissed since it
      // was queued is refused here as it would have been then.
      const ids = Array.isArray(job.settings.devices) ? (job.settings.devices as string[]) : [];
      const devices = queuedHeads(
        await readDeviceHeads(metadata, job.buildingId, ids),
        job.appliances,
      );
      const data = await readHomeData(this.deps, job.buildingId, job.appliances, until, devices);
      let lastReport = 0;
      const { epochs, seed, maxSeconds } = job.settings as {
        epochs?: number;
        seed?: number;
        maxSeconds?: number;
      };
      const settings = {
        appliances: job.appliances,
        heads: finetuneHeads(devices),
        ...(epochs === undefined ? {} : { epochs }),
        ...(seed === undefined ? {} : { seed }),
        maxSeconds: Math.min(FINETUNE_MAX_SECONDS, maxSeconds ?? FINETUNE_MAX_SECONDS),
      };
      const result = await finetuneTransformer(
        base,
        settings,
        { train: data.train, val: data.val },
        {
          workDir: dir,
          resume: existsSync(join(dir, 'checkpoint', 'state.json')),
          id: `${base.card.id.split('+')[0]}+${job.buildingId}`,
          version: 'pending',
          progress: (p) => {
            check();
            const t = this.now();
            if (t - lastReport < REPORT_EVERY_MS) return;
            lastReport = t;
            void metadata
              .reportFinetuneProgress(job.id, this.owner, p, t + LEASE_MS)
              .then((held) => {
                if (!held) stopped = true;
              })
              .catch(() => undefined);
          },
        },
      );
      if (stopped) throw new Stopped('lost');
      const tuned = await TransformerModel.fromBytes(result.card, result.bytes);
      const baseModel = await this.deps.engine.model(base.ref);
      const rules = scoringRules(devices);
      const before = await scoreOnHome(baseModel, data.heldOut, job.appliances, rules);
      const after = await scoreOnHome(tuned, data.heldOut, job.appliances, rules);
      await tuned.release();
      const scorecard: Scorecard = {
        held_out: scoredPart(data.parts.held_out),
        trained_on: scoredPart(data.parts.train),
        appliances: Object.fromEntries(
          job.appliances.map((a) => [a, { base: before[a]!, tuned: after[a]! }]),
        ),
      };
      const done = await metadata.finishFinetuneJob(
        job.id,
        this.owner,
        {
          model: {
            buildingId: job.buildingId,
            baseRef: base.ref,
            card: result.card as unknown as Record<string, unknown>,
            onnx: result.bytes,
            scorecard: scorecard as unknown as Record<string, unknown>,
          },
        },
        this.now(),
      );
      this.deps.log.info(
        {
          buildingId: job.buildingId,
          jobId: job.id,
          ref: done.model?.ref,
          seconds: (this.now() - t0) / 1000,
        },
        'fine-tune done',
      );
      rmSync(dir, { recursive: true, force: true });
    } catch (e) {
      if (e instanceof Stopped) {
        this.deps.log.info({ jobId: job.id }, `fine-tune stopped: ${e.message}`);
        if (e.why === 'lost' && this.ownsFolder(dir)) rmSync(dir, { recursive: true, force: true });
        return;
      }
      // Input problems say what to do; anything else is ours, said plainly and logged.
      const message =
        e instanceof ApiError || e instanceof NilmError
          ? e.message
          : `the fine-tune failed unexpectedly (${(e as Error).message}); try again, and report it if it fails again`;
      if (!(e instanceof ApiError || e instanceof NilmError))
        this.deps.log.warn({ err: e, jobId: job.id }, 'fine-tune failed');
      await metadata.finishFinetuneJob(job.id, this.owner, { error: message }, this.now());
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private ownsFolder(dir: string): boolean {
    try {
      return readFileSync(join(dir, OWNER_FILE), 'utf8') === this.owner;
    } catch {
      return false;
    }
  }
}
