// Proves that asking for a building's history to be estimated again marks every hour from its
// oldest to its newest reading in the estimate backlog (each hour's whole span, gaps included),
// in batches, and nothing for a building without readings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedParts, type EmbeddedParts } from '../services.fixture.js';
import { markHistoryPending } from './history.recompute.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);
let p: EmbeddedParts;

beforeAll(async () => {
  p = await openEmbeddedParts('nilm-history-');
  for (const id of ['a', 'empty'])
    await p.metadata.createBuilding({
      id,
      name: id,
      timezone: 'UTC',
      isDemo: false,
      modelRef: null,
    });
}, 60_000);
afterAll(async () => p?.close());

describe('markHistoryPending', () => {
  it('marks every hour between the oldest and newest reading, across batches', async () => {
    // Readings at 00:30 on day 0 and 23:10 on day 99 (2 400 hours apart: two batches).
    await p.timeseries.writeReadings('a', [
      { ts: T0 + 0.5 * H, powerW: 100 },
      { ts: T0 + 99 * 24 * H + 23 * H + 600_000, powerW: 100 },
    ]);
    expect(await markHistoryPending(p, 'a')).toBe(100 * 24);
    const s = await p.metadata.backlogSummary('a');
    expect(s.ranges).toBe(100 * 24);
    expect(s.fromMs).toBe(T0 + 0.5 * H);
    expect(s.toMs).toBe(T0 + 99 * 24 * H + 23 * H + 600_000 + 1);
    expect(await markHistoryPending(p, 'empty')).toBe(0);
    expect((await p.metadata.backlogSummary('empty')).ranges).toBe(0);
  });
});
