/**
 * `json`: any device that publishes JSON on some topic (Tasmota SML scripts, Node-RED flows,
 * inverters, a home-made bridge). The settings say where the power is (an RFC 6901 JSON
 * pointer), its unit (W or kW), its sign convention, and optionally where the per-phase powers,
 * the production, separate import/export values and the time are. Values may be numbers or
 * numeric strings.
 */
import { resolveJsonPointer } from '../json.pointer.js';
import { topicMatches } from '../mqtt.topic.js';
import { type Payload, payloadJson } from '../payload.rules.js';
import {
  type MessageParts,
  type Phase,
  type PowerPart,
  type Quantity,
  epochMsFromIso,
  numberFrom,
  toWatts,
} from '../reading.rules.js';
import { type Outcome, ok, unparseable } from '../source.errors.js';
import type { MqttSourceType } from '../source.types.js';
import { SIGN_CONVENTIONS, type SignConvention, UNITS, readSettings } from '../settings.rules.js';

export interface JsonSettings {
  topic: string;
  /** Pointer to the net power, e.g. '/ENERGY/Power' or '/grid/power'. */
  pointer?: string;
  /** Pointers to separate import and export powers (both >= 0), instead of or beside `pointer`. */
  import_pointer?: string;
  export_pointer?: string;
  /** Pointers to the per-phase powers, L1 first. */
  phase_pointers?: string[];
  production_pointer?: string;
  /** Pointer to the time: ISO 8601 with a zone, or Unix seconds / milliseconds. */
  timestamp_pointer?: string;
  unit: (typeof UNITS)[number];
  /** 'import-positive' (default) or 'export-positive' (the device counts export as positive). */
  sign: SignConvention;
}

/** Epoch ms from a Unix time in seconds or milliseconds (told apart by magnitude) or ISO text. */
function timeFrom(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : undefined;
  if (n !== undefined && Number.isFinite(n) && n > 0)
    return n < 1e11 ? Math.round(n * 1000) : Math.round(n);
  return epochMsFromIso(value);
}

export const json: MqttSourceType<JsonSettings> = {
  type: 'json',
  transport: 'mqtt',

  validate(raw) {
    return readSettings(raw, (r) => {
      const s: JsonSettings = {
        topic: r.topicFilter('topic'),
        unit: r.oneOf('unit', UNITS, 'W'),
        sign: r.oneOf('sign', SIGN_CONVENTIONS, 'import-positive'),
      };
      const pointer = r.optionalPointer('pointer');
      if (pointer !== undefined) s.pointer = pointer;
      const imp = r.optionalPointer('import_pointer');
      if (imp !== undefined) s.import_pointer = imp;
      const exp = r.optionalPointer('export_pointer');
      if (exp !== undefined) s.export_pointer = exp;
      const phases = r.pointerList('phase_pointers', 3);
      if (phases) s.phase_pointers = phases;
      const production = r.optionalPointer('production_pointer');
      if (production !== undefined) s.production_pointer = production;
      const time = r.optionalPointer('timestamp_pointer');
      if (time !== undefined) s.timestamp_pointer = time;
      if (s.pointer === undefined && s.import_pointer === undefined && !s.phase_pointers) {
        r.refuse(
          'pointer',
          "is required (or import_pointer, or phase_pointers), e.g. '/ENERGY/Power'",
        );
      }
      if ((s.import_pointer === undefined) !== (s.export_pointer === undefined)) {
        r.refuse(
          s.import_pointer === undefined ? 'import_pointer' : 'export_pointer',
          'import_pointer and export_pointer go together',
        );
      }
      return s;
    });
  },

  matchTopic(settings, topic) {
    return topicMatches(settings.topic, topic) ? { part: 'JSON payload', power: true } : undefined;
  },

  parseMessage(settings, topic, payload: Payload): Outcome<MessageParts> {
    if (!topicMatches(settings.topic, topic)) {
      return unparseable(`topic '${topic}' does not match '${settings.topic}'`);
    }
    const doc = payloadJson(payload);
    if (!doc.ok) return doc;
    const parts: PowerPart[] = [];
    const reads: Array<[string | undefined, Quantity, Phase?]> = [
      [settings.pointer, 'net'],
      [settings.import_pointer, 'import'],
      [settings.export_pointer, 'export'],
      [settings.production_pointer, 'production'],
      ...(settings.phase_pointers ?? []).map((p, i): [string, Quantity, Phase] => [
        p,
        'net',
        (i + 1) as Phase,
      ]),
    ];
    // A pointer with nothing behind it is skipped: devices such as Tasmota SML scripts publish
    // each value in its own message. A value that is there but not a number is an error.
    const missing: string[] = [];
    for (const [pointer, quantity, phase] of reads) {
      if (pointer === undefined) continue;
      const raw = resolveJsonPointer(doc.value, pointer);
      if (raw === undefined) {
        missing.push(pointer);
        continue;
      }
      const value = numberFrom(raw);
      if (value === undefined)
        return unparseable(`the value at ${pointer} is not a number`, { field: pointer });
      let watts = toWatts(value, settings.unit);
      if (quantity === 'net' && settings.sign === 'export-positive') watts = -watts;
      parts.push(phase === undefined ? { quantity, watts } : { quantity, phase, watts });
    }
    const message: MessageParts = { parts, complete: missing.length === 0 };
    if (settings.phase_pointers) message.phaseCount = settings.phase_pointers.length;
    if (parts.length === 0) message.ignored = `nothing at ${missing.join(', ')}`;
    if (settings.timestamp_pointer !== undefined) {
      const ts = timeFrom(resolveJsonPointer(doc.value, settings.timestamp_pointer));
      if (ts !== undefined) message.ts = ts;
    }
    return ok(message);
  },
};
