/**
 * Test support: one case per MQTT source type that the broker tests run through a real broker
 * (the embedded one in sources.test.ts, Mosquitto in sources.int.test.ts). Each case is a source
 * as an owner would add it, the device's recorded payloads (packages/sources/fixtures) on its
 * native topics under `root`, an optional production meter for homes that export, and what the
 * product must then store: the consumption, the time it is stored at, and the grid values
 * (import, export, production) and phases it measured.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { GridPoint, Reading } from '@nilm/stores';
import { expect } from 'vitest';
import type { RunningServer } from '../server.js';

const FIXTURES = resolve(import.meta.dirname, '../../../../packages/sources/fixtures');

export interface MeterMessage {
  topic: string;
  payload: string;
}

export interface MeterCase {
  /** The source type, also the case's name. */
  type: string;
  settings: Record<string, unknown>;
  /** A production meter (an esphome sensor of the inverter) that publishes first. */
  production?: { topic: string; watts: number };
  messages: MeterMessage[];
  expected: {
    /** Household consumption stored as the reading. */
    powerW: number;
    /** Where the reading is stored: the payload's own time, or undefined for arrival time. */
    ts?: number;
    /** Import, export and production stored beside it (only with production known). */
    grid?: { importW: number; exportW: number; productionW: number };
    /** Signed L1..L3 as the source's status shows them and the store keeps them. */
    phasesW?: number[];
  };
}

function text(path: string): string {
  return readFileSync(resolve(FIXTURES, path), 'utf8').replace(/\n$/, '');
}

/** A capture file's `<topic> <payload>` lines, with each topic moved under `root`. */
function capture(path: string, root: string): MeterMessage[] {
  return text(path)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const i = l.indexOf(' ');
      return { topic: `${root}/${l.slice(0, i)}`, payload: l.slice(i + 1) };
    });
}

/**
 * The cases, with every topic under `root` (so runs on a shared broker never meet). `nowMs`
 * restamps the DSMR-reader capture, whose recorded time (2023) is far older than the
 * production meter's arrival time it must be matched with.
 */
export function meterCases(root: string, nowMs: number): MeterCase[] {
  const recordedDsmr = '2023-06-29T11:23:35Z';
  const dsmrTs = Math.floor(nowMs / 1000) * 1000;
  return [
    {
      type: 'shelly-gen1',
      settings: {
        topic: `${root}/shellies/shellyem3-483FDAC37E3F/emeter/+/+`,
        mains_channels: [0, 1, 2],
      },
      messages: capture('shelly-gen1/3em-capture.txt', root),
      expected: { powerW: 343.96, phasesW: [-8.4, 340.31, 12.05] },
    },
    {
      // The mains sensor and the inverter's sensor on a topic of its own (production_topic).
      type: 'esphome',
      settings: {
        topic: `${root}/vue2/sensor/total_power/state`,
        production_topic: `${root}/vue2/sensor/solar_power/state`,
      },
      messages: [
        {
          topic: `${root}/vue2/sensor/total_power/state`,
          payload: text('esphome/total-power-state.txt'),
        },
        { topic: `${root}/vue2/sensor/solar_power/state`, payload: '2000' },
      ],
      expected: {
        powerW: 3523.4,
        grid: { importW: 1523.4, exportW: 0, productionW: 2000 },
      },
    },
    {
      type: 'dsmr-reader',
      settings: { topic: `${root}/dsmr/reading/+` },
      production: { topic: `${root}/pv/sensor/power/state`, watts: 2500 },
      messages: capture('dsmr-reader/split-topics-solar-export.txt', root).map((m) => ({
        ...m,
        payload: m.payload.replace(recordedDsmr, new Date(dsmrTs).toISOString()),
      })),
      expected: {
        powerW: 856,
        ts: dsmrTs,
        grid: { importW: 0, exportW: 1644, productionW: 2500 },
        phasesW: [-1856, 212, 0],
      },
    },
    {
      type: 'p1-esp',
      settings: { topic: `${root}/sensors/power/p1meter/+` },
      production: { topic: `${root}/pv/sensor/power/state`, watts: 3000 },
      messages: capture('p1-esp/solar-export-capture.txt', root),
      expected: {
        powerW: 860,
        grid: { importW: 0, exportW: 2140, productionW: 3000 },
        phasesW: [-2450, 310, 0],
      },
    },
    {
      // Stored at the meter's own time.
      type: 'glow',
      settings: { topic: `${root}/glow/E8DB84D1A2B3/#` },
      messages: [
        {
          topic: `${root}/glow/E8DB84D1A2B3/SENSOR/gasmeter`,
          payload: text('glow/gasmeter.txt'),
        },
        {
          topic: `${root}/glow/E8DB84D1A2B3/SENSOR/electricitymeter`,
          payload: text('glow/electricitymeter.txt'),
        },
      ],
      expected: { powerW: 623, ts: Date.parse('2022-06-24T13:02:29Z') },
    },
    {
      // An emonTx's JSON node: grid CT (power1, exporting) and the solar CT (power2).
      type: 'emonhub',
      settings: {
        topic: `${root}/emon/emontx4`,
        format: 'json',
        input: 'power1',
        production_input: 'power2',
      },
      messages: [{ topic: `${root}/emon/emontx4`, payload: text('emonhub/json-format-node.txt') }],
      expected: {
        powerW: 324,
        ts: 1_717_243_200_000,
        grid: { importW: 0, exportW: 1523, productionW: 1847 },
      },
    },
    {
      type: 'json',
      settings: { topic: `${root}/SML/SENSOR`, pointer: '/grid/power' },
      messages: [{ topic: `${root}/SML/SENSOR`, payload: text('json/tasmota-sml-grid-power.txt') }],
      expected: { powerW: 413 },
    },
  ];
}

/** What a test needs to feed a case: the running product, its API, and a meter's connection. */
export interface MeterRig {
  server: RunningServer;
  /** The product's API as its owner (JSON body, bearer token). */
  api(path: string, body?: object): Promise<Response>;
  /** An MQTT connection publishing as a meter of the building. */
  connect(buildingId: string): Promise<MqttClient>;
}

/** What the product stored for a case. */
export interface MeterResult {
  readings: Reading[];
  grid: GridPoint[];
  status: Record<string, unknown>;
}

/** Polls `probe` every 100 ms (up to 30 s) until it gives a value. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function sourceStatus(
  rig: MeterRig,
  buildingId: string,
  id: string,
): Promise<Record<string, unknown>> {
  const list = (await (await rig.api(`/buildings/${buildingId}/sources`)).json()) as {
    sources: Array<{ id: string; status: Record<string, unknown> }>;
  };
  return list.sources.find((s) => s.id === id)!.status;
}

/**
 * Adds the case's building and sources through the API, publishes its payloads as the meter
 * would, and returns what was stored once its reading arrived.
 */
export async function feedMeterCase(
  rig: MeterRig,
  c: MeterCase,
  buildingId: string,
): Promise<MeterResult> {
  const add = async (body: object): Promise<string> => {
    const res = await rig.api(`/buildings/${buildingId}/sources`, body);
    if (res.status !== 201) throw new Error(`adding ${JSON.stringify(body)}: ${await res.text()}`);
    return ((await res.json()) as { id: string }).id;
  };
  const created = await rig.api('/buildings', { id: buildingId, name: c.type });
  if (created.status !== 201) throw new Error(`building ${buildingId}: ${await created.text()}`);
  const pv = c.production
    ? await add({ type: 'esphome', role: 'production', settings: { topic: c.production.topic } })
    : undefined;
  const id = await add({ type: c.type, name: c.type, settings: c.settings });
  const meter = await rig.connect(buildingId);
  try {
    if (c.production && pv) {
      await meter.publishAsync(c.production.topic, String(c.production.watts), { qos: 1 });
      await until('the production meter', async () => {
        const s = await sourceStatus(rig, buildingId, pv);
        return s.last_seen ? s : undefined;
      });
    }
    const t0 = Date.now();
    for (const m of c.messages) await meter.publishAsync(m.topic, m.payload, { qos: 1 });
    const [from, to] =
      c.expected.ts === undefined ? [t0 - 1000, t0 + 60_000] : [c.expected.ts, c.expected.ts + 1];
    const readings = await until(`the ${c.type} reading`, async () => {
      const r = await rig.server.parts.timeseries.readReadings(buildingId, from, to);
      return r.length > 0 ? r : undefined;
    });
    const minute = Math.floor(readings[0]!.ts / 60_000) * 60_000;
    const grid = await rig.server.parts.timeseries.readGridBuckets(
      buildingId,
      minute,
      minute + 60_000,
      60,
    );
    const status = await until(`the ${c.type} status`, async () => {
      const s = await sourceStatus(rig, buildingId, id);
      return s.last_seen ? s : undefined;
    });
    return { readings, grid, status };
  } finally {
    await meter.endAsync();
  }
}

/** Asserts that what was stored is what the case expects. */
export function expectMeterCase(c: MeterCase, r: MeterResult): void {
  const e = c.expected;
  expect(r.readings, c.type).toHaveLength(1);
  expect(r.readings[0]!.powerW, c.type).toBeCloseTo(e.powerW, 6);
  if (e.ts !== undefined) expect(r.readings[0]!.ts, c.type).toBe(e.ts);
  if (e.grid || e.phasesW) {
    // Import, export and production only with production known; the phases whenever measured.
    expect(r.grid, c.type).toHaveLength(1);
    const g = r.grid[0]!;
    expect([g.importW, g.exportW, g.productionW], c.type).toEqual([
      e.grid?.importW ?? null,
      e.grid?.exportW ?? null,
      e.grid?.productionW ?? null,
    ]);
    expect(g.phasesW, c.type).toEqual(e.phasesW);
  } else expect(r.grid, c.type).toEqual([]);
  // The phases as measured, on the status owners see (absent for a meter without phases).
  expect(r.status.last_phases_w, c.type).toEqual(e.phasesW);
  expect(r.status.last_error ?? null, c.type).toBeNull();
}
