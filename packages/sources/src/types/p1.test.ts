// Proves the P1 types (p1-esp, dsmr-reader) assemble the documented topic lists into readings:
// import and export as positives, net = import - export, per-phase values signed, kW converted to
// W, import-only phases kept out while the meter exports, and a telegram whose phases do not add
// up refused.
import { describe, expect, it } from 'vitest';
import { capture, payload } from '../fixtures.testing.js';
import { ReadingAssembler } from '../reading.assembler.js';
import { toReading } from '../reading.rules.js';
import type { Outcome } from '../source.errors.js';
import { dsmrReader } from './dsmr-reader.source.js';
import { p1Esp } from './p1-esp.source.js';

function value<T>(o: Outcome<T>): T {
  if (!o.ok) throw new Error(`${o.error.code}: ${o.error.message}`);
  return o.value;
}

describe('p1-esp', () => {
  const s = value(p1Esp.validate({}));

  it('defaults to the firmware root topic and says which part each topic is', () => {
    expect(s).toEqual({ topic: 'sensors/power/p1meter/+' });
    const root = 'sensors/power/p1meter';
    expect(p1Esp.matchTopic(s, `${root}/actual_consumption`)).toEqual({
      part: 'consumption',
      power: true,
      quantity: 'import',
    });
    expect(p1Esp.matchTopic(s, `${root}/actual_returndelivery`)).toEqual({
      part: 'return',
      power: true,
      quantity: 'export',
    });
    expect(p1Esp.matchTopic(s, `${root}/l2_instant_power_usage`)).toEqual({
      part: 'consumption L2',
      power: true,
      quantity: 'import',
      phase: 2,
    });
    expect(p1Esp.matchTopic(s, `${root}/l3_instant_power_returndelivery`)).toEqual({
      part: 'return L3',
      power: true,
      quantity: 'export',
      phase: 3,
    });
    expect(p1Esp.matchTopic(s, `${root}/l1_instant_power_current`)).toEqual({
      part: 'l1_instant_power_current',
      power: false,
    });
    expect(p1Esp.matchTopic(s, `${root}/gas_meter_m3`)).toEqual({
      part: 'gas_meter_m3',
      power: false,
    });
    expect(p1Esp.matchTopic(s, 'sensors/power/other/actual_consumption')).toBeUndefined();
  });

  it("assembles the README's 'Data Sent' list: 313 W imported, all on L1", () => {
    const a = new ReadingAssembler();
    for (const m of capture('p1-esp/readme-data-sent.txt'))
      a.add(value(p1Esp.parseMessage(s, m.topic, m.payload)), 0);
    expect(value(a.read(250)!)).toEqual({
      importW: 313,
      exportW: 0,
      netW: 313,
      phasesW: [313, 0, 0],
    });
  });

  it('assembles solar export with per-phase return topics: L1 exports while L2 imports', () => {
    const a = new ReadingAssembler();
    for (const m of capture('p1-esp/solar-export-capture.txt'))
      a.add(value(p1Esp.parseMessage(s, m.topic, m.payload)), 0);
    expect(value(a.read(250)!)).toEqual({
      importW: 0,
      exportW: 2140,
      netW: -2140,
      phasesW: [-2450, 310, 0],
    });
  });

  it('leaves out import-only phases while the meter exports (a phase may export unseen)', () => {
    const a = new ReadingAssembler();
    const root = 'sensors/power/p1meter';
    for (const [t, p] of [
      ['actual_consumption', '0'],
      ['actual_returndelivery', '500'],
      ['l1_instant_power_usage', '200'],
      ['l2_instant_power_usage', '0'],
      ['l3_instant_power_usage', '0'],
    ]) {
      a.add(value(p1Esp.parseMessage(s, `${root}/${t}`, p!)), 0);
    }
    expect(value(a.read(1)!)).toEqual({ importW: 0, exportW: 500, netW: -500 });
  });

  it('refuses a negative consumption', () => {
    const out = toReading(
      value(p1Esp.parseMessage(s, 'sensors/power/p1meter/actual_consumption', '-5')),
    );
    expect(out.ok || out.error.message).toBe(
      'import power is -5 W; delivered and returned power are never negative',
    );
  });
});

describe('dsmr-reader', () => {
  const s = value(dsmrReader.validate({}));

  it('assembles split topics in kW with the telegram time: a 3-phase home exporting 1.644 kW', () => {
    expect(s).toEqual({ topic: 'dsmr/reading/+' });
    const a = new ReadingAssembler();
    for (const m of capture('dsmr-reader/split-topics-solar-export.txt')) {
      a.add(value(dsmrReader.parseMessage(s, m.topic, m.payload)), 0);
    }
    expect(value(a.read(250)!)).toEqual({
      ts: Date.parse('2023-06-29T11:23:35Z'),
      importW: 0,
      exportW: 1644,
      netW: -1644,
      phasesW: [-1856, 212, 0],
    });
  });

  it('converts kW to W exactly and names each topic', () => {
    const msg = value(
      dsmrReader.parseMessage(s, 'dsmr/reading/electricity_currently_delivered', '0.143'),
    );
    expect(msg.parts).toEqual([{ quantity: 'import', watts: 143 }]);
    expect(dsmrReader.matchTopic(s, 'dsmr/reading/phase_currently_returned_l2')).toEqual({
      part: 'returned L2',
      power: true,
      quantity: 'export',
      phase: 2,
    });
    expect(dsmrReader.matchTopic(s, 'dsmr/reading/electricity_delivered_1')).toEqual({
      part: 'electricity_delivered_1',
      power: false,
    });
    expect(dsmrReader.matchTopic(s, 'dsmr/reading/timestamp')).toEqual({
      part: 'timestamp',
      power: false,
    });
  });

  it("refuses the JSON telegram with DSMR-reader's own test values: its phases do not add up", () => {
    const json = value(dsmrReader.validate({ topic: 'dsmr/json' }));
    const msg = value(
      dsmrReader.parseMessage(
        json,
        'dsmr/json',
        payload('dsmr-reader/json-telegram-dsmr-reader-test-values.txt'),
      ),
    );
    expect(msg.ts).toBe(Date.parse('2018-01-01T00:00:00Z'));
    const out = toReading(msg);
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.error.code).toBe('SOURCE_PHASE_MISMATCH');
    expect(out.error.message).toBe('the phases add up to -1600 W but the total is -1000 W');
  });

  it('reads a consistent JSON telegram in one message', () => {
    const json = value(dsmrReader.validate({ topic: 'dsmr/json' }));
    const body =
      '{"timestamp":"2023-06-29T13:23:35+02:00","electricity_currently_delivered":0.212,' +
      '"electricity_currently_returned":0,"phase_currently_delivered_l1":0.212,"phase_currently_returned_l1":0,' +
      '"phase_currently_delivered_l2":null,"phase_currently_returned_l2":null}';
    const msg = value(dsmrReader.parseMessage(json, 'dsmr/json', body));
    expect(value(toReading(msg))).toEqual({
      ts: Date.parse('2023-06-29T11:23:35Z'),
      importW: 212,
      exportW: 0,
      netW: 212,
      phasesW: [212],
    });
  });
});
