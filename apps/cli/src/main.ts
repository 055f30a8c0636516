/**
 * The `nilm` command line. Each command lives in its own file; this one wires them together
 * and turns errors into one clear line and an exit code (2: bad input, 1: a bug).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { NilmError } from '@nilm/ml';
import { loadConfig } from './config.js';
import { registerData } from './commands/data.command.js';
import { registerEval } from './commands/eval.command.js';
import { registerFit } from './commands/fit.command.js';
import { registerTrain } from './commands/train.command.js';
import { registerBench } from './commands/bench.command.js';
import { registerModels } from './commands/models.command.js';
import { registerServe } from './commands/serve.command.js';
import { registerReplay } from './commands/replay.command.js';
import { registerImport } from './commands/import.command.js';

/** The CLI package's version, as `nilm --version` prints it. */
const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** Build the program (exported for tests). */
export function buildProgram(): Command {
  const config = loadConfig();
  const program = new Command('nilm')
    .description(
      'Open home energy monitor with NILM: evaluate, train and serve disaggregation models',
    )
    .version(VERSION, '-V, --version', 'print the version of nilm')
    .showHelpAfterError()
    .exitOverride();
  registerEval(program, config);
  registerFit(program);
  registerTrain(program);
  registerBench(program, config);
  registerModels(program, config);
  registerServe(program);
  registerReplay(program);
  registerImport(program);
  registerData(program);
  return program;
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof NilmError) {
      process.stderr.write(`error [${e.code}]: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv);
