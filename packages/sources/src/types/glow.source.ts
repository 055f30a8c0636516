/**
 * `glow`: a Hildebrand Glow IHD or CAD (UK SMETS2 meters) publishing to a local MQTT broker.
 * Every few seconds it publishes `glow/<device-id>/SENSOR/electricitymeter` with
 * `{"electricitymeter":{"timestamp":"2022-06-24T13:02:29Z","energy":{…},"power":{"value":0.623,
 * "units":"kW"}}}`; the gas meter (`…/SENSOR/gasmeter`) and device state (`…/STATE`) come on
 * sibling topics and carry no electricity power. The power is the meter's instantaneous demand,
 * taken as net power, import positive (no recorded export example yet to confirm the sign). A
 * payload recorded by a user is quoted in
 * https://community.openenergymonitor.org/t/glow-ihd-with-local-mqtt/20689.
 */
import { lastLevel, topicMatches } from '../mqtt.topic.js';
import { type Payload, isObject, payloadObject } from '../payload.rules.js';
import { type MessageParts, epochMsFromIso, numberFrom, toWatts } from '../reading.rules.js';
import { type Outcome, ok, unparseable } from '../source.errors.js';
import type { MqttSourceType } from '../source.types.js';
import { readSettings } from '../settings.rules.js';

export interface GlowSettings {
  /** e.g. 'glow/E8DB84D1A2B3/SENSOR/electricitymeter' or 'glow/E8DB84D1A2B3/#'. */
  topic: string;
}

export const glow: MqttSourceType<GlowSettings> = {
  type: 'glow',
  transport: 'mqtt',

  validate(raw) {
    return readSettings(raw, (r) => ({ topic: r.topicFilter('topic') }));
  },

  matchTopic(settings, topic) {
    if (!topicMatches(settings.topic, topic)) return undefined;
    const name = lastLevel(topic);
    return { part: name, power: name === 'electricitymeter' };
  },

  parseMessage(settings, topic, payload: Payload): Outcome<MessageParts> {
    const match = this.matchTopic(settings, topic);
    if (!match) return unparseable(`topic '${topic}' does not match '${settings.topic}'`);
    if (!match.power)
      return ok({ parts: [], ignored: `${match.part} carries no electricity power` });
    const obj = payloadObject(payload);
    if (!obj.ok) return obj;
    const meter = obj.value['electricitymeter'];
    if (!isObject(meter)) return unparseable('the payload has no electricitymeter object');
    const power = meter['power'];
    if (!isObject(power)) return unparseable('electricitymeter has no power object');
    const value = numberFrom(power['value']);
    if (value === undefined) return unparseable('electricitymeter.power.value is not a number');
    const units = power['units'];
    if (units !== 'kW' && units !== 'W') {
      return unparseable(`electricitymeter.power.units is '${String(units)}', not kW or W`);
    }
    const message: MessageParts = {
      parts: [{ quantity: 'net', watts: toWatts(value, units) }],
      complete: true,
    };
    const ts = epochMsFromIso(meter['timestamp']);
    if (ts !== undefined) message.ts = ts;
    return ok(message);
  },
};
