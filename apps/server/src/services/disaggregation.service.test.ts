// Proves the disaggregation service works from the estimate backlog on embedded stores
// (PGlite, DuckDB; a tiny random model): the shared scenarios (disaggregation.scenarios.ts), and
// history from before the backlog existed (an audit range fills only its holes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPgliteSqlClient,
  createSqlMetadataStore,
  METADATA_MIGRATIONS,
  runMigrations,
} from '@nilm/stores';
import { openEmbeddedParts, storeReadings } from '../services.fixture.js';
import {
  APPLIANCES,
  ctx,
  DAY,
  disaggregationScenarios,
  expectEachMinuteOnce,
  MIN,
  minutes,
  runToEnd,
  tsOf,
} from './disaggregation.scenarios.js';
import { DisaggregationService } from './disaggregation.service.js';

disaggregationScenarios('PGlite + DuckDB', () => openEmbeddedParts('nilm-disagg-'));

describe('the audit range of an upgraded database', () => {
  beforeAll(async () => {
    const p = await openEmbeddedParts('nilm-disagg-audit-');
    Object.assign(ctx, p, { parts: p });
  }, 120_000);

  afterAll(async () => {
    await ctx.parts?.close();
  }, 120_000);

  it('history from before the backlog: an audit range estimates only the minutes without estimates', async () => {
    // A database from before the backlog (schema version 5) with one building, upgraded.
    const client = await createPgliteSqlClient();
    try {
      await runMigrations(client, METADATA_MIGRATIONS.slice(0, 5));
      await client.query(
        `INSERT INTO buildings (id, name, timezone, created_at) VALUES ('old-home', 'Old', 'UTC', 1)`,
      );
      const oldMetadata = createSqlMetadataStore({ kind: 'pglite', client });
      await oldMetadata.migrate();
      const id = 'old-home';
      const end = Date.UTC(2024, 9, 1);
      // Six days of readings; the old worker estimated the last day and the first two, and
      // left the three days between them without estimates.
      const readings = minutes(end - 6 * DAY, end);
      await ctx.timeseries.writeReadings(id, readings);
      const fill = new DisaggregationService({
        timeseries: ctx.timeseries,
        metadata: ctx.metadata,
        engine: ctx.engine,
      });
      await ctx.parts.metadata.createBuilding({
        id: 'old-home-copy',
        name: 'copy',
        timezone: 'UTC',
        isDemo: false,
        modelRef: null,
      });
      const estimatedBefore = [
        ...minutes(end - 6 * DAY, end - 4 * DAY),
        ...minutes(end - DAY, end),
      ];
      await storeReadings(ctx.parts, 'old-home-copy', estimatedBefore);
      await runToEnd(fill, 'old-home-copy');
      const copied = await ctx.timeseries.readEstimates('old-home-copy', 0, end + DAY);
      await ctx.timeseries.writeEstimates(id, 'tiny@1', copied);
      const kept = await ctx.timeseries.readEstimates(id, end - DAY, end);

      const service = new DisaggregationService({
        timeseries: ctx.timeseries,
        metadata: oldMetadata,
        engine: ctx.engine,
      });
      const runs = await runToEnd(service, id);
      expect(runs.length).toBeLessThanOrEqual(4);
      // The holes are filled: three days, plus at most the minutes a short gap fill adds.
      const written = runs.reduce((s, r) => s + r.written, 0);
      expect(written).toBeGreaterThanOrEqual(3 * 1440 * APPLIANCES);
      expect(written).toBeLessThan(3.01 * 1440 * APPLIANCES);
      await expectEachMinuteOnce(id, tsOf(readings));
      // Minutes that had estimates keep them as they were.
      expect(await ctx.timeseries.readEstimates(id, end - DAY + 10 * MIN, end)).toEqual(
        kept.filter((p) => p.ts >= end - DAY + 10 * MIN),
      );
      expect(await oldMetadata.listPending(id, 10)).toEqual([]);
    } finally {
      await client.close();
    }
  });
});
