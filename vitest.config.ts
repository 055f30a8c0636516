import { defineConfig } from 'vitest/config';
import type { Reporter } from 'vitest/node';

/** Ends the run with the tier's wall time, so a slow `npm test` shows in every log. */
class WallTime implements Reporter {
  private started = performance.now();
  onTestRunStart(): void {
    this.started = performance.now();
  }
  onTestRunEnd(): void {
    const s = (performance.now() - this.started) / 1000;
    process.stdout.write(`\nwall time: ${s.toFixed(1)} s\n`);
  }
}

// Unit tier: every `*.test.ts` beside its source in Node, and the web app's tests (React
// components in jsdom) through its own config. Integration tests against real services
// (`*.int.test.ts`, and the trainings on real data in ../shared/data) run in their own tier
// from .ci/run. Hooks get the tests' allowance: a test file's beforeAll starting embedded
// stores (PGlite, DuckDB, a model) on a loaded 2-core machine took 20 s and more.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', new WallTime()],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // A migrated PGlite folder that test apps copy instead of running initdb each.
          globalSetup: ['apps/server/src/metadata.template.setup.ts'],
          include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/*.int.test.ts', 'apps/web/**'],
        },
      },
      'apps/web/vitest.config.ts',
    ],
  },
});
