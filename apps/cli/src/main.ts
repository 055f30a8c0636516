/**
 * The `nilm` command line. Each command lives in its own file; this one wires them together
 * and turns errors into one clear line and an exit code (2: bad input, 1: a bug).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { CliConfigError, loadConfig, type CliConfig } from './config.js';
import { SUMMARIES, type CommandName } from './commands/command.summaries.js';

type Register = (program: Command, config: CliConfig) => void;

/**
 * The commands, each loaded only when it runs (or help lists every option of every command):
 * loading one loads the ML package, which takes about a second, so `nilm --help` and
 * `nilm --version` load none.
 */
const COMMANDS: ReadonlyArray<{ names: readonly CommandName[]; load: () => Promise<Register> }> = [
  { names: ['eval'], load: async () => (await import('./commands/eval.command.js')).registerEval },
  { names: ['fit'], load: async () => (await import('./commands/fit.command.js')).registerFit },
  {
    names: ['train'],
    load: async () => (await import('./commands/train.command.js')).registerTrain,
  },
  {
    names: ['bench'],
    load: async () => (await import('./commands/bench.command.js')).registerBench,
  },
  {
    names: ['models'],
    load: async () => (await import('./commands/models.command.js')).registerModels,
  },
  {
    names: ['start', 'serve', 'worker'],
    load: async () => (await import('./commands/serve.command.js')).registerServe,
  },
  {
    names: ['replay'],
    load: async () => (await import('./commands/replay.command.js')).registerReplay,
  },
  {
    names: ['import'],
    load: async () => (await import('./commands/import.command.js')).registerImport,
  },
  { names: ['data'], load: async () => (await import('./commands/data.command.js')).registerData },
];

/** The CLI package's version, as `nilm --version` prints it. */
const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/**
 * Build the program for `argv`: the command it names is loaded whole; the others are only
 * listed (name and summary), which is all that `nilm --help` shows. A name that is no command
 * loads them all, so the error can suggest the nearest.
 */
export async function buildProgram(argv: readonly string[]): Promise<Command> {
  const config = loadConfig();
  const program = new Command('nilm')
    .description(
      'Open home energy monitor with NILM: evaluate, train and serve disaggregation models',
    )
    .version(VERSION, '-V, --version', 'print the version of nilm')
    .showHelpAfterError()
    .exitOverride();
  const wanted = argv.slice(2).find((a) => !a.startsWith('-'));
  const known = COMMANDS.some((c) => c.names.some((n) => n === wanted));
  for (const c of COMMANDS) {
    if (known ? c.names.some((n) => n === wanted) : wanted !== undefined)
      (await c.load())(program, config);
    else for (const n of c.names) program.command(n).description(SUMMARIES[n]);
  }
  return program;
}

async function main(argv: string[]): Promise<number> {
  try {
    await (await buildProgram(argv)).parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    // Bad input (the ML package's errors, a bad setting) names its code. The ML package is
    // loaded here only when something failed: help and version never load it.
    const { NilmError } = await import('@nilm/ml');
    if (e instanceof NilmError || e instanceof CliConfigError) {
      process.stderr.write(`error [${e.code}]: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv);
