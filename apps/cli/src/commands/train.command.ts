/** `nilm train`: train the multi-head transformer from a YAML config. */
import { basename } from 'node:path';
import type { Command } from 'commander';
import { SUMMARIES } from './command.summaries.js';
import {
  evaluate,
  loadTrainConfig,
  prepareTrainData,
  scoreBaselines,
  trainHeadsOnBase,
  trainTransformer,
  TransformerModel,
  type EvalReport,
  type ModelCard,
} from '@nilm/ml';
import { formatDuration, progressBar } from '../progress.js';

/** What the card keeps of an eval report: the numbers, with the reliability bins as their ECE. */
function scores(r: EvalReport): Record<string, Record<string, number | null>> {
  return Object.fromEntries(
    Object.entries(r.appliances).map(([a, { reliability, ...s }]) => [
      a,
      { ...s, ece: reliability?.ece ?? null },
    ]),
  );
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description(SUMMARIES.train)
    .requiredOption('-c, --config <file>', 'YAML training config (see configs/default.yaml)')
    .option('-o, --out <dir>', 'run directory (default: runs/<name>-<version>)')
    .option('--resume', 'continue the run in --out from its last checkpoint')
    .addHelpText(
      'after',
      '\nWrites into the run directory: metrics.jsonl, curves.svg, checkpoint/, best.bin and model/ (model.onnx + card.json).',
    )
    .action(async (opts: { config: string; out?: string; resume?: boolean }) => {
      const log = (m: string): void => void process.stderr.write(`${progressBar.clear()}${m}\n`);
      const config = loadTrainConfig(opts.config);
      const outDir = opts.out ?? `runs/${config.name}-${config.version ?? 'dev'}`;
      const data = await prepareTrainData(config, log);
      const command = `npx nilm train --config ${opts.config}${opts.out ? ` --out ${opts.out}` : ''}`;
      const t0 = performance.now();
      const { data: _files, ...settings } = config;
      const evaluateTest = data.test
        ? async (bytes: Uint8Array, card: ModelCard): Promise<ModelCard['test']> => {
            log(
              `scoring the held-out data (${(data.describe.test ?? []).map((p) => basename(p)).join(', ')})`,
            );
            const model = await TransformerModel.fromBytes(card, bytes);
            const report = await evaluate(model, data.test!, `${card.id}@${card.version}`);
            await model.release();
            // The card's baselines, fitted and scored as `nilm eval --config` does.
            const base = await scoreBaselines(
              data.train,
              data.test!,
              card.appliances.map((a) => a.name),
            );
            const houses = report.houses.map(
              (h, i) => ({ ...h, ...base.houses[i] }) as Record<string, unknown>,
            );
            return {
              data: data.describe.test ?? [],
              samples: report.samples,
              appliances: scores(report),
              mean: report.mean,
              baselines: base.baselines,
              baselines_config: opts.config,
              houses,
            };
          }
        : undefined;
      const result = config.base
        ? await trainHeadsOnBase(config, data, {
            outDir,
            resume: opts.resume,
            command,
            log,
            progress: (p) =>
              progressBar.draw(
                `epoch ${p.epoch}/${p.epochs}`,
                p.step / p.steps,
                `loss ${p.loss.toFixed(4)}`,
              ),
            evaluateVal: async (bytes, card) => {
              log('scoring the validation houses');
              const model = await TransformerModel.fromBytes(card, bytes);
              const report = await evaluate(model, data.val, `${card.id}@${card.version}`);
              await model.release();
              return {
                validation: Object.fromEntries(
                  Object.entries(report.appliances).map(([a, s]) => [
                    a,
                    { f1: s.f1, mae_w: s.mae_w },
                  ]),
                ),
                validation_houses: Object.fromEntries(
                  report.houses.map((h) => [
                    h.source,
                    Object.fromEntries(
                      Object.entries(h.appliances ?? {}).map(([a, s]) => [
                        a,
                        { f1: s.f1, mae_w: s.mae_w ?? 0 },
                      ]),
                    ),
                  ]),
                ),
              };
            },
            evaluateTest,
          })
        : await trainTransformer(settings, data, {
            outDir,
            resume: opts.resume,
            command,
            log,
            progress: (p) =>
              progressBar.draw(
                `epoch ${p.epoch}/${p.epochs}`,
                p.step / p.steps,
                `loss ${p.loss.toFixed(4)} lr ${p.lr.toExponential(1)} ${p.windowsPerS.toFixed(0)} win/s ETA ${formatDuration(p.etaS)}`,
              ),
            evaluateTest,
          });
      log(`done in ${formatDuration((performance.now() - t0) / 1000)}: ${result.modelDir}`);
      if (result.card.test) {
        for (const [a, s] of Object.entries(result.card.test.appliances))
          log(`  held-out ${a}: F1 ${s.f1?.toFixed(3)} MAE ${s.mae_w?.toFixed(1)} W`);
        log(
          `  held-out mean F1 ${result.card.test.mean.f1?.toFixed(3)}, MAE ${result.card.test.mean.mae_w?.toFixed(1)} W`,
        );
      }
    });
}
