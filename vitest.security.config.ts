import { defineConfig } from 'vitest/config';
import type { Reporter, TestModule } from 'vitest/node';

/** Ends the run with one line, "N passed, N failed", as .ci/run's summary does. */
class SummaryLine implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    for (const m of modules)
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'failed') failed += 1;
      }
    for (const m of modules) if (m.state() === 'failed' && m.children.size === 0) failed += 1;
    process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
  }
}

// Attack/fault tier (issue 12): the real product (`nilm start`, embedded stores, its own ports)
// attacked over HTTP and MQTT, and faulted (a full tmpfs, SIGTERM during a job). Needs root for
// the tmpfs; no web build. `npm run test:security`; .ci/run counts it in its summary.
export default defineConfig({
  test: {
    include: ['security/**/*.security.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default', new SummaryLine()],
  },
});
