/**
 * `nilm start` (everything in one process), `nilm serve` (API only) and `nilm worker` (worker
 * only). Configuration comes from the environment (.env.example lists it); SIGTERM and SIGINT
 * shut down gracefully: stop taking requests and jobs, finish running jobs, close stores.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommanderError, type Command } from 'commander';
import { SUMMARIES } from './command.summaries.js';
import { NilmError } from '@nilm/ml';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

async function run(role: 'all' | 'api' | 'worker', port?: string): Promise<void> {
  // The server app is loaded only by these commands: `nilm eval` and friends stay light.
  const { runServer, ConfigError, StartError } = await import('@nilm/server');
  const env = { ...process.env, NILM_ROLE: role, ...(port ? { PORT: port } : {}) };
  let server;
  try {
    server = await runServer(env, repoRoot);
  } catch (e) {
    if (e instanceof ConfigError) throw new NilmError('CONFIG_INVALID', e.message);
    // The start's own words (a full disk, and what to do), without a stack trace.
    if (e instanceof StartError) {
      process.stderr.write(`error [${e.code}]: ${e.message}\n`);
      throw new CommanderError(1, `nilm.${e.code}`, e.message);
    }
    throw e;
  }
  await new Promise<void>((done) => {
    const stop = (signal: string): void => {
      process.stderr.write(`\n${signal}: shutting down (finishing running jobs)...\n`);
      server.close().then(done, (e: unknown) => {
        process.stderr.write(`shutdown error: ${String(e)}\n`);
        done();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

export function registerServe(program: Command): void {
  program
    .command('start')
    .description(SUMMARIES.start)
    .option('-p, --port <port>', 'HTTP port (default: $PORT or 8080)')
    .action(async (o: { port?: string }) => run('all', o.port));
  program
    .command('serve')
    .description(SUMMARIES.serve)
    .option('-p, --port <port>', 'HTTP port (default: $PORT or 8080)')
    .action(async (o: { port?: string }) => run('api', o.port));
  program
    .command('worker')
    .description(SUMMARIES.worker)
    .action(async () => run('worker'));
}
