#!/usr/bin/env node
// Entry point of the `nilm` command. It runs the compiled JavaScript (each workspace package's
// dist/, written by `npm run build`, which `npm start` runs first) when every package's build is
// at least as new as its sources; otherwise the TypeScript sources through tsx, a development
// dependency, so a build older than the sources (or one that failed) is never run by mistake.
// The production image holds dist/ without sources or tsx. Compiled, `nilm --help` and
// `nilm start` start faster (docs/benchmarks.md).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
// What the root tsconfig.build.json builds: the CLI and every package it loads.
const PACKAGES = [
  'apps/cli',
  'apps/server',
  'packages/contracts',
  'packages/ml',
  'packages/queue',
  'packages/sources',
  'packages/stores',
];

/** Newest modification time of the sources a build compiles (tests are not compiled). */
function newestSource(src) {
  let t = 0;
  for (const name of readdirSync(src, { recursive: true })) {
    if (name.endsWith('.ts') && !name.endsWith('.test.ts'))
      t = Math.max(t, statSync(join(src, name)).mtimeMs);
  }
  return t;
}

/**
 * Whether every package's build is complete and not older than its sources (where shipped):
 * dist/package.json is written last, by scripts/link-dist.mjs, once tsc has built every package
 * without an error.
 */
function built() {
  return PACKAGES.every((pkg) => {
    const stamp = join(root, pkg, 'dist', 'package.json');
    if (!existsSync(stamp)) return false;
    const src = join(root, pkg, 'src');
    return !existsSync(src) || newestSource(src) <= statSync(stamp).mtimeMs;
  });
}

if (built()) {
  await import('../dist/main.js');
} else {
  let tsx;
  try {
    tsx = await import('tsx/esm/api');
  } catch {
    process.stderr.write(
      'error: nilm is not built (or its build is older than its sources): run `npm run build`\n',
    );
    process.exit(2);
  }
  // Said at a terminal only: scripts and tests read stdout and stderr as the command's own.
  if (process.stderr.isTTY)
    process.stderr.write(
      'nilm: running the TypeScript sources (not built, or changed since): `npm run build` compiles them for a faster start\n',
    );
  tsx.register();
  await import('../src/main.ts');
}
