/**
 * The epochs of a training run: each draws its batches from seeds derived from (seed, epoch),
 * steps AdamW on the warmup-cosine schedule, validates, appends its metrics line, keeps the best
 * weights for early stopping, checkpoints and redraws the curves.
 */
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalAppliance } from '../data/appliances.js';
import { NilmError } from '../errors.js';
import { clipGradNorm } from '../onnx/adamw.optimizer.js';
import { fillDropoutMask, Random } from '../onnx/random.generator.js';
import {
  packParams,
  saveCheckpoint,
  writeAtomic,
  type CheckpointState,
} from './train.checkpoint.js';
import type { RunWindows } from './train.data.js';
import type { Trainer } from './train.sessions.js';
import type { EpochLog, ResolvedSettings, TrainOptions } from './train.settings.js';
import { validateEpoch, type ValidationScores } from './train.validation.js';
import { trainingCurvesSvg } from './training.plot.js';

/** A run in progress: what its epochs read, and `state`, which they advance. */
export interface TrainingRun {
  resolved: ResolvedSettings;
  opts: TrainOptions;
  log: (line: string) => void;
  ckptDir: string;
  windows: RunWindows;
  trainer: Trainer;
  state: CheckpointState;
  /** The validation series' sources, in cache segment order. */
  houses: string[];
}

/**
 * Runs the epochs left after `state.epoch`, until the schedule ends, patience runs out or
 * `opts.stopAfterEpoch`; a fresh run starts `metrics.jsonl` empty, a resumed one appends.
 */
export async function trainEpochs(run: TrainingRun, resuming: boolean): Promise<void> {
  const { resolved, opts, state } = run;
  const { cfg } = resolved;
  const metricsPath = join(opts.outDir, 'metrics.jsonl');
  if (!resuming) await writeFile(metricsPath, '');
  for (let epoch = state.epoch + 1; epoch <= cfg.schedule.epochs; epoch++) {
    if (state.badEpochs >= cfg.earlyStopping.patience) break;
    if (opts.stopAfterEpoch !== undefined && epoch > opts.stopAfterEpoch) break;
    await runEpoch(run, epoch, metricsPath);
  }
}

/** One epoch: train, validate, record (metrics line, best weights, checkpoint, curves, log). */
async function runEpoch(run: TrainingRun, epoch: number, metricsPath: string): Promise<void> {
  const { resolved, state, trainer, log } = run;
  const { cfg, arch, appliances } = resolved;
  const t0 = performance.now();
  const lossSum = await trainSteps(run, epoch, t0);
  const trainSeconds = (performance.now() - t0) / 1000;
  const val = await validateEpoch(
    trainer.evalSession,
    run.windows,
    run.houses,
    appliances,
    arch.window,
    cfg.batch,
  );
  const seconds = (performance.now() - t0) / 1000;
  state.seconds += seconds;
  const entry: EpochLog = {
    epoch,
    step: state.step,
    lr: trainer.lrAt(state.step),
    train_loss: lossSum / cfg.schedule.stepsPerEpoch,
    ...val,
    windows_per_s: (cfg.schedule.stepsPerEpoch * cfg.batch) / trainSeconds,
    seconds,
  };
  state.history.push(entry);
  await appendFile(metricsPath, JSON.stringify(entry) + '\n');
  const improved = await keepIfBest(run, epoch, val);
  state.epoch = epoch;
  await saveCheckpoint(run.ckptDir, state, trainer.params, trainer.optimizer);
  await writeCurves(run.opts.outDir, state.history, appliances);
  log(
    `epoch ${epoch}: train ${entry.train_loss.toFixed(4)} val ${entry.val_loss.toFixed(4)} F1 ${appliances.map((a) => `${a} ${(val.val_f1[a] ?? 0).toFixed(2)}`).join(' ')} (${entry.windows_per_s.toFixed(0)} windows/s)${improved ? ' *' : ''}`,
  );
}

/** The epoch's training steps; returns the sum of their losses. Throws if training diverges. */
async function trainSteps(run: TrainingRun, epoch: number, t0: number): Promise<number> {
  const { resolved, state, opts } = run;
  const { cfg, arch } = resolved;
  const { session, optimizer, lrAt, masks, feeds } = run.trainer;
  const B = cfg.batch;
  // Seeds derive from (seed, epoch): a resumed run draws exactly the batches it would have.
  const batches = run.windows.sampler.random({
    seed: cfg.seed * 100_003 + epoch,
    balance: {
      targetOnFraction: cfg.balance.targetOnFraction,
      appliances: cfg.balance.cycle?.map(canonicalAppliance),
    },
  });
  const rng = new Random(cfg.seed * 7919 + epoch);
  let lossSum = 0;
  for (let s = 0; s < cfg.schedule.stepsPerEpoch; s++) {
    batches.fill(run.windows.buffers);
    // In the session's input order (the masks' insertion order), so the draws are the same.
    for (const mask of Object.values(masks)) fillDropoutMask(rng, mask, arch.dropout);
    const step = await session.run(feeds);
    if (!Number.isFinite(step.loss))
      throw new NilmError(
        'CONFIG_INVALID',
        `training diverged at epoch ${epoch} step ${s} (loss ${step.loss}); lower optimizer.lr`,
      );
    clipGradNorm(step.grads, cfg.optimizer.clipNorm);
    const lr = lrAt(state.step);
    optimizer.step(step.grads, lr);
    state.step++;
    lossSum += step.loss;
    const elapsed = (performance.now() - t0) / 1000;
    const wps = ((s + 1) * B) / elapsed;
    const stepsLeft =
      (cfg.schedule.epochs - epoch) * cfg.schedule.stepsPerEpoch +
      (cfg.schedule.stepsPerEpoch - s - 1);
    opts.progress?.({
      epoch,
      epochs: cfg.schedule.epochs,
      step: s + 1,
      steps: cfg.schedule.stepsPerEpoch,
      loss: lossSum / (s + 1),
      lr,
      windowsPerS: wps,
      etaS: (stepsLeft * B) / wps,
    });
  }
  return lossSum;
}

/**
 * Early-stopping bookkeeping: if the monitored value improved by more than `minDelta`, the
 * epoch becomes the best and its weights are kept in `best.bin`; else one more bad epoch.
 */
async function keepIfBest(
  run: TrainingRun,
  epoch: number,
  val: ValidationScores,
): Promise<boolean> {
  const { cfg } = run.resolved;
  const { state } = run;
  // The monitored value, lower is better (mean F1 enters negated).
  // Heads without validation data (no validation house meters them) are left out.
  const f1s = Object.values(val.val_f1).filter((f): f is number => f !== null);
  const monitored =
    cfg.earlyStopping.metric === 'val_f1'
      ? -f1s.reduce((a, b) => a + b, 0) / Math.max(1, f1s.length)
      : val.val_loss;
  const improved = monitored < state.bestValLoss - cfg.earlyStopping.minDelta;
  if (improved) {
    state.bestValLoss = monitored;
    state.bestEpoch = epoch;
    state.badEpochs = 0;
    await writeAtomic(join(run.opts.outDir, 'best.bin'), packParams(run.trainer.params));
  } else {
    state.badEpochs++;
  }
  return improved;
}

/** Redraws `curves.svg`: losses (train, validation, per head) and per-head validation F1. */
async function writeCurves(
  outDir: string,
  history: readonly EpochLog[],
  appliances: readonly string[],
): Promise<void> {
  const xs = history.map((h) => h.epoch);
  await writeFile(
    join(outDir, 'curves.svg'),
    trainingCurvesSvg(
      xs,
      [
        { label: 'train loss', values: history.map((h) => h.train_loss) },
        { label: 'val loss', values: history.map((h) => h.val_loss) },
        ...appliances.map((a) => ({
          label: `val ${a}`,
          values: history.map((h) => h.val_head_loss[a] ?? null),
        })),
      ],
      appliances.map((a) => ({
        label: a,
        values: history.map((h) => h.val_f1[a] ?? null),
      })),
    ),
  );
}
