/**
 * `dsmr-reader`: DSMR-reader (a Dutch/Belgian P1 logger) publishing each new reading over MQTT.
 * Its "split topic" telegram publishes one value per topic under `dsmr/reading/`:
 * `electricity_currently_delivered` and `electricity_currently_returned` (kW, both >= 0),
 * `phase_currently_delivered_l1..l3` and `phase_currently_returned_l1..l3` (kW) and `timestamp`
 * (ISO 8601). Its "JSON telegram" publishes the same fields in one object on `dsmr/json`.
 * Field names are DSMR-reader's default mapping; a renamed mapping is not recognised. See
 * docs/how-to/admin/mqtt.rst and the default mappings in dsmr_mqtt/admin.py of
 * github.com/dsmrreader/dsmr-reader.
 */
import { lastLevel, topicMatches } from '../mqtt.topic.js';
import { type Payload, isObject, payloadJson, payloadText } from '../payload.rules.js';
import {
  type MessageParts,
  type Phase,
  type PowerPart,
  epochMsFromIso,
  numberFrom,
  toWatts,
} from '../reading.rules.js';
import { type Outcome, ok, unparseable } from '../source.errors.js';
import type { MqttSourceType, TopicMatch } from '../source.types.js';
import { readSettings } from '../settings.rules.js';

export interface DsmrReaderSettings {
  /** 'dsmr/reading/+' (split topics, the default) or 'dsmr/json' (JSON telegram). */
  topic: string;
}

/** The role of one DSMR-reader field, or undefined for fields that are not power. */
function fieldRole(field: string): Omit<PowerPart, 'watts'> | 'timestamp' | undefined {
  if (field === 'timestamp') return 'timestamp';
  if (field === 'electricity_currently_delivered') return { quantity: 'import' };
  if (field === 'electricity_currently_returned') return { quantity: 'export' };
  const m = /^phase_currently_(delivered|returned)_l([123])$/.exec(field);
  if (m)
    return { quantity: m[1] === 'delivered' ? 'import' : 'export', phase: Number(m[2]) as Phase };
  return undefined;
}

function describe(role: Omit<PowerPart, 'watts'>): string {
  const what = role.quantity === 'import' ? 'delivered' : 'returned';
  return role.phase ? `${what} L${role.phase}` : what;
}

export const dsmrReader: MqttSourceType<DsmrReaderSettings> = {
  type: 'dsmr-reader',
  transport: 'mqtt',

  validate(raw) {
    return readSettings(raw, (r) => ({
      topic: r.topicFilter('topic', { default: 'dsmr/reading/+' }),
    }));
  },

  matchTopic(settings, topic): TopicMatch | undefined {
    if (!topicMatches(settings.topic, topic)) return undefined;
    const field = lastLevel(topic);
    if (field === 'json') return { part: 'JSON telegram', power: true };
    const role = fieldRole(field);
    if (role === undefined) return { part: field, power: false };
    if (role === 'timestamp') return { part: 'timestamp', power: false };
    return { part: describe(role), power: true, ...role };
  },

  parseMessage(settings, topic, payload: Payload): Outcome<MessageParts> {
    const match = this.matchTopic(settings, topic);
    if (!match) return unparseable(`topic '${topic}' does not match '${settings.topic}'`);
    const text = payloadText(payload);
    if (!text.ok) return text;
    if (text.value.trimStart().startsWith('{')) return jsonTelegram(payload);
    if (match.part === 'timestamp') {
      const ts = epochMsFromIso(text.value.trim());
      return ok(
        ts === undefined ? { parts: [], ignored: 'the timestamp has no zone' } : { ts, parts: [] },
      );
    }
    if (!match.power || !match.quantity)
      return ok({ parts: [], ignored: `${match.part} carries no power` });
    const kw = numberFrom(text.value);
    if (kw === undefined)
      return unparseable(`the payload '${text.value.slice(0, 40)}' is not a number of kW`);
    const part: PowerPart = { quantity: match.quantity, watts: toWatts(kw, 'kW') };
    if (match.phase) part.phase = match.phase;
    return ok({ parts: [part] });
  },
};

/** The JSON telegram: every field in one object, power in kW, `timestamp` in ISO 8601. */
function jsonTelegram(payload: Payload): Outcome<MessageParts> {
  const json = payloadJson(payload);
  if (!json.ok) return json;
  if (!isObject(json.value)) return unparseable('the payload is JSON but not an object');
  const parts: PowerPart[] = [];
  for (const [field, raw] of Object.entries(json.value)) {
    const role = fieldRole(field);
    if (role === undefined || role === 'timestamp' || raw === null) continue;
    const kw = numberFrom(raw);
    if (kw === undefined) return unparseable(`${field} is not a number of kW`, { field });
    parts.push({ ...role, watts: toWatts(kw, 'kW') });
  }
  const message: MessageParts = { parts, complete: true };
  const ts = epochMsFromIso(json.value['timestamp']);
  if (ts !== undefined) message.ts = ts;
  if (parts.length === 0) message.ignored = 'the telegram has no electricity_currently_* field';
  return ok(message);
}
