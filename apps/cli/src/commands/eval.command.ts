/** `nilm eval`: score a disaggregation method on real data. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { SUMMARIES } from './command.summaries.js';
import {
  canonicalAppliance,
  evaluate,
  fitBaselineForHeads,
  groupAppliances,
  loadTrainConfig,
  prepareTrainData,
  reliabilitySvg,
  loadDataset,
  NilmError,
  POSTPROCESS_RULES,
  resolveModel,
  TransformerModel,
  CARD_BASELINES,
  type BaselineKind,
  type CsvMapping,
  type EvalReport,
  type LoadOptions,
  type Series,
} from '@nilm/ml';
import type { CliConfig } from '../config.js';
import { fmt, table } from '../output.js';

export interface EvalOptions extends DataFlags {
  model: string;
  data?: string;
  train?: string;
  json?: boolean;
  /** Fit the baseline on this model's heads (its appliances, group members summed). */
  headsOf?: string;
  /** Write a reliability diagram (SVG) per appliance with an on-probability into this folder. */
  reliability?: string;
  /** Score a transformer with this post-processing instead of its card's (none, runs-v1, runs-v2, runs-v3). */
  postprocess?: string;
  /** Score on a training config's held-out split (its test houses with their mixed copies). */
  config?: string;
  split?: string;
}

/** Options every data-reading command takes. */
export interface DataFlags {
  npyPeriod?: string;
  npyColumns?: string;
  csvColumns?: string;
  csvTime?: string;
  csvScale?: string;
  csvDelimiter?: string;
}

/** Add the data-reading flags to a command. */
export function withDataFlags(cmd: Command): Command {
  return cmd
    .option('--npy-period <seconds>', 'sample period of .npy inputs (they carry no time axis)')
    .option('--npy-columns <names>', 'what each column of a 2-D .npy array is, e.g. mains,kettle')
    .option('--csv-columns <map>', 'generic CSV: time=<col>,mains=<col>[,<col>=<appliance>...]')
    .option('--csv-time <format>', 'generic CSV time format: auto, naive, iso, unix_s, unix_ms')
    .option('--csv-scale <factor>', 'generic CSV: multiply power columns (1000 for kW files)')
    .option('--csv-delimiter <char>', 'generic CSV field separator (default ,)');
}

/** Loading options from the data flags. */
export function loadOptions(o: DataFlags): Pick<LoadOptions, 'npy' | 'csv'> {
  return { npy: npyOptions(o), csv: csvMapping(o) };
}

/** The generic CSV mapping from `--csv-columns` and friends, or undefined for the dataset layout. */
export function csvMapping(o: DataFlags): CsvMapping | undefined {
  if (o.csvColumns === undefined) {
    if (o.csvTime ?? o.csvScale ?? o.csvDelimiter) {
      throw new NilmError(
        'CONFIG_INVALID',
        '--csv-time, --csv-scale and --csv-delimiter need --csv-columns time=<col>,mains=<col>,...',
      );
    }
    return undefined;
  }
  const pairs = o.csvColumns.split(',').map((p) => p.split('=').map((x) => x.trim()));
  const bad = pairs.find((p) => p.length !== 2 || !p[0] || !p[1]);
  if (bad)
    throw new NilmError(
      'CONFIG_INVALID',
      `--csv-columns: "${bad.join('=')}" is not <key>=<column>; example: time=ts,mains=power,Kettle=kettle`,
    );
  const map = new Map(pairs as Array<[string, string]>);
  const time = map.get('time');
  const mains = map.get('mains');
  if (!time || !mains)
    throw new NilmError('CONFIG_INVALID', '--csv-columns needs time=<column> and mains=<column>');
  const appliances: Record<string, string> = {};
  for (const [k, v] of map) if (k !== 'time' && k !== 'mains') appliances[k] = v;
  const formats = ['auto', 'naive', 'iso', 'unix_s', 'unix_ms'] as const;
  const timeFormat = (o.csvTime ?? 'auto') as (typeof formats)[number];
  if (!formats.includes(timeFormat))
    throw new NilmError(
      'CONFIG_INVALID',
      `--csv-time must be one of ${formats.join(', ')}, got "${o.csvTime}"`,
    );
  const scale = o.csvScale === undefined ? 1 : Number(o.csvScale);
  if (!(scale > 0))
    throw new NilmError(
      'CONFIG_INVALID',
      `--csv-scale must be a positive number, got "${o.csvScale}"`,
    );
  return { time, mains, appliances, timeFormat, scale, delimiter: o.csvDelimiter ?? ',' };
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

/**
 * Run an evaluation and return the report (the command prints it). `warn` gets what a person
 * must see even with --json: data columns outside the appliance vocabulary, which are left out
 * of the scores instead of stopping the run.
 */
export async function runEval(
  opts: EvalOptions,
  config: CliConfig,
  log: (m: string) => void,
  warn: (m: string) => void = log,
): Promise<EvalReport> {
  const t0 = performance.now();
  const how = { ...loadOptions(opts), unknownColumns: 'warn' as const, warn };
  let train: Series[] | undefined;
  let data: Series[];
  /** With --config: the model's heads, which a baseline is fitted for (as on the card). */
  let heads: string[] | undefined;
  if (opts.config) {
    // The config's own data, mixed and grouped exactly as training saw it.
    const split = opts.split ?? 'test';
    if (split !== 'test' && split !== 'val')
      throw new NilmError('CONFIG_INVALID', `--split must be test or val, got "${split}"`);
    const trainConfig = loadTrainConfig(opts.config);
    heads = trainConfig.appliances.map(canonicalAppliance);
    const prepared = await prepareTrainData(trainConfig, log);
    const held = split === 'test' ? prepared.test : prepared.val;
    if (!held) throw new NilmError('CONFIG_INVALID', `${opts.config} has no data.${split}`);
    data = held;
    train = prepared.train;
  } else {
    if (!opts.data) throw new NilmError('CONFIG_INVALID', 'give --data <path> or --config <file>');
    train = opts.train ? await loadDataset(opts.train, { log, ...how }) : undefined;
    data = await loadDataset(opts.data, { log, ...how });
  }
  let model: Awaited<ReturnType<typeof resolveModel>>;
  if (opts.headsOf) {
    // A baseline fitted on the same heads as a transformer: same appliances, same groups.
    if (!train || !opts.model.startsWith('baseline:'))
      throw new NilmError(
        'CONFIG_INVALID',
        '--heads-of needs a baseline model and training data (--train <path> or --config <file>)',
      );
    const like = await resolveModel(opts.headsOf, { modelsDir: config.modelsDir, log });
    const groups = like.groups ?? {};
    const likeHeads = like.appliances;
    if (like instanceof TransformerModel) await like.release();
    train = train.map((s) => groupAppliances(s, groups));
    data = data.map((s) => groupAppliances(s, groups));
    model = await fitBaselineForHeads(baselineKind(opts.model), train, likeHeads, log);
  } else if (heads && train && opts.model.startsWith('baseline:')) {
    // Fitted exactly as `nilm train` fits the card's baselines, so both print the same numbers.
    model = await fitBaselineForHeads(baselineKind(opts.model), train, heads, log);
  } else {
    model = await resolveModel(opts.model, { modelsDir: config.modelsDir, train, log });
  }
  if (opts.postprocess !== undefined) {
    const rule = POSTPROCESS_RULES.find((r) => r === opts.postprocess);
    if (!rule || !(model instanceof TransformerModel)) {
      if (model instanceof TransformerModel) await model.release();
      throw new NilmError(
        'CONFIG_INVALID',
        rule
          ? `--postprocess applies to a transformer; ${opts.model} is not one`
          : `--postprocess must be one of ${POSTPROCESS_RULES.join(', ')}, got "${opts.postprocess}"`,
      );
    }
    model.postprocess = rule;
  }
  const report = await evaluate(model, data, opts.model);
  if (model instanceof TransformerModel) await model.release();
  if (opts.reliability) {
    await mkdir(opts.reliability, { recursive: true });
    for (const [name, a] of Object.entries(report.appliances))
      if (a.reliability)
        await writeFile(
          join(opts.reliability, `reliability-${name}.svg`),
          reliabilitySvg(`${name}: ${opts.model}`, a.reliability),
        );
  }
  report.seconds = (performance.now() - t0) / 1000;
  return report;
}

/** `baseline:mean` or `baseline:co` from a --model spec that starts with `baseline:`. */
function baselineKind(spec: string): BaselineKind {
  const kind = CARD_BASELINES.find((k) => k === spec);
  if (!kind)
    throw new NilmError(
      'MODEL_SPEC_INVALID',
      `unknown baseline "${spec}"; use ${CARD_BASELINES.join(' or ')}`,
    );
  return kind;
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
    fmt(a.event_f1),
    `${a.runs_pred}/${a.runs_true}`,
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
        'run F1',
        'runs pred/true',
        'true kWh',
        'pred kWh',
      ],
      rows,
    ),
    '',
    `whole house: mains ${fmt(r.mains_kwh, 1)} kWh, explained ${fmt(r.explained_kwh, 1)} kWh ` +
      `(${r.explained_share === null ? '–' : `${(100 * r.explained_share).toFixed(1)} %`}; ` +
      `sub-metered energy of the scored appliances ${fmt(r.submetered_kwh, 1)} kWh)`,
  ];
  if (r.unscored.length)
    lines.push('', `not scored (in the data, not in the model): ${r.unscored.join(', ')}`);
  if (r.unmetered.length)
    lines.push('', `no truth (in the model, no sub-meter in the data): ${r.unmetered.join(', ')}`);
  return lines.join('\n');
}

export function registerEval(program: Command, config: CliConfig): void {
  const cmd = program
    .command('eval')
    .description(SUMMARIES.eval)
    .requiredOption(
      '-m, --model <spec>',
      'baseline:mean, baseline:co, default (the active registered model), id@version, or a model directory',
    )
    .option('-d, --data <path>', 'file, directory or glob of data to score on')
    .option(
      '--config <file>',
      "score on a training config's held-out houses (data.test, with their mixed copies) instead of --data; a baseline is fitted on its training split for its heads, as the model card's baselines are",
    )
    .option('--split <name>', 'with --config: test (default) or val')
    .option('-t, --train <path>', 'fit a baseline on this data first (file, directory or glob)')
    .option('--json', 'print exactly one JSON object on stdout')
    .option(
      '--heads-of <spec>',
      "with a baseline and --train: fit it on this model's heads (appliances, groups summed)",
    )
    .option('--reliability <dir>', 'write a reliability diagram (SVG) per appliance into <dir>')
    .option(
      '--postprocess <rule>',
      "a transformer's post-processing instead of its card's: none, runs-v1, runs-v2 or runs-v3",
    );
  withDataFlags(cmd)
    .addHelpText(
      'after',
      '\nExamples:\n  npx nilm eval --model baseline:co --data "../shared/data/refit/REFIT_House20_*" --train "../shared/data/refit/REFIT_House2_*"\n  npx nilm eval --model default --data data/REFIT_House20_2014-09-03_14d.csv.gz --json\n  npx nilm eval --model default --data meter.csv --csv-columns time=ts,mains=power_kw --csv-scale 1000',
    )
    .action(async (opts: EvalOptions) => {
      const log = (m: string): void =>
        void (opts.json ? undefined : process.stderr.write(`${m}\n`));
      const warn = (m: string): void => void process.stderr.write(`warning: ${m}\n`);
      const report = await runEval(opts, config, log, warn);
      process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : `${formatReport(report)}\n`);
    });
}
