// Proves the tasmota type reads ENERGY.Power from the documented and recorded SENSOR frames (a
// single value, an array per channel or phase), ignores frames without ENERGY, and matches topics.
import { describe, expect, it } from 'vitest';
import { payload } from '../fixtures.testing.js';
import { toReading } from '../reading.rules.js';
import type { Outcome } from '../source.errors.js';
import { tasmota } from './tasmota.source.js';

function value<T>(o: Outcome<T>): T {
  if (!o.ok) throw new Error(`${o.error.code}: ${o.error.message}`);
  return o.value;
}

describe('tasmota', () => {
  it('reads the Teleinfo documentation frame on a custom FullTopic (compteur/tele/SENSOR)', () => {
    const s = value(tasmota.validate({ topic: 'compteur/tele/SENSOR' }));
    const msg = value(
      tasmota.parseMessage(s, 'compteur/tele/SENSOR', payload('tasmota/teleinfo-sensor.txt')),
    );
    expect(msg).toEqual({ parts: [{ quantity: 'net', watts: 860 }], complete: true });
    // Time is local without a zone, so no ts: the caller stamps arrival.
    expect(value(toReading(msg))).toEqual({ netW: 860 });
  });

  it('ignores a SENSOR frame from another sensor (DHT22) and non-SENSOR topics', () => {
    const s = value(tasmota.validate({ topic: 'tele/tasmota/+' }));
    expect(
      value(tasmota.parseMessage(s, 'tele/tasmota/SENSOR', payload('tasmota/dht22-sensor.txt'))),
    ).toEqual({
      parts: [],
      ignored: 'the SENSOR frame has no ENERGY object',
    });
    expect(tasmota.matchTopic(s, 'tele/tasmota/STATE')).toEqual({ part: 'STATE', power: false });
    expect(tasmota.matchTopic(s, 'tele/tasmota/SENSOR')).toEqual({
      part: 'SENSOR telemetry',
      power: true,
    });
    expect(tasmota.matchTopic(s, 'tele/other/SENSOR')).toBeUndefined();
  });

  it('reads an array Power as phases (default), as their sum, or as the first channel', () => {
    const frame = payload('tasmota/dual-r3-array-sensor.txt');
    const read = (array: string) =>
      value(
        toReading(
          value(
            tasmota.parseMessage(
              value(tasmota.validate({ topic: 't/SENSOR', array })),
              't/SENSOR',
              frame,
            ),
          ),
        ),
      );
    expect(read('phases')).toEqual({ netW: 57, phasesW: [52, 5] });
    expect(read('sum')).toEqual({ netW: 57 });
    expect(read('first')).toEqual({ netW: 52 });
  });

  it('keeps the sign of a bidirectional meter and refuses a non-numeric Power', () => {
    const s = value(tasmota.validate({ topic: 't/SENSOR' }));
    const exporting = value(
      tasmota.parseMessage(s, 't/SENSOR', '{"ENERGY":{"Power":[-1200,310,0]}}'),
    );
    expect(value(toReading(exporting))).toEqual({ netW: -890, phasesW: [-1200, 310, 0] });
    const bad = tasmota.parseMessage(s, 't/SENSOR', '{"ENERGY":{"Power":"n/a"}}');
    expect(bad.ok || bad.error.message).toBe('ENERGY.Power is missing or not a number');
    const badArray = tasmota.parseMessage(s, 't/SENSOR', '{"ENERGY":{"Power":[1,null]}}');
    expect(badArray.ok || badArray.error.code).toBe('SOURCE_PAYLOAD_UNPARSEABLE');
  });

  it('validates array, naming it', () => {
    const out = tasmota.validate({ topic: 't/SENSOR', array: 'average' });
    expect(out.ok || out.error.setting).toBe('array');
  });
});
