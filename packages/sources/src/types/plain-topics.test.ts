// Proves the plain-number MQTT types (esphome, emonhub) convert units and signs, place phase and
// production topics, read emonhub's documented node-variable and JSON formats, and name bad
// settings.
import { describe, expect, it } from 'vitest';
import { payload } from '../fixtures.testing.js';
import { ReadingAssembler } from '../reading.assembler.js';
import { toReading } from '../reading.rules.js';
import type { Outcome } from '../source.errors.js';
import { emonhub } from './emonhub.source.js';
import { esphome } from './esphome.source.js';

function value<T>(o: Outcome<T>): T {
  if (!o.ok) throw new Error(`${o.error.code}: ${o.error.message}`);
  return o.value;
}

describe('esphome', () => {
  const topic = 'vue2/sensor/total_power/state';

  it('reads a plain-number state in W, or in kW converted to W', () => {
    const w = value(esphome.validate({ topic }));
    expect(
      value(
        toReading(value(esphome.parseMessage(w, topic, payload('esphome/total-power-state.txt')))),
      ),
    ).toEqual({
      netW: 1523.4,
    });
    const kw = value(esphome.validate({ topic, unit: 'kW' }));
    expect(value(toReading(value(esphome.parseMessage(kw, topic, '1.5234\n'))))).toEqual({
      netW: 1523.4,
    });
  });

  it('flips the sign for a sensor that counts export as positive', () => {
    const s = value(esphome.validate({ topic, sign: 'export-positive' }));
    expect(value(toReading(value(esphome.parseMessage(s, topic, '250'))))).toEqual({ netW: -250 });
    expect(value(toReading(value(esphome.parseMessage(s, topic, '-1523.4'))))).toEqual({
      netW: 1523.4,
    });
  });

  it('assembles mains, three phase topics and a production topic (production keeps its sign)', () => {
    const s = value(
      esphome.validate({
        topic,
        phase_topics: [
          'vue2/sensor/phase_a/state',
          'vue2/sensor/phase_b/state',
          'vue2/sensor/phase_c/state',
        ],
        production_topic: 'vue2/sensor/solar/state',
        sign: 'export-positive',
      }),
    );
    expect(esphome.matchTopic(s, 'vue2/sensor/phase_b/state')).toEqual({
      part: 'L2',
      power: true,
      quantity: 'net',
      phase: 2,
    });
    const a = new ReadingAssembler();
    const messages: Array<[string, string]> = [
      [topic, '800'],
      ['vue2/sensor/phase_a/state', '1000'],
      ['vue2/sensor/phase_b/state', '-250'],
      ['vue2/sensor/phase_c/state', '50'],
      ['vue2/sensor/solar/state', '2100'],
    ];
    for (const [t, p] of messages) a.add(value(esphome.parseMessage(s, t, p)), 0);
    expect(value(a.read(1)!)).toEqual({
      netW: -800,
      phasesW: [-1000, 250, -50],
      productionW: 2100,
    });
  });

  it('refuses what is not a plain number and names bad settings', () => {
    const s = value(esphome.validate({ topic }));
    const bad = esphome.parseMessage(s, topic, 'unavailable');
    expect(bad.ok || bad.error.message).toBe("the payload 'unavailable' is not a plain number");
    for (const [raw, setting] of [
      [{ topic, unit: 'MW' }, 'unit'],
      [{ topic, sign: 'positive' }, 'sign'],
      [{ topic, phase_topics: [] }, 'phase_topics'],
      [{ topic, phase_topics: ['a', 'b', 'c', 'd'] }, 'phase_topics'],
      [{ topic, production_topic: 'x/#/y' }, 'production_topic'],
    ] as Array<[unknown, string]>) {
      const out = esphome.validate(raw);
      expect(out.ok || out.error.setting).toBe(setting);
    }
  });
});

describe('emonhub', () => {
  it("reads the documentation's node-variable example: emon/emontx/power1 → 100 W", () => {
    const s = value(emonhub.validate({ topic: 'emon/emontx/power1' }));
    expect(s).toEqual({
      topic: 'emon/emontx/power1',
      format: 'nodevar',
      sign: 'import-positive',
      input: 'power1',
    });
    const msg = value(
      emonhub.parseMessage(s, 'emon/emontx/power1', payload('emonhub/emontx-power1.txt')),
    );
    expect(msg.complete).toBe(true);
    expect(value(toReading(msg))).toEqual({ netW: 100 });
  });

  it('with a wildcard topic, routes inputs by name and ignores the others (vrms)', () => {
    const s = value(
      emonhub.validate({ topic: 'emon/emonpi/+', input: 'power1', production_input: 'power2' }),
    );
    expect(emonhub.matchTopic(s, 'emon/emonpi/power2')).toEqual({
      part: 'production',
      power: true,
      quantity: 'production',
    });
    expect(emonhub.matchTopic(s, 'emon/emonpi/vrms')).toEqual({ part: 'input vrms', power: false });
    expect(value(emonhub.parseMessage(s, 'emon/emonpi/vrms', '241.3')).ignored).toBe(
      'input vrms is not a configured input',
    );
    const a = new ReadingAssembler();
    a.add(value(emonhub.parseMessage(s, 'emon/emonpi/power1', '-1523')), 0);
    a.add(value(emonhub.parseMessage(s, 'emon/emonpi/power2', '1847')), 5);
    expect(value(a.read(10)!)).toEqual({ netW: -1523, productionW: 1847 });
  });

  it('reads the JSON format with its Unix time', () => {
    const s = value(
      emonhub.validate({
        topic: 'emon/emontx4',
        format: 'json',
        input: 'power1',
        production_input: 'power2',
      }),
    );
    const msg = value(
      emonhub.parseMessage(s, 'emon/emontx4', payload('emonhub/json-format-node.txt')),
    );
    expect(value(toReading(msg))).toEqual({
      ts: 1_717_243_200_000,
      netW: -1523,
      productionW: 1847,
    });
  });

  it('requires input when the topic cannot name it', () => {
    const a = emonhub.validate({ topic: 'emon/emontx/+' });
    expect(a.ok || a.error.setting).toBe('input');
    const b = emonhub.validate({ topic: 'emon/emontx4', format: 'json' });
    expect(b.ok || b.error.setting).toBe('input');
  });
});
