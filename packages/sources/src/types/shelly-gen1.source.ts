/**
 * `shelly-gen1`: Shelly EM and 3EM (first generation) over MQTT. The device publishes one plain
 * number per topic, `shellies/<device-id>/emeter/<i>/power` in watts (negative when the channel
 * returns power to the grid), next to `.../energy`, `.../voltage`, `.../total` and others that
 * carry no power. A 3EM's channels 0..2 are the phases L1..L3; a Shelly EM's channel 1 is often a
 * solar clamp. See the MQTT sections of Shelly EM and Shelly 3EM in
 * https://shelly-api-docs.shelly.cloud/gen1/.
 */
import { topicMatches } from '../mqtt.topic.js';
import { type Payload, payloadNumber } from '../payload.rules.js';
import type { MessageParts, Phase } from '../reading.rules.js';
import { type Outcome, ok, unparseable } from '../source.errors.js';
import type { MqttSourceType, TopicMatch } from '../source.types.js';
import { readSettings } from '../settings.rules.js';
import { type ShellyChannels, em1PhaseCount, readShellyChannels } from './shelly.rules.js';

export interface ShellyGen1Settings extends ShellyChannels {
  /** e.g. 'shellies/shellyem3-485519C9A1B2/emeter/+/power'. */
  topic: string;
}

function channelOf(topic: string): number | undefined {
  const m = /(?:^|\/)emeter\/(\d+)\/power$/.exec(topic);
  return m ? Number(m[1]) : undefined;
}

export const shellyGen1: MqttSourceType<ShellyGen1Settings> = {
  type: 'shelly-gen1',
  transport: 'mqtt',

  validate(raw) {
    return readSettings(raw, (r) => ({ topic: r.topicFilter('topic'), ...readShellyChannels(r) }));
  },

  matchTopic(settings, topic): TopicMatch | undefined {
    if (!topicMatches(settings.topic, topic)) return undefined;
    const ch = channelOf(topic);
    if (ch === undefined) return { part: topic.slice(topic.lastIndexOf('/') + 1), power: false };
    if (ch === settings.production_channel) {
      return { part: `channel ${ch} production`, power: true, quantity: 'production' };
    }
    const index = settings.mains_channels.indexOf(ch);
    if (index < 0) return { part: `channel ${ch} (not configured)`, power: false };
    if (settings.mains_channels.length === 1)
      return { part: `channel ${ch}`, power: true, quantity: 'net' };
    const phase = (index + 1) as Phase;
    return { part: `channel ${ch} L${phase}`, power: true, quantity: 'net', phase };
  },

  parseMessage(settings, topic, payload: Payload): Outcome<MessageParts> {
    const match = this.matchTopic(settings, topic);
    if (!match) return unparseable(`topic '${topic}' does not match '${settings.topic}'`);
    if (!match.power || !match.quantity)
      return ok({ parts: [], ignored: `${match.part} carries no power` });
    const w = payloadNumber(payload);
    if (!w.ok) return w;
    const part = { quantity: match.quantity, watts: w.value };
    const message: MessageParts = {
      parts: [match.phase === undefined ? part : { ...part, phase: match.phase }],
    };
    const phaseCount = em1PhaseCount(settings);
    if (phaseCount) message.phaseCount = phaseCount;
    return ok(message);
  },
};
