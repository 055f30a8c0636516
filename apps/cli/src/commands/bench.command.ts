/** `nilm bench`: inference and training speed of the default transformer on this machine. */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
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
    .description(
      'Inference windows/s (batch 64), training windows/s (batch 32), GFLOP per window and achieved GFLOP/s',
    )
    .option(
      '-c, --config <file>',
      'take the architecture from this training config (default: the active model, else configs/default.yaml sizes)',
    )
    .option('-s, --seconds <n>', 'seconds to time each part', '10')
    .option('--json', 'print exactly one JSON object on stdout')
    .option(
      '--server',
      'benchmark the server instead: HTTP ingest vs raw store writes, query latency at 50 clients, worker capacity, history backfill rate',
    )
    .action(
      async (opts: { config?: string; seconds: string; json?: boolean; server?: boolean }) => {
        const seconds = Number(opts.seconds);
        if (opts.server) {
          const { benchServer } = await import('@nilm/server');
          const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
          if (!opts.json)
            process.stderr.write(`benchmarking the server (${seconds} s per part)...\n`);
          const r = await benchServer(process.env, root, seconds);
          process.stdout.write(
            opts.json
              ? `${JSON.stringify(r)}\n`
              : [
                  `stores: ${r.stores.timeseries} + ${r.stores.metadata}, queue ${r.stores.queue}`,
                  `ingest, batches of ${r.ingest.batch}: HTTP ${r.ingest.http_readings_per_s.toFixed(0)} readings/s; store alone ${r.ingest.store_readings_per_s.toFixed(0)} readings/s`,
                  `ingest paths, to stored, as a share of the store's own rate: HTTP JSON ${(r.ingest.http_readings_per_s / r.ingest.store_readings_per_s).toFixed(2)}, line protocol ${r.ingest.line_protocol_readings_per_s.toFixed(0)}/s (${(r.ingest.line_protocol_readings_per_s / r.ingest.store_readings_per_s).toFixed(2)}), MQTT embedded ${r.ingest.mqtt_embedded_readings_per_s.toFixed(0)}/s (${(r.ingest.mqtt_embedded_readings_per_s / r.ingest.store_readings_per_s).toFixed(2)}), MQTT external ${r.ingest.mqtt_external_readings_per_s === null ? 'not configured (MQTT_URL)' : `${r.ingest.mqtt_external_readings_per_s.toFixed(0)}/s (${(r.ingest.mqtt_external_readings_per_s / r.ingest.store_readings_per_s).toFixed(2)})`}`,
                  `one-day readings query (${r.query.points_per_response} points), ${r.query.clients} clients: p50 ${r.query.p50_ms.toFixed(1)} ms, p99 ${r.query.p99_ms.toFixed(1)} ms over ${r.query.requests} requests (one client alone: p50 ${r.query.single_client_p50_ms.toFixed(1)} ms)`,
                  `worker (${r.worker.model}): ${r.worker.run_ms_mean.toFixed(1)} ms per incremental run; keeps up with ${r.worker.homes_at_10s} homes at one reading per 10 s`,
                  `backfill of ${r.backfill.minutes} minutes of history next to live data: ${r.backfill.minutes_per_s.toFixed(0)} minutes/s in ${r.backfill.runs} runs (${r.backfill.seconds.toFixed(1)} s); the engine alone ${r.backfill.engine_minutes_per_s.toFixed(0)} minutes/s (ratio ${r.backfill.ratio_to_engine.toFixed(2)})`,
                ].join('\n') + '\n',
          );
          return;
        }
        if (!(seconds > 0))
          throw new NilmError(
            'CONFIG_INVALID',
            `--seconds must be a positive number, got "${opts.seconds}"`,
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
        const r = await benchTransformer(arch, appliances, { seconds });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ source, ...r })}\n`);
          return;
        }
        const a = r.architecture;
        process.stdout.write(
          [
            `model: window ${a.window} x ${a.periodS} s, patch ${a.patch}, d_model ${a.dModel}, ${a.layers} layers, ${a.heads} heads, ff ${a.ffDim}, ${r.appliances} heads; ${r.parameters} parameters`,
            `GFLOP per window (forward): ${r.gflop_per_window.toFixed(4)}`,
            `inference, batch ${r.inference.batch}: ${r.inference.windows_per_s.toFixed(0)} windows/s (${r.inference.ms_per_batch.toFixed(1)} ms/batch), ${r.inference.gflop_per_s.toFixed(2)} GFLOP/s`,
            `training,  batch ${r.training.batch}: ${r.training.windows_per_s.toFixed(0)} windows/s (${r.training.ms_per_step.toFixed(1)} ms/step), ${r.training.gflop_per_s.toFixed(2)} GFLOP/s`,
            `threads: ${r.threads}`,
          ].join('\n') + '\n',
        );
      },
    );
}
