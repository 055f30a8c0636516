import { defineConfig } from 'vitest/config';

// Unit tier: every `*.test.ts` beside its source in Node, and the web app's tests (React
// components in jsdom) through its own config. Integration tests against real services
// (`*.int.test.ts`) run in their own tier from .ci/run.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/*.int.test.ts', 'apps/web/**'],
        },
      },
      'apps/web/vitest.config.ts',
    ],
  },
});
