/**
 * `p1-esp`: an ESP8266/ESP32 P1 dongle running esp8266_p1meter (fliphess, daniel-jong and
 * zuidwijk forks), publishing one plain number per topic under `sensors/power/p1meter/` after
 * each valid telegram: `actual_consumption` and `actual_returndelivery` in watts (both >= 0;
 * the firmware multiplies the meter's kW by 1000), `l1_instant_power_usage` ..
 * `l3_instant_power_usage` per phase in watts, and currents, voltages, tariffs and gas that carry
 * no power. The original firmware publishes no per-phase return; forks that do name it
 * `l<n>_instant_power_return` or `l<n>_instant_power_returndelivery`. See
 * https://github.com/fliphess/esp8266_p1meter (README, "Data Sent").
 */
import { lastLevel, topicMatches } from '../mqtt.topic.js';
import { type Payload, payloadNumber } from '../payload.rules.js';
import type { MessageParts, Phase, PowerPart } from '../reading.rules.js';
import { type Outcome, ok, unparseable } from '../source.errors.js';
import type { MqttSourceType, TopicMatch } from '../source.types.js';
import { readSettings } from '../settings.rules.js';

export interface P1EspSettings {
  /** 'sensors/power/p1meter/+' by default (the firmware's MQTT_ROOT_TOPIC). */
  topic: string;
}

function topicRole(name: string): Omit<PowerPart, 'watts'> | undefined {
  if (name === 'actual_consumption') return { quantity: 'import' };
  // 'actual_returndelivery' is what the firmware publishes; 'actual_returned' is accepted too.
  if (name === 'actual_returndelivery' || name === 'actual_returned') return { quantity: 'export' };
  const m = /^l([123])_instant_power_(usage|return|returndelivery)$/.exec(name);
  if (m) return { quantity: m[2] === 'usage' ? 'import' : 'export', phase: Number(m[1]) as Phase };
  return undefined;
}

export const p1Esp: MqttSourceType<P1EspSettings> = {
  type: 'p1-esp',
  transport: 'mqtt',

  validate(raw) {
    return readSettings(raw, (r) => ({
      topic: r.topicFilter('topic', { default: 'sensors/power/p1meter/+' }),
    }));
  },

  matchTopic(settings, topic): TopicMatch | undefined {
    if (!topicMatches(settings.topic, topic)) return undefined;
    const name = lastLevel(topic);
    const role = topicRole(name);
    if (!role) return { part: name, power: false };
    const what = role.quantity === 'import' ? 'consumption' : 'return';
    return { part: role.phase ? `${what} L${role.phase}` : what, power: true, ...role };
  },

  parseMessage(settings, topic, payload: Payload): Outcome<MessageParts> {
    const match = this.matchTopic(settings, topic);
    if (!match) return unparseable(`topic '${topic}' does not match '${settings.topic}'`);
    if (!match.power || !match.quantity)
      return ok({ parts: [], ignored: `${match.part} carries no power` });
    const w = payloadNumber(payload);
    if (!w.ok) return w;
    const part: PowerPart = { quantity: match.quantity, watts: w.value };
    if (match.phase) part.phase = match.phase;
    return ok({ parts: [part] });
  },
};
