/** `nilm eval`: score a disaggregation method on real data. */
import type { Command } from 'commander';
import {
  evaluate,
  loadDataset,
  NilmError,
  resolveModel,
  TransformerModel,
  type EvalReport,
  type LoadOptions,
} from '@nilm/ml';
import type { CliConfig } from '../config.js';
import { fmt, table } from '../output.js';

export interface EvalOptions {
  model: string;
  data: string;
  train?: string;
  json?: boolean;
  npyPeriod?: string;
  npyColumns?: string;
}

/** The `.npy` reading options from `--npy-period` / `--npy-columns` (npy files carry no time). */
export function npyOptions(o: { npyPeriod?: string; npyColumns?: string }): LoadOptions['npy'] {
  if (o.npyPeriod === undefined) return undefined;
  const periodS = Number(o.npyPeriod);
  if (!(periodS > 0))
    throw new NilmError(
      'CONFIG_INVALID',
      `--npy-period must be a positive number of seconds, got "${o.npyPeriod}"`,
    );
  return { periodS, columns: o.npyColumns?.split(',').map((c) => c.trim()) };
}

/** Run an evaluation and return the report (the command prints it). */
export async function runEval(
  opts: EvalOptions,
  config: CliConfig,
  log: (m: string) => void,
): Promise<EvalReport> {
  const t0 = performance.now();
  const npy = npyOptions(opts);
  const train = opts.train ? await loadDataset(opts.train, { log, npy }) : undefined;
  const model = await resolveModel(opts.model, { modelsDir: config.modelsDir, train, log });
  const data = await loadDataset(opts.data, { log, npy });
  const report = await evaluate(model, data, opts.model);
  if (model instanceof TransformerModel) await model.release();
  report.seconds = (performance.now() - t0) / 1000;
  return report;
}

/** Human-readable rendering of a report. */
export function formatReport(r: EvalReport): string {
  const rows = Object.entries(r.appliances).map(([name, a]) => [
    name,
    fmt(a.mae_w, 1),
    fmt(a.rmse_w, 1),
    fmt(a.sae),
    fmt(a.nde),
    fmt(a.precision),
    fmt(a.recall),
    fmt(a.f1),
    fmt(a.energy_true_kwh, 1),
    fmt(a.energy_pred_kwh, 1),
  ]);
  rows.push([
    'mean',
    fmt(r.mean.mae_w, 1),
    '',
    fmt(r.mean.sae),
    fmt(r.mean.nde),
    '',
    '',
    fmt(r.mean.f1),
    '',
    '',
  ]);
  const lines = [
    `model ${r.model}, period ${r.period_s} s, ${r.samples} samples scored, ${r.seconds.toFixed(1)} s`,
    '',
    table(
      [
        'appliance',
        'MAE W',
        'RMSE W',
        'SAE',
        'NDE',
        'precision',
        'recall',
        'F1',
        'true kWh',
        'pred kWh',
      ],
      rows,
    ),
  ];
  if (r.skipped.length)
    lines.push('', `skipped (in the data, not in the model): ${r.skipped.join(', ')}`);
  if (r.unscored.length)
    lines.push('', `not scored (in the model, no sub-meter in the data): ${r.unscored.join(', ')}`);
  return lines.join('\n');
}

export function registerEval(program: Command, config: CliConfig): void {
  program
    .command('eval')
    .description(
      'Score a disaggregation method on data with sub-meters (MAE, RMSE, SAE, NDE, F1 per appliance)',
    )
    .requiredOption(
      '-m, --model <spec>',
      'baseline:mean, baseline:co, default, or a model directory',
    )
    .requiredOption('-d, --data <path>', 'file, directory or glob of data to score on')
    .option('-t, --train <path>', 'fit a baseline on this data first (file, directory or glob)')
    .option('--json', 'print exactly one JSON object on stdout')
    .option('--npy-period <seconds>', 'sample period of .npy inputs (they carry no time axis)')
    .option(
      '--npy-columns <names>',
      'what each column of a 2-D .npy array is, e.g. mains,kettle,microwave',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  npx nilm eval --model baseline:co --data "../shared/data/refit/REFIT_House20_*" --train "../shared/data/refit/REFIT_House2_*"\n  npx nilm eval --model default --data fixtures/refit-house20-excerpt.csv.gz --json',
    )
    .action(async (opts: EvalOptions) => {
      const log = (m: string): void =>
        void (opts.json ? undefined : process.stderr.write(`${m}\n`));
      const report = await runEval(opts, config, log);
      process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : `${formatReport(report)}\n`);
    });
}
