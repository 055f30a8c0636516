/**
 * The CLI's configuration, read once from the environment at start. No other file reads
 * `process.env`.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CliConfig {
  /** Where shipped models live (the repository's `models/`). */
  modelsDir: string;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Parse the environment; a bad variable stops the process with a message naming it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): CliConfig {
  const modelsDir = resolve(env.NILM_MODELS_DIR ?? resolve(repoRoot, 'models'));
  if (env.NILM_MODELS_DIR !== undefined && !existsSync(modelsDir)) {
    throw new Error(`NILM_MODELS_DIR=${env.NILM_MODELS_DIR}: no such directory`);
  }
  return { modelsDir };
}
