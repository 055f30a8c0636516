/**
 * The CLI's configuration, read once from the environment at start. No other file reads
 * `process.env`.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A bad setting: bad input (exit 2), with the code the ML package would give it. */
export class CliConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'CliConfigError';
  }
}

export interface CliConfig {
  /** Where shipped models live (the repository's `models/`). */
  modelsDir: string;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Parse the environment; a bad variable stops the process with a message naming it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): CliConfig {
  const modelsDir = resolve(env.NILM_MODELS_DIR ?? resolve(repoRoot, 'models'));
  if (env.NILM_MODELS_DIR !== undefined && !existsSync(modelsDir)) {
    // Bad input (exit 2), not a bug: the message names the variable and what to set instead.
    throw new CliConfigError(
      `NILM_MODELS_DIR=${env.NILM_MODELS_DIR}: no such directory; point it at a model registry (a directory with registry.json, such as the repository's models/) or unset it`,
    );
  }
  return { modelsDir };
}
