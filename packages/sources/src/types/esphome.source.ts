/**
 * `esphome`: an ESPHome device (an Emporia Vue flashed with ESPHome, a CT clamp board, an
 * ESPHome DSMR reader) publishing over MQTT. Each sensor's state goes to
 * `<topic_prefix>/sensor/<object_id>/state` as a plain number in the unit the sensor is
 * configured with (W or kW), where topic_prefix defaults to the node name. One topic is the
 * mains; optional per-phase and production topics complete the reading. See
 * https://esphome.io/components/mqtt.html.
 */
import { topicMatches } from '../mqtt.topic.js';
import { type Payload, payloadNumber } from '../payload.rules.js';
import { type MessageParts, type Phase, toWatts } from '../reading.rules.js';
import { type Outcome, ok, unparseable } from '../source.errors.js';
import type { MqttSourceType, TopicMatch } from '../source.types.js';
import {
  SIGN_CONVENTIONS,
  type SettingsReader,
  type SignConvention,
  UNITS,
  readSettings,
} from '../settings.rules.js';

export interface PlainTopicSettings {
  /** The mains power topic, e.g. 'vue2/sensor/total_power/state'. */
  topic: string;
  unit: (typeof UNITS)[number];
  sign: SignConvention;
  /** Per-phase power topics, L1 first (up to three). */
  phase_topics?: string[];
  /** A production (solar) power topic. */
  production_topic?: string;
}

/** Reads `topic`, `unit` (W), `sign` (import-positive), `phase_topics` and `production_topic`. */
export function readPlainTopics(r: SettingsReader): PlainTopicSettings {
  const s: PlainTopicSettings = {
    topic: r.topicFilter('topic'),
    unit: r.oneOf('unit', UNITS, 'W'),
    sign: r.oneOf('sign', SIGN_CONVENTIONS, 'import-positive'),
  };
  const phases = r.topicFilterList('phase_topics', 3);
  if (phases) s.phase_topics = phases;
  const production = r.optionalTopicFilter('production_topic');
  if (production) s.production_topic = production;
  return s;
}

/** Which configured topic a message arrived on: production, a phase, or the mains. */
export function matchPlainTopics(s: PlainTopicSettings, topic: string): TopicMatch | undefined {
  if (s.production_topic && topicMatches(s.production_topic, topic)) {
    return { part: 'production', power: true, quantity: 'production' };
  }
  const i = s.phase_topics?.findIndex((f) => topicMatches(f, topic)) ?? -1;
  if (i >= 0) return { part: `L${i + 1}`, power: true, quantity: 'net', phase: (i + 1) as Phase };
  if (topicMatches(s.topic, topic)) return { part: 'mains', power: true, quantity: 'net' };
  return undefined;
}

/** One plain-number message, in the configured unit and sign, as a part. */
export function parsePlainTopic(
  s: PlainTopicSettings,
  topic: string,
  payload: Payload,
): Outcome<MessageParts> {
  const match = matchPlainTopics(s, topic);
  if (!match || !match.quantity)
    return unparseable(`topic '${topic}' is none of this source's topics`);
  const n = payloadNumber(payload);
  if (!n.ok) return n;
  let watts = toWatts(n.value, s.unit);
  if (match.quantity === 'net' && s.sign === 'export-positive') watts = -watts;
  const part = { quantity: match.quantity, watts };
  // With one topic only, each message is the whole reading; otherwise it is one part of many.
  const complete = !s.phase_topics && !s.production_topic;
  const message: MessageParts = {
    parts: [match.phase === undefined ? part : { ...part, phase: match.phase }],
    complete,
  };
  if (s.phase_topics) message.phaseCount = s.phase_topics.length;
  return ok(message);
}

export const esphome: MqttSourceType<PlainTopicSettings> = {
  type: 'esphome',
  transport: 'mqtt',
  validate: (raw) => readSettings(raw, readPlainTopics),
  matchTopic: matchPlainTopics,
  parseMessage: parsePlainTopic,
};
