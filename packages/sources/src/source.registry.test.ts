// Proves the registry knows every type of the issue, validates type and settings with coded
// errors, routes topics and payloads to the right type, and that no parser throws on hostile
// input (every outcome is a value).
import { describe, expect, it } from 'vitest';
import { SourceError } from './source.errors.js';
import {
  SOURCE_TYPE_NAMES,
  type SourceConfig,
  matchSourceTopic,
  parseSourceLines,
  parseSourceMessage,
  parseSourceResponse,
  sourceRequestUrl,
  sourceTopicFilters,
  sourceTransport,
  validateSource,
} from './source.registry.js';

const EXAMPLES: Record<string, unknown> = {
  'shelly-gen2': { topic: 'shellypro3em-1/status/em:0' },
  'shelly-gen1': { topic: 'shellies/shellyem3-1/emeter/+/power', mains_channels: [0, 1, 2] },
  tasmota: { topic: 'tele/tasmota/SENSOR' },
  esphome: { topic: 'vue/sensor/total/state' },
  'dsmr-reader': {},
  'p1-esp': {},
  glow: { topic: 'glow/ABC/SENSOR/electricitymeter' },
  emonhub: { topic: 'emon/emonpi/power1' },
  json: { topic: 'x', pointer: '/p' },
  'shelly-rpc': { url: 'http://s' },
  'homewizard-p1': { url: 'http://h' },
  iotawatt: { url: 'http://i', series: ['Mains'] },
  'line-protocol': { power: { measurement: 'Mains' } },
  'home-assistant': { url: 'http://ha.local:8123', entity_id: 'sensor.grid_power', token: 't' },
};

function config(type: string): SourceConfig {
  const out = validateSource(type, EXAMPLES[type]);
  if (!out.ok) throw out.error;
  return out.value;
}

describe('source registry', () => {
  it('knows the fourteen types of the issue, each with its transport', () => {
    expect([...SOURCE_TYPE_NAMES].sort()).toEqual(Object.keys(EXAMPLES).sort());
    expect(SOURCE_TYPE_NAMES.map((t) => sourceTransport(t))).toEqual([
      ...Array<string>(9).fill('mqtt'),
      'http',
      'http',
      'http',
      'line-protocol',
      'websocket',
    ]);
  });

  it('refuses an unknown type with SOURCE_TYPE_UNKNOWN naming the type setting', () => {
    const out = validateSource('sense', {});
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.error).toBeInstanceOf(SourceError);
    expect(out.error.code).toBe('SOURCE_TYPE_UNKNOWN');
    expect(out.error.setting).toBe('type');
    expect(out.error.toJSON()).toEqual({
      code: 'SOURCE_TYPE_UNKNOWN',
      message: out.error.message,
      details: { setting: 'type' },
    });
  });

  it('refuses settings that are not an object, for every type', () => {
    for (const type of SOURCE_TYPE_NAMES) {
      for (const raw of [null, 'x', 3, []]) {
        const out = validateSource(type, raw);
        expect(out.ok || [out.error.code, out.error.setting]).toEqual([
          'SOURCE_SETTING_INVALID',
          'settings',
        ]);
      }
    }
  });

  it('lists every topic filter an MQTT source listens on, phase and production topics too', () => {
    const esp = validateSource('esphome', {
      topic: 'house/sensor/power/state',
      phase_topics: ['house/sensor/l1/state', 'house/sensor/l2/state'],
      production_topic: 'pv/sensor/power/state',
    });
    expect(esp.ok && sourceTopicFilters(esp.value)).toEqual([
      'house/sensor/power/state',
      'house/sensor/l1/state',
      'house/sensor/l2/state',
      'pv/sensor/power/state',
    ]);
    expect(sourceTopicFilters(config('tasmota'))).toEqual([
      (config('tasmota').settings as { topic: string }).topic,
    ]);
    expect(sourceTopicFilters(config('homewizard-p1'))).toEqual([]);
  });

  it('routes topics, messages, responses and bodies by type', () => {
    expect(
      matchSourceTopic(config('p1-esp'), 'sensors/power/p1meter/actual_consumption')?.quantity,
    ).toBe('import');
    expect(matchSourceTopic(config('shelly-rpc'), 'anything')).toBeUndefined();
    const parsed = parseSourceMessage(config('emonhub'), 'emon/emonpi/power1', '42');
    expect(parsed.ok && parsed.value.parts).toEqual([{ quantity: 'net', watts: 42 }]);
    expect(parseSourceResponse(config('homewizard-p1'), '{"active_power_w":-5}')).toEqual({
      ok: true,
      value: { netW: -5 },
    });
    expect(sourceRequestUrl(config('homewizard-p1'))).toBe('http://h/api/v1/data');
    expect(sourceRequestUrl(config('tasmota'))).toBeUndefined();
    expect(parseSourceLines(config('line-protocol'), 'Mains value=7')).toEqual({
      ok: true,
      value: [{ netW: 7 }],
    });
    const wrong = parseSourceResponse(config('tasmota'), '{}');
    expect(wrong.ok || wrong.error.code).toBe('SOURCE_TYPE_UNKNOWN');
  });

  it('never throws on hostile payloads: every outcome is a value (property, plain loop)', () => {
    const hostile: Array<string | Uint8Array> = [
      '',
      ' ',
      'null',
      '[]',
      '{}',
      '"x"',
      '{"__proto__":{"total_act_power":1}}',
      '{"ENERGY":{"Power":{"a":1}}}',
      '{"electricitymeter":null}',
      '{"method":"NotifyStatus","params":{"em:0":null,"em1:0":"x"}}',
      '1e400',
      '-',
      'NaN',
      '{"data":[[null],[1,2,3,"x"]],"labels":[1,2]}',
      'm v=1 1\n\\',
      new Uint8Array([0xc3, 0x28]),
      new Uint8Array(0),
      '{'.repeat(5000),
    ];
    const topics = [
      'a',
      'x/status/em:0',
      'x/events/rpc',
      'sensors/power/p1meter/actual_consumption',
      'dsmr/json',
      'emon/emonpi/power1',
    ];
    for (const type of SOURCE_TYPE_NAMES) {
      const c = config(type);
      for (const body of hostile) {
        for (const t of topics) {
          const m = parseSourceMessage(c, t, body);
          expect(typeof m.ok).toBe('boolean');
        }
        expect(typeof parseSourceResponse(c, body).ok).toBe('boolean');
        expect(typeof parseSourceLines(c, body).ok).toBe('boolean');
      }
    }
  });
});
