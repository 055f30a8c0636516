/**
 * Unit tier global setup: one migrated, empty PGlite metadata folder per run. Starting PGlite
 * on a new folder runs initdb (2-3 s, 20 s and more on a loaded machine); a test app copies this
 * folder instead (`seedMetadata`, 0.3 s), which leaves it the same state as a fresh, migrated
 * store. Removed when the run ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { createPgliteMetadataStore } from '@nilm/stores';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Folder of a migrated, empty PGlite metadata store (unit tier only). */
    metadataTemplate: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const root = mkdtempSync(join(tmpdir(), 'nilm-metadata-template-'));
  const folder = join(root, 'metadata');
  const store = await createPgliteMetadataStore({ dataDir: folder });
  await store.migrate();
  await store.close();
  project.provide('metadataTemplate', folder);
  return () => rmSync(root, { recursive: true, force: true });
}
