/** `nilm fit`: fit a classic baseline and save it as a model directory. */
import type { Command } from 'commander';
import { SUMMARIES } from './command.summaries.js';
import { CoBaseline, MeanBaseline, NilmError, loadDataset } from '@nilm/ml';

export function registerFit(program: Command): void {
  program
    .command('fit')
    .description(SUMMARIES.fit)
    .requiredOption('-m, --model <kind>', 'baseline:mean or baseline:co')
    .requiredOption('-t, --train <path>', 'file, directory or glob of training data')
    .requiredOption('-o, --out <dir>', 'model directory to write')
    .option('-a, --appliances <names>', 'comma-separated appliances (default: all in the data)')
    .action(async (opts: { model: string; train: string; out: string; appliances?: string }) => {
      if (opts.model !== 'baseline:mean' && opts.model !== 'baseline:co') {
        throw new NilmError(
          'MODEL_SPEC_INVALID',
          `--model must be baseline:mean or baseline:co, got "${opts.model}" (the transformer is trained with "nilm train")`,
        );
      }
      const log = (m: string): void => void process.stderr.write(`${m}\n`);
      const train = await loadDataset(opts.train, { log });
      const model = opts.model === 'baseline:mean' ? new MeanBaseline() : new CoBaseline();
      await model.fit(train, { appliances: opts.appliances?.split(',').map((a) => a.trim()), log });
      await model.save(opts.out);
      log(`saved ${opts.model} to ${opts.out}`);
    });
}
