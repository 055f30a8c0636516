// Proves the demo home is created only when the demo is on: a production start (NODE_ENV=production
// with DEMO unset) and a start with DEMO=false list no "demo-home"; DEMO=true creates it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runServer } from '../server.js';
import { tinyModelRegistry } from '../services.fixture.js';
import { DEMO_BUILDING_ID } from './demo.home.js';

const tmp = mkdtempSync(join(tmpdir(), 'nilm-demo-start-'));
let modelsDir: string;
beforeAll(async () => {
  modelsDir = await tinyModelRegistry(tmp);
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The building ids of a server started with `env` (API role, no MQTT, a fresh data folder). */
async function buildingsAfterStart(name: string, env: Record<string, string>): Promise<string[]> {
  const running = await runServer(
    {
      NILM_DATA_DIR: join(tmp, name),
      NILM_MODELS_DIR: modelsDir,
      NILM_WEB_DIR: join(tmp, 'no-web-build'),
      NILM_ADMIN_PASSWORD: 'demo-start-password',
      LOG_LEVEL: 'silent',
      PORT: '0',
      HOST: '127.0.0.1',
      NILM_ROLE: 'api',
      MQTT_EMBEDDED_PORT: '0',
      DEMO_BACKFILL_HOURS: '1',
      ...env,
    },
    resolve(import.meta.dirname, '../../../..'),
  );
  try {
    return (await running.parts.metadata.listBuildings()).map((b) => b.id);
  } finally {
    await running.close();
  }
}

describe('the demo home at start-up', () => {
  it('is not created in production (NODE_ENV=production, DEMO unset)', async () => {
    expect(await buildingsAfterStart('prod', { NODE_ENV: 'production' })).not.toContain(
      DEMO_BUILDING_ID,
    );
  }, 120_000);

  it('is not created with DEMO=false', async () => {
    expect(await buildingsAfterStart('off', { DEMO: 'false' })).not.toContain(DEMO_BUILDING_ID);
  }, 120_000);

  it('is created with DEMO=true, even in production', async () => {
    expect(await buildingsAfterStart('on', { NODE_ENV: 'production', DEMO: 'true' })).toContain(
      DEMO_BUILDING_ID,
    );
  }, 120_000);
});
