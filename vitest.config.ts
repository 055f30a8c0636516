import { defineConfig } from 'vitest/config';

// Unit tier: every `*.test.ts` beside its source. Integration tests against real services
// (`*.int.test.ts`) run in their own tier from .ci/run.
export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/*.int.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
