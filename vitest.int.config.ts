import { defineConfig } from 'vitest/config';

// Integration tier: `*.int.test.ts`, against real PostgreSQL, Redis, InfluxDB and Mosquitto.
// .ci/run starts the services and exports their URLs (NILM_TEST_DATABASE_URL,
// NILM_TEST_REDIS_URL, NILM_TEST_INFLUX_URL, NILM_TEST_MQTT_URL); a test whose service URL is
// missing fails, it is never skipped. Files run one at a time: they share those services.
export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.int.test.ts', 'apps/*/src/**/*.int.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
