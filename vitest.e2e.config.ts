import { defineConfig } from 'vitest/config';

// End-to-end tier: the real server (`nilm start`, embedded defaults, demo home) driven through
// Debian's Chromium with playwright-core. Needs the web app built (`npm run build`) and
// /usr/bin/chromium (or CHROMIUM_PATH). Screenshots land in e2e/artifacts/.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.test.ts'],
    testTimeout: 90_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
