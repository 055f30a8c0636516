/**
 * `emonhub`: OpenEnergyMonitor emonPi / emonTx / emonBase through emonhub's MQTT interfacer on
 * the emonPi's broker. The default "node variable" format publishes one plain number per topic,
 * `emon/<nodename>/<input>` (`emon/emonpi/power1` → `100`, watts; a CT may be signed with
 * solar). The optional JSON format publishes `emon/<nodename>` with
 * `{"power1":100,…,"time":<unix seconds>}` (set `format: 'json'`). See
 * https://docs.openenergymonitor.org/emonhub/configuration.html (MQTT interfacer).
 */
import { lastLevel, topicMatches } from '../mqtt.topic.js';
import { type Payload, isObject, payloadJson, payloadText } from '../payload.rules.js';
import { type MessageParts, type Phase, type PowerPart, numberFrom } from '../reading.rules.js';
import { type Outcome, ok, unparseable } from '../source.errors.js';
import type { MqttSourceType, TopicMatch } from '../source.types.js';
import { SIGN_CONVENTIONS, type SignConvention, readSettings } from '../settings.rules.js';

export const EMONHUB_FORMATS = ['nodevar', 'json'] as const;

export interface EmonhubSettings {
  /** e.g. 'emon/emonpi/power1', 'emon/emontx4/+' or (JSON format) 'emon/emontx4'. */
  topic: string;
  /** 'nodevar' (one number per topic, the default) or 'json' (one object per node). */
  format: (typeof EMONHUB_FORMATS)[number];
  /** The input that is the mains (default: the topic's last level, when that is not a wildcard). */
  input?: string;
  /** Inputs that are phases L1..L3 (a 3-phase emonTx4). */
  phase_inputs?: string[];
  /** The input of a solar CT. */
  production_input?: string;
  sign: SignConvention;
}

function roleOf(s: EmonhubSettings, input: string): Omit<PowerPart, 'watts'> | undefined {
  if (input === s.production_input) return { quantity: 'production' };
  const i = s.phase_inputs?.indexOf(input) ?? -1;
  if (i >= 0) return { quantity: 'net', phase: (i + 1) as Phase };
  if (input === s.input) return { quantity: 'net' };
  return undefined;
}

function signed(s: EmonhubSettings, role: Omit<PowerPart, 'watts'>, value: number): PowerPart {
  const watts = role.quantity === 'net' && s.sign === 'export-positive' ? -value : value;
  return { ...role, watts };
}

export const emonhub: MqttSourceType<EmonhubSettings> = {
  type: 'emonhub',
  transport: 'mqtt',

  validate(raw) {
    return readSettings(raw, (r) => {
      const topic = r.topicFilter('topic');
      const format = r.oneOf('format', EMONHUB_FORMATS, 'nodevar');
      const sign = r.oneOf('sign', SIGN_CONVENTIONS, 'import-positive');
      const s: EmonhubSettings = { topic, format, sign };
      const last = lastLevel(topic);
      const input = r.optionalString('input', { maxLength: 64 });
      if (input) s.input = input;
      else if (format === 'nodevar' && last !== '+' && last !== '#') s.input = last;
      const phases = r.stringList('phase_inputs', 3);
      if (phases) s.phase_inputs = phases;
      const production = r.optionalString('production_input', { maxLength: 64 });
      if (production) s.production_input = production;
      if (!s.input && !s.phase_inputs) {
        r.refuse(
          'input',
          "is required with the JSON format or a topic ending in a wildcard (e.g. 'power1')",
        );
      }
      return s;
    });
  },

  matchTopic(settings, topic): TopicMatch | undefined {
    if (!topicMatches(settings.topic, topic)) return undefined;
    if (settings.format === 'json') return { part: `node ${lastLevel(topic)}`, power: true };
    const role = roleOf(settings, lastLevel(topic));
    if (!role) return { part: `input ${lastLevel(topic)}`, power: false };
    const part = role.phase ? `L${role.phase}` : role.quantity === 'net' ? 'mains' : 'production';
    return { part, power: true, ...role };
  },

  parseMessage(settings, topic, payload: Payload): Outcome<MessageParts> {
    const match = this.matchTopic(settings, topic);
    if (!match) return unparseable(`topic '${topic}' does not match '${settings.topic}'`);
    if (settings.format === 'json') return jsonFormat(settings, payload);
    if (!match.quantity)
      return ok({ parts: [], ignored: `${match.part} is not a configured input` });
    const text = payloadText(payload);
    if (!text.ok) return text;
    const value = numberFrom(text.value);
    if (value === undefined)
      return unparseable(`the payload '${text.value.slice(0, 40)}' is not a plain number`);
    const single = !settings.phase_inputs && !settings.production_input;
    const role = match.phase
      ? { quantity: match.quantity, phase: match.phase }
      : { quantity: match.quantity };
    const message: MessageParts = { parts: [signed(settings, role, value)], complete: single };
    if (settings.phase_inputs) message.phaseCount = settings.phase_inputs.length;
    return ok(message);
  },
};

/** The JSON format: every input of a node in one object, with `time` in Unix seconds. */
function jsonFormat(s: EmonhubSettings, payload: Payload): Outcome<MessageParts> {
  const json = payloadJson(payload);
  if (!json.ok) return json;
  if (!isObject(json.value)) return unparseable('the payload is JSON but not an object');
  const parts: PowerPart[] = [];
  for (const [key, raw] of Object.entries(json.value)) {
    const role = roleOf(s, key);
    if (!role) continue;
    const value = numberFrom(raw);
    if (value === undefined) return unparseable(`input '${key}' is not a number`, { field: key });
    parts.push(signed(s, role, value));
  }
  const message: MessageParts = { parts, complete: true };
  if (s.phase_inputs) message.phaseCount = s.phase_inputs.length;
  const time = numberFrom(json.value['time']);
  if (time !== undefined && time > 0) message.ts = Math.round(time * 1000);
  if (parts.length === 0) message.ignored = 'the frame has none of the configured inputs';
  return ok(message);
}
