// Proves the JSON MQTT types read the recorded payloads: glow (kW with the meter's UTC time,
// the gas frame ignored) and json (RFC 6901 pointers, unit, sign, per-phase pointers, values
// that arrive one message at a time).
import { describe, expect, it } from 'vitest';
import { payload } from '../fixtures.testing.js';
import { ReadingAssembler } from '../reading.assembler.js';
import { toReading } from '../reading.rules.js';
import type { Outcome } from '../source.errors.js';
import { glow } from './glow.source.js';
import { json } from './json.source.js';

function value<T>(o: Outcome<T>): T {
  if (!o.ok) throw new Error(`${o.error.code}: ${o.error.message}`);
  return o.value;
}

describe('glow', () => {
  const s = value(glow.validate({ topic: 'glow/E8DB84D1A2B3/#' }));

  it('reads a recorded electricitymeter frame: 0.623 kW is 623 W, stamped with the meter time', () => {
    const msg = value(
      glow.parseMessage(
        s,
        'glow/E8DB84D1A2B3/SENSOR/electricitymeter',
        payload('glow/electricitymeter.txt'),
      ),
    );
    expect(value(toReading(msg))).toEqual({ ts: Date.parse('2022-06-24T13:02:29Z'), netW: 623 });
  });

  it('ignores the gas meter and state topics', () => {
    expect(glow.matchTopic(s, 'glow/E8DB84D1A2B3/SENSOR/gasmeter')).toEqual({
      part: 'gasmeter',
      power: false,
    });
    expect(
      value(
        glow.parseMessage(s, 'glow/E8DB84D1A2B3/SENSOR/gasmeter', payload('glow/gasmeter.txt')),
      ),
    ).toEqual({
      parts: [],
      ignored: 'gasmeter carries no electricity power',
    });
    expect(glow.matchTopic(s, 'glow/OTHERDEVICE/SENSOR/electricitymeter')).toBeUndefined();
  });

  it('refuses an unknown unit rather than guessing', () => {
    const out = glow.parseMessage(
      s,
      'glow/E8DB84D1A2B3/SENSOR/electricitymeter',
      '{"electricitymeter":{"power":{"value":1,"units":"kVA"}}}',
    );
    expect(out.ok || out.error.message).toBe("electricitymeter.power.units is 'kVA', not kW or W");
  });
});

describe('json', () => {
  it("reads a Tasmota SML script's grid power with a JSON pointer", () => {
    const s = value(json.validate({ topic: 'SML/SENSOR', pointer: '/grid/power' }));
    const msg = value(
      json.parseMessage(s, 'SML/SENSOR', payload('json/tasmota-sml-grid-power.txt')),
    );
    expect(value(toReading(msg))).toEqual({ netW: 413 });
    // The script sends power_L1 in a message of its own: nothing at /grid/power there.
    expect(
      value(json.parseMessage(s, 'SML/SENSOR', payload('json/tasmota-sml-grid-power-l1.txt'))),
    ).toEqual({
      parts: [],
      complete: false,
      ignored: 'nothing at /grid/power',
    });
  });

  it('gathers per-phase pointers across messages and reports phases only once all are known', () => {
    const s = value(
      json.validate({
        topic: 'SML/SENSOR',
        pointer: '/grid/power',
        phase_pointers: ['/grid/power_L1', '/grid/power_L2', '/grid/power_L3'],
      }),
    );
    const a = new ReadingAssembler();
    a.add(value(json.parseMessage(s, 'SML/SENSOR', payload('json/tasmota-sml-grid-power.txt'))), 0);
    a.add(
      value(json.parseMessage(s, 'SML/SENSOR', payload('json/tasmota-sml-grid-power-l1.txt'))),
      20,
    );
    expect(value(a.read(30)!)).toEqual({ netW: 413 });
    a.add(value(json.parseMessage(s, 'SML/SENSOR', '{"grid":{"power_L2":300}}')), 40);
    a.add(value(json.parseMessage(s, 'SML/SENSOR', '{"grid":{"power_L3":19}}')), 60);
    expect(value(a.read(70)!)).toEqual({ netW: 413, phasesW: [94, 300, 19] });
  });

  it('applies unit, sign, RFC 6901 escapes, string numbers and a Unix-seconds time', () => {
    const s = value(
      json.validate({
        topic: 'inverter/+/data',
        pointer: '/meter/grid~1net',
        unit: 'kW',
        sign: 'export-positive',
        production_pointer: '/pv/0',
        timestamp_pointer: '/t',
      }),
    );
    const body = '{"t":1717243200,"meter":{"grid/net":"1.25"},"pv":[3.1]}';
    const msg = value(json.parseMessage(s, 'inverter/sn123/data', body));
    expect(value(toReading(msg))).toEqual({
      ts: 1_717_243_200_000,
      netW: -1250,
      productionW: 3100,
    });
  });

  it('reads separate import and export pointers', () => {
    const s = value(json.validate({ topic: 'p1', import_pointer: '/in', export_pointer: '/out' }));
    expect(value(toReading(value(json.parseMessage(s, 'p1', '{"in":0,"out":512}'))))).toEqual({
      importW: 0,
      exportW: 512,
      netW: -512,
    });
  });

  it('refuses a value that is there but not a number, and bad settings by name', () => {
    const s = value(json.validate({ topic: 'x', pointer: '/p' }));
    const bad = json.parseMessage(s, 'x', '{"p":"unavailable"}');
    expect(bad.ok || bad.error.message).toBe('the value at /p is not a number');
    for (const [raw, setting] of [
      [{ topic: 'x' }, 'pointer'],
      [{ topic: 'x', pointer: 'grid/power' }, 'pointer'],
      [{ topic: 'x', pointer: '/a~2' }, 'pointer'],
      [{ topic: 'x', import_pointer: '/in' }, 'export_pointer'],
      [{ topic: 'x', pointer: '/p', phase_pointers: ['/a', 'b'] }, 'phase_pointers'],
      [{ topic: 'x', pointer: '/p', unit: 'mW' }, 'unit'],
    ] as Array<[unknown, string]>) {
      const out = json.validate(raw);
      expect(out.ok || out.error.setting).toBe(setting);
    }
  });
});
