/**
 * What marking the estimate backlog costs per ingest call (issue 16): one markPending per
 * building, one call after the other (what each ingest call does today), against
 * markPendingMany over calls of 100 and 1000 buildings (what an ingest batcher gathering
 * concurrent calls would do). Run:
 * `npx tsx packages/stores/src/backlog.marks.bench.ts [buildings]` (default 1000).
 * Each way marks one new time in every building, in the hour bucket already pending (as live
 * readings do: every mark after the hour's first is an update), 3 rounds in turns; marks/s per
 * round and the load average are printed. Runs on PGlite in memory and in a data folder (as the
 * server keeps it), and, with DATABASE_URL, on that PostgreSQL database too (a scratch one: the
 * bench adds `mbench-*` buildings and deletes them at the end).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MetadataStore } from './metadata.store.js';
import { createPgliteMetadataStore } from './pglite.metadata.store.js';
import { createPostgresMetadataStore } from './postgres.metadata.store.js';

const ROUNDS = 3;
const [nArg] = process.argv.slice(2);
const n = Number(nArg ?? 1000);
if (!Number.isInteger(n) || n < 1)
  throw new Error(`buildings must be a whole number >= 1, got ${nArg}`);
const say = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);

const stamp = Date.now().toString(36);
const ids = Array.from({ length: n }, (_, i) => `mbench-${stamp}-${i}`);
// The start of an hour, so every time below (under an hour later) stays in one bucket.
const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;

/** Mark `ts` in every building, `size` buildings per markPendingMany call. */
async function many(store: MetadataStore, ts: number, size: number): Promise<void> {
  for (let i = 0; i < n; i += size)
    await store.markPendingMany(
      ids.slice(i, i + size).map((id) => ({ buildingId: id, timesMs: [ts] })),
    );
}

const ways: Array<{ name: string; run: (s: MetadataStore, ts: number) => Promise<void> }> = [
  {
    name: 'markPending, one building per call',
    run: async (s, ts) => {
      for (const id of ids) await s.markPending(id, [ts]);
    },
  },
  { name: 'markPendingMany, 100 per call', run: (s, ts) => many(s, ts, 100) },
  { name: 'markPendingMany, 1000 per call', run: (s, ts) => many(s, ts, 1000) },
];

async function bench(label: string, store: MetadataStore): Promise<void> {
  await store.migrate();
  for (const id of ids)
    await store.createBuilding({ id, name: id, timezone: 'UTC', isDemo: false, modelRef: null });
  // Every building's bucket exists before timing, so each way measures the same update path.
  await many(store, hour, 1000);
  say(`${label}: ${n} buildings created and marked once`);
  const rates = ways.map(() => [] as number[]);
  let ts = hour;
  for (let r = 0; r < ROUNDS; r++) {
    for (const [w, way] of ways.entries()) {
      ts += 1000;
      const t0 = performance.now();
      await way.run(store, ts);
      rates[w]!.push((n * 1000) / (performance.now() - t0));
    }
  }
  // The marks landed: every building's range ends just after the last time marked.
  const [range] = await store.listPending(ids[n - 1]!, 1);
  if (range?.toMs !== ts + 1) throw new Error(`${label}: last mark missing, got ${range?.toMs}`);
  const base = rates[0]!.reduce((a, b) => a + b) / ROUNDS;
  process.stdout.write(`${label}, ${n} buildings, one time each; marks/s, ${ROUNDS} rounds:\n`);
  for (const [w, way] of ways.entries()) {
    const mean = rates[w]!.reduce((a, b) => a + b) / ROUNDS;
    process.stdout.write(
      `  ${way.name.padEnd(34)} ${rates[w]!.map((x) => x.toFixed(0).padStart(8)).join(' ')}` +
        `   (mean ${mean.toFixed(0)}, ${(mean / base).toFixed(1)}x)\n`,
    );
  }
  process.stdout.write(
    `  load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}\n`,
  );
}

{
  const store = await createPgliteMetadataStore({});
  await bench('pglite in memory', store);
  await store.close();
}
{
  const dataDir = await mkdtemp(join(tmpdir(), 'nilm-mbench-'));
  const store = await createPgliteMetadataStore({ dataDir });
  await bench('pglite in a data folder', store);
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
}
const databaseUrl = process.env['DATABASE_URL'];
if (databaseUrl) {
  const store = createPostgresMetadataStore({ connectionString: databaseUrl });
  try {
    await bench('postgres', store);
  } finally {
    for (const id of ids) await store.deleteBuilding(id);
    await store.close();
  }
}
