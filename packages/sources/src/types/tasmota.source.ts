/**
 * `tasmota`: a Tasmota device with an energy sensor. Every TelePeriod it publishes
 * `tele/<topic>/SENSOR` (the layout follows its FullTopic setting, e.g. `compteur/tele/SENSOR`)
 * with `{"Time":"…","ENERGY":{"Power":431,…}}` in watts. With several channels or phases,
 * `Power` is an array (`[52,5]` on a Sonoff Dual R3, one value per phase on 3-phase meters).
 * `Time` is the device's local time without a zone, so the caller stamps arrival. SENSOR frames
 * from other sensors on the same device (a switch, a temperature) carry no ENERGY and are
 * ignored. See https://tasmota.github.io/docs/JSON-Status-Responses/ and the Teleinfo page's
 * example, https://tasmota.github.io/docs/Teleinfo/.
 */
import { topicMatches } from '../mqtt.topic.js';
import { type Payload, isObject, payloadObject } from '../payload.rules.js';
import { type MessageParts, type Phase, type PowerPart, numberFrom } from '../reading.rules.js';
import { type Outcome, ok, unparseable } from '../source.errors.js';
import type { MqttSourceType } from '../source.types.js';
import { readSettings } from '../settings.rules.js';

export const TASMOTA_ARRAY_MODES = ['phases', 'sum', 'first'] as const;

export interface TasmotaSettings {
  /** e.g. 'tele/tasmota_8C4A1B/SENSOR'. */
  topic: string;
  /**
   * What an array `Power` means: 'phases' (L1..L3, the default), 'sum' (channels that together
   * are the mains) or 'first' (only the first channel is the mains).
   */
  array: (typeof TASMOTA_ARRAY_MODES)[number];
}

export const tasmota: MqttSourceType<TasmotaSettings> = {
  type: 'tasmota',
  transport: 'mqtt',

  validate(raw) {
    return readSettings(raw, (r) => ({
      topic: r.topicFilter('topic'),
      array: r.oneOf('array', TASMOTA_ARRAY_MODES, 'phases'),
    }));
  },

  matchTopic(settings, topic) {
    if (!topicMatches(settings.topic, topic)) return undefined;
    return topic.endsWith('SENSOR')
      ? { part: 'SENSOR telemetry', power: true }
      : { part: topic.slice(topic.lastIndexOf('/') + 1), power: false };
  },

  parseMessage(settings, topic, payload: Payload): Outcome<MessageParts> {
    const match = this.matchTopic(settings, topic);
    if (!match) return unparseable(`topic '${topic}' does not match '${settings.topic}'`);
    if (!match.power) return ok({ parts: [], ignored: `${match.part} carries no power` });
    const obj = payloadObject(payload);
    if (!obj.ok) return obj;
    const energy = obj.value['ENERGY'];
    if (energy === undefined)
      return ok({ parts: [], ignored: 'the SENSOR frame has no ENERGY object' });
    if (!isObject(energy)) return unparseable('ENERGY is not an object');
    const power = energy['Power'];
    if (Array.isArray(power)) {
      const values = power.map(numberFrom);
      if (values.length === 0 || values.some((v) => v === undefined)) {
        return unparseable('ENERGY.Power is an array with a value that is not a number');
      }
      const watts = values as number[];
      if (settings.array === 'first')
        return ok({ parts: [{ quantity: 'net', watts: watts[0]! }], complete: true });
      if (settings.array === 'sum' || watts.length > 3) {
        return ok({
          parts: [{ quantity: 'net', watts: watts.reduce((a, b) => a + b, 0) }],
          complete: true,
        });
      }
      const parts: PowerPart[] = watts.map((w, i) => ({
        quantity: 'net',
        phase: (i + 1) as Phase,
        watts: w,
      }));
      return ok({ parts, complete: true, phaseCount: parts.length });
    }
    const w = numberFrom(power);
    if (w === undefined) return unparseable('ENERGY.Power is missing or not a number');
    return ok({ parts: [{ quantity: 'net', watts: w }], complete: true });
  },
};
