// Proves how a named found device's runs become a fine-tune's data (embedded PGlite and DuckDB):
// its step power over each run's minutes, 0 W elsewhere in its span (a missed run is off), NaN
// outside the span; a sub-meter reading and a label of the same name take precedence; its head
// is named by its estimate name (canonical for a vocabulary one, which gets no label/threshold
// entry) with an on threshold at 30 % of its median step; a device renamed after its job was
// queued is refused when the job runs.
import type { FoundDeviceRecord } from '@nilm/stores';
import { createPgliteMetadataStore, DuckDbTimeSeriesStore } from '@nilm/stores';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHomeSeries } from './finetune.data.js';
import { deviceHead, finetuneHeads, queuedHeads } from './finetune.devices.js';

const MIN = 60_000;
const H = 3_600_000;
const NOW = Date.UTC(2026, 10, 10);
const FROM = NOW - 10 * H;

let metadata: Awaited<ReturnType<typeof createPgliteMetadataStore>>;
let timeseries: DuckDbTimeSeriesStore;

/** A named device with runs of 10 minutes at 1, 3, 5, 7 and 9 h after FROM (steps 880-920 W). */
function device(over: Partial<FoundDeviceRecord> = {}): FoundDeviceRecord {
  const runList = [1, 3, 5, 7, 9].map((h, k) => ({
    startMs: FROM + h * H,
    endMs: FROM + h * H + 10 * MIN,
    powerW: 880 + 10 * k,
  }));
  return {
    id: 'd1',
    buildingId: 'home',
    label: 'Device A',
    status: 'named',
    mergedInto: null,
    name: 'Pond pump',
    appliance: null,
    foundAt: 0,
    updatedAt: 0,
    signature: { powerW: 900, runMinutes: 10, periodMinutes: 120 },
    stats: {
      runs: 5,
      runsPerDay: 12,
      energyPerMonthKWh: 1,
      hourProfile: [],
      examples: [],
      fromMs: FROM + H / 2,
      toMs: NOW - H / 2,
      runList,
    },
    ...over,
  };
}

beforeAll(async () => {
  metadata = await createPgliteMetadataStore();
  await metadata.migrate();
  timeseries = await DuckDbTimeSeriesStore.open();
  await metadata.createBuilding({
    id: 'home',
    name: 'home',
    timezone: 'UTC',
    isDemo: false,
    modelRef: null,
  });
  const readings = [];
  for (let ts = FROM; ts < NOW; ts += MIN) readings.push({ ts, powerW: 300 });
  await timeseries.writeReadings('home', readings);
  // A plug read the pump from 3 h to 4 h (a run of 12 minutes at 700 W, longer than found).
  const plug = [];
  for (let ts = FROM + 3 * H; ts < FROM + 4 * H; ts += MIN)
    plug.push({ ts, powerW: ts < FROM + 3 * H + 12 * MIN ? 700 : 0 });
  await timeseries.writeSubmeter('home', 'Pond pump', plug);
  // The owner marked 5 h to 5 h 20 as "this was the Pond pump".
  await metadata.addLabel({
    buildingId: 'home',
    appliance: 'Pond pump',
    kind: 'on',
    startMs: FROM + 5 * H,
    endMs: FROM + 5 * H + 20 * MIN,
    note: null,
    createdBy: null,
  });
}, 120_000);

afterAll(async () => {
  await metadata?.close();
  await timeseries?.close();
});

describe("a named device's data", () => {
  it('is its runs, 0 W between them in its span, with sub-meters and labels first', async () => {
    const head = deviceHead(device(), 'd1');
    expect(head).toMatchObject({ name: 'Pond pump', label: 'Pond pump', vocabulary: false });
    expect(head.onThresholdW).toBe(270);
    const s = await readHomeSeries({ timeseries, metadata }, 'home', ['Pond pump'], FROM, NOW, [
      head,
    ]);
    const ch = s.appliances['Pond pump']!;
    const at = (m: number) => ch[m];
    expect(Number.isNaN(at(0))).toBe(true); // before its span
    expect(at(45)).toBe(0); // in its span, between runs
    expect(at(60)).toBe(880); // its first run
    expect(at(69)).toBe(880);
    expect(at(70)).toBe(0);
    expect(at(180 + 11)).toBe(700); // the plug's reading, not the run's 890 W
    expect(at(180 + 30)).toBe(0);
    // The labelled minutes teach on (power unknown), even past the run's end.
    expect(Number.isNaN(at(300 + 15))).toBe(true);
    expect(s.onLabelled?.['Pond pump']?.[300 + 15]).toBe(1);
    expect(at(420)).toBe(910);
    expect(Number.isNaN(at(ch.length - 1))).toBe(true); // after its span
  });

  it('names a vocabulary device by its canonical name and describes only the others', () => {
    const kettle = deviceHead(device({ name: 'Kettle' }), 'd1');
    expect(kettle).toMatchObject({ name: 'kettle', label: 'Kettle', vocabulary: true });
    const typed = deviceHead(device({ name: null, appliance: 'fridge' }), 'd1');
    expect(typed.name).toBe('fridge');
    expect(finetuneHeads([kettle, typed, deviceHead(device(), 'd1')])).toEqual([
      { name: 'Pond pump', label: 'Pond pump', onThresholdW: 270 },
    ]);
    // A device renamed after its job was queued is refused when the job runs.
    expect(() => queuedHeads([kettle], ['Pond pump'])).toThrow(/now called "Kettle"/);
    expect(queuedHeads([kettle], ['kettle'])).toEqual([kettle]);
  });
});
