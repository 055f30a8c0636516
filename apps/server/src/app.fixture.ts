/**
 * Test support: the whole app (`build`) on fresh embedded parts (PGlite, DuckDB, in-process
 * queue, a tiny model) with an admin, a user and building "home"; tokens signed by the local
 * issuer. Only test files import it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { build } from './app.js';
import { loadConfig } from './config.js';
import { createParts, type Parts } from './app.deps.js';
import { seedMetadata, tinyModelRegistry } from './services.fixture.js';

const ROOT = resolve(import.meta.dirname, '../../..');

export interface TestApp {
  parts: Parts;
  app: FastifyInstance;
  dir: string;
  /** Authorization headers of a local user (`sub`), signed now, valid for `ttlS` seconds. */
  auth(sub: string, role?: 'admin' | 'user', ttlS?: number): Promise<Record<string, string>>;
  close(): Promise<void>;
}

let modelsDir: Promise<string> | undefined;
const root = mkdtempSync(join(tmpdir(), 'nilm-app-fixture-'));
process.once('exit', () => rmSync(root, { recursive: true, force: true }));

/**
 * A fresh app. With local accounts (no external auth in `env`), users "admin" (admin) and
 * "alice" (user) exist and "admin" owns building "home". `now` replaces the app's clock.
 */
export async function openTestApp(
  env: Record<string, string> = {},
  opts: { now?: () => number } = {},
): Promise<TestApp> {
  modelsDir ??= tinyModelRegistry(root);
  const dir = mkdtempSync(join(root, 'run-'));
  const config = loadConfig(
    {
      NILM_WEB_DIR: join(dir, 'no-web-build'),
      NILM_DATA_DIR: join(dir, 'data'),
      NILM_MODELS_DIR: await modelsDir,
      LOG_LEVEL: 'silent',
      DEMO: 'false',
      ...env,
    },
    ROOT,
  );
  seedMetadata(config.dataDir);
  const parts = await createParts(config);
  const app = await build(opts.now ? { ...parts, now: opts.now } : parts);
  if (parts.issuer) {
    for (const [id, role] of [
      ['admin', 'admin'],
      ['alice', 'user'],
    ] as const)
      await parts.metadata.upsertUser({ id, email: `${id}@test`, role, passwordHash: null });
    await parts.metadata.createBuilding({
      id: 'home',
      name: 'Home',
      timezone: 'UTC',
      isDemo: false,
      modelRef: null,
    });
    await parts.metadata.setMember({ buildingId: 'home', userId: 'admin', role: 'owner' });
  }
  return {
    parts,
    app,
    dir,
    auth: async (sub, role = sub === 'admin' ? 'admin' : 'user', ttlS) => {
      const t = await parts.issuer!.sign({ sub, role }, ttlS === undefined ? {} : { ttlSec: ttlS });
      return { authorization: `Bearer ${t.token}` };
    },
    close: async () => {
      await app.close();
      await parts.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
