/** The server app's entry points (used by the `nilm serve|worker|start` commands and tests). */
export { build } from './app.js';
export { loadConfig, ConfigError, type ServerConfig } from './config.js';
export { createParts } from './app.deps.js';
export { runServer, type RunningServer } from './server.js';
export { StartError } from './storage.health.js';
export { DEMO_BUILDING_ID } from './demo/demo.home.js';
export {
  benchServer,
  formatServerBench,
  SERVER_BENCH_PARTS,
  type ServerBenchPart,
  type ServerBenchResult,
} from './bench/server.bench.js';
