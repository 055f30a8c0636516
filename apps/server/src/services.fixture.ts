/**
 * Test support: the service URLs .ci/run exports, a fresh PostgreSQL database per test file,
 * free ports, a tiny model registry, and embedded stores with that model. Only test files
 * import it.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { InferenceEngine, ModelRegistry } from '@nilm/ml';
import { writeRandomModel } from '@nilm/ml/testing';
import {
  createPgliteMetadataStore,
  DuckDbTimeSeriesStore,
  type EstimateBacklog,
  type MetadataStore,
  type Reading,
  type TimeSeriesStore,
} from '@nilm/stores';

/** The URLs of the real services; a missing one fails the test file (never skipped). */
export function serviceUrls(): { databaseUrl: string; influxUrl: string } {
  const databaseUrl = process.env.NILM_TEST_DATABASE_URL;
  const influxUrl = process.env.NILM_TEST_INFLUX_URL;
  if (!databaseUrl || !influxUrl) {
    throw new Error(
      'NILM_TEST_DATABASE_URL and NILM_TEST_INFLUX_URL must be set (.ci/run sets them)',
    );
  }
  return { databaseUrl, influxUrl };
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
    s.on('error', fail);
  });
}

/** Create database `name` on the server of `adminUrl`; returns its URL. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Drop database `name`, closing its connections. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}

/** A registry in `dir/models` whose active model is a tiny random `tiny@1`. */
export async function tinyModelRegistry(dir: string): Promise<string> {
  const modelsDir = join(dir, 'models');
  await writeRandomModel(join(dir, 'tiny-src'), { id: 'tiny', version: '1' });
  await (await ModelRegistry.open(modelsDir)).add(join(dir, 'tiny-src'), { activate: true });
  return modelsDir;
}

/**
 * Give the embedded metadata store under `dataDir` (its `metadata` folder, as createParts opens
 * it) the unit tier's migrated template (metadata.template.setup.ts), so it starts without
 * initdb. Under a config without that setup (the integration tier) the store creates it.
 */
export function seedMetadata(dataDir: string): void {
  const template = inject('metadataTemplate');
  if (template === undefined) return;
  cpSync(template, join(dataDir, 'metadata'), { recursive: true });
}

/** Embedded stores (PGlite, in-memory DuckDB) and an engine serving a tiny random model. */
export interface EmbeddedParts {
  metadata: MetadataStore;
  timeseries: DuckDbTimeSeriesStore;
  engine: InferenceEngine;
  /** Close everything and remove the temporary folder. */
  close: () => Promise<void>;
}

export async function openEmbeddedParts(prefix: string): Promise<EmbeddedParts> {
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  const engine = await InferenceEngine.open(await tinyModelRegistry(tmp));
  const metadata = await createPgliteMetadataStore();
  await metadata.migrate();
  const timeseries = await DuckDbTimeSeriesStore.open();
  return {
    metadata,
    timeseries,
    engine,
    close: async () => {
      await timeseries.close();
      await metadata.close();
      await engine.close();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** Store readings as ingest does: write them, then mark them in the estimate backlog. */
export async function storeReadings(
  stores: { timeseries: TimeSeriesStore; metadata: Pick<EstimateBacklog, 'markPending'> },
  buildingId: string,
  readings: readonly Reading[],
): Promise<void> {
  await stores.timeseries.writeReadings(buildingId, readings);
  await stores.metadata.markPending(
    buildingId,
    readings.map((r) => r.ts),
  );
}
