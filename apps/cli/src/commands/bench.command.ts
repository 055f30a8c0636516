/** `nilm bench`: inference and training speed of the default transformer on this machine. */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { SUMMARIES } from './command.summaries.js';
import {
  ArchitectureSchema,
  benchTransformer,
  loadTrainConfig,
  ModelRegistry,
  NilmError,
  readModelCard,
  type Architecture,
} from '@nilm/ml';
import type { CliConfig } from '../config.js';

export function registerBench(program: Command, config: CliConfig): void {
  program
    .command('bench')
    .description(SUMMARIES.bench)
    .option(
      '-c, --config <file>',
      'take the architecture from this training config (default: the active model, else configs/default.yaml sizes)',
    )
    .option('-s, --seconds <n>', 'seconds to time each part', '10')
    .option(
      '-t, --threads <n>',
      'intra-op threads of the model runtime (1: what the all-in-one `nilm start` uses)',
      '1',
    )
    .option('--json', 'print exactly one JSON object on stdout')
    .option(
      '--server',
      'benchmark the server instead: HTTP ingest vs raw store writes, query latency at 50 clients, 30-day and 1-year reads (rows read), worker runs, history backfill rate, reconcile pass, worker capacity',
    )
    .option(
      '--only <parts>',
      'with --server: run only these parts, comma-separated (ingest, query, ranges, worker, backfill, wire, reconcile, capacity)',
    )
    .option('--homes <n>', 'with --server, capacity: simulated homes', '10000')
    .option(
      '--load-seconds <n>',
      'with --server, capacity: seconds the homes send readings for',
      '90',
    )
    .option(
      '--workers <list>',
      'with --server, capacity: worker counts to run, comma-separated',
      '1,2',
    )
    .action(
      async (opts: {
        config?: string;
        seconds: string;
        threads: string;
        json?: boolean;
        server?: boolean;
        only?: string;
        homes: string;
        loadSeconds: string;
        workers: string;
      }) => {
        const seconds = Number(opts.seconds);
        if (opts.server) {
          const { benchServer, formatServerBench, SERVER_BENCH_PARTS } =
            await import('@nilm/server');
          const only = parseParts(opts.only, SERVER_BENCH_PARTS);
          const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
          if (!opts.json)
            process.stderr.write(`benchmarking the server (${seconds} s per part)...\n`);
          const capacity = {
            homes: wholeNumber('--homes', opts.homes, 1, 1_000_000),
            seconds: wholeNumber('--load-seconds', opts.loadSeconds, 1, 86_400),
            workers: opts.workers.split(',').map((w) => wholeNumber('--workers', w.trim(), 1, 8)),
          };
          const r = await benchServer(process.env, root, seconds, only, capacity);
          process.stdout.write(opts.json ? `${JSON.stringify(r)}\n` : formatServerBench(r));
          return;
        }
        if (!(seconds > 0))
          throw new NilmError(
            'CONFIG_INVALID',
            `--seconds must be a positive number, got "${opts.seconds}"`,
          );
        const threads = Number(opts.threads);
        if (!Number.isInteger(threads) || threads < 1 || threads > 64)
          throw new NilmError(
            'CONFIG_INVALID',
            `--threads must be a whole number from 1 to 64, got "${opts.threads}"`,
          );
        let arch: Architecture;
        let source: string;
        let appliances = 4;
        if (opts.config) {
          const c = loadTrainConfig(opts.config);
          arch = ArchitectureSchema.parse(c.model ?? {});
          appliances = c.appliances.length;
          source = opts.config;
        } else {
          const active = (await ModelRegistry.open(config.modelsDir)).active();
          if (active) {
            const card = await readModelCard(active.dir);
            arch = card.architecture;
            appliances = card.appliances.length;
            source = active.ref;
          } else {
            arch = ArchitectureSchema.parse({});
            source = 'built-in defaults';
          }
        }
        if (!opts.json) process.stderr.write(`benchmarking ${source} (${seconds} s per part)...\n`);
        const r = await benchTransformer(arch, appliances, { seconds, threads });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ source, ...r })}\n`);
          return;
        }
        const a = r.architecture;
        process.stdout.write(
          [
            `model: window ${a.window} x ${a.periodS} s, patch ${a.patch}, d_model ${a.dModel}, ${a.layers} layers, ${a.heads} heads, ff ${a.ffDim}, ${r.appliances} heads; ${r.parameters} parameters`,
            `GFLOP per window (forward): ${r.gflop_per_window.toFixed(4)}`,
            `inference, batch ${r.inference.batch}: ${r.inference.windows_per_s.toFixed(0)} windows/s (${r.inference.ms_per_batch.toFixed(1)} ms/batch), ${r.inference.gflop_per_s.toFixed(2)} GFLOP/s; uncontended ${r.inference.uncontended_gflop_per_s.toFixed(2)} GFLOP/s = ${r.inference.of_peak.toFixed(2)} of the MatMul peak (90th percentiles; per call pair: median ${r.inference.of_peak_pairs[1].toFixed(2)}, quartiles ${r.inference.of_peak_pairs[0].toFixed(2)}-${r.inference.of_peak_pairs[2].toFixed(2)}, ${r.inference.pairs} pairs)`,
            `inference layout: ${r.inference.layout_speedup.toFixed(2)}x the speed of the training graph's forward exported as it is (median per call; that one: ${r.inference.plain_layout_of_peak.toFixed(2)} of the MatMul peak)`,
            `training,  batch ${r.training.batch}: ${r.training.windows_per_s.toFixed(0)} windows/s (${r.training.ms_per_step.toFixed(1)} ms/step), ${r.training.gflop_per_s.toFixed(2)} GFLOP/s = ${r.training.of_peak.toFixed(2)} of the MatMul peak`,
            `MatMul peak (512 x 512 x 512, same runtime and threads, this run): ${r.matmul_peak_gflop_per_s.toFixed(2)} GFLOP/s uncontended (90th percentile), median ${r.matmul_median_gflop_per_s.toFixed(2)}`,
            `threads: ${r.threads}; RSS at the end: ${r.rss_mib.toFixed(0)} MiB`,
          ].join('\n') + '\n',
        );
      },
    );
}

/** A whole-number option within [min, max]; anything else stops with the option's name. */
function wholeNumber(name: string, given: string, min: number, max: number): number {
  const n = Number(given);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new NilmError(
      'CONFIG_INVALID',
      `${name} must be a whole number from ${min} to ${max}, got "${given}"`,
    );
  return n;
}

/** `--only a,b` as a list of known parts; an unknown name stops with the list of known ones. */
function parseParts<P extends string>(given: string | undefined, known: readonly P[]): P[] {
  if (given === undefined) return [...known];
  const names = given.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !(known as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0)
    throw new NilmError(
      'CONFIG_INVALID',
      `--only ${JSON.stringify(given)}: unknown part ${unknown.join(', ')}; expected some of ${known.join(', ')}`,
    );
  return names as P[];
}
