/** `nilm models`: list, register, activate and verify model versions. */
import type { Command } from 'commander';
import { SUMMARIES } from './command.summaries.js';
import { ModelRegistry, readModelCard, readVerifiedWeights } from '@nilm/ml';
import type { CliConfig } from '../config.js';
import { fmt, table } from '../output.js';

export function registerModels(program: Command, config: CliConfig): void {
  const models = program.command('models').description(SUMMARIES.models);
  models
    .command('list')
    .description('List registered models with their held-out scores')
    .option('--json', 'print exactly one JSON array on stdout')
    .action(async (opts: { json?: boolean }) => {
      const reg = await ModelRegistry.open(config.modelsDir);
      const rows = [];
      for (const e of reg.list()) {
        const card = await readModelCard(e.dir);
        rows.push({
          ref: e.ref,
          active: e.active,
          appliances: card.appliances.map((a) => a.name),
          window: card.window,
          period_s: card.period_s,
          test_mean_f1: card.test?.mean.f1 ?? null,
          test_mean_mae_w: card.test?.mean.mae_w ?? null,
          created: card.created,
        });
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows)}\n`);
        return;
      }
      if (rows.length === 0) {
        process.stdout.write(`no models registered in ${config.modelsDir}\n`);
        return;
      }
      process.stdout.write(
        table(
          ['model', 'active', 'appliances', 'window', 'held-out F1', 'held-out MAE W'],
          rows.map((r) => [
            r.ref,
            r.active ? 'yes' : '',
            r.appliances.join(','),
            `${r.window} x ${r.period_s} s`,
            fmt(r.test_mean_f1),
            fmt(r.test_mean_mae_w, 1),
          ]),
        ) + '\n',
      );
    });
  models
    .command('add')
    .description('Register a trained model directory (model.onnx + card.json) as <id>/<version>')
    .argument('<dir>', 'model directory, e.g. runs/default/model')
    .option('--activate', 'make it the active model')
    .action(async (dir: string, opts: { activate?: boolean }) => {
      const e = await (await ModelRegistry.open(config.modelsDir)).add(dir, opts);
      process.stdout.write(`registered ${e.ref}${e.active ? ' (active)' : ''}\n`);
    });
  models
    .command('activate')
    .description('Make a registered model version the active one')
    .argument('<ref>', 'id@version (or id for its newest version)')
    .action(async (ref: string) => {
      const e = await (await ModelRegistry.open(config.modelsDir)).activate(ref);
      process.stdout.write(`active model: ${e.ref}\n`);
    });
  models
    .command('verify')
    .description('Check every registered model against its card (sha256 of the weights)')
    .action(async () => {
      for (const e of (await ModelRegistry.open(config.modelsDir)).list()) {
        await readVerifiedWeights(e.dir, await readModelCard(e.dir));
        process.stdout.write(`ok ${e.ref}\n`);
      }
    });
}
