/**
 * `line-protocol`: readings written to us in InfluxDB v1 line protocol (`POST /api/v1/write`) by
 * IoTaWatt's influxDB uploader or Telegraf's influxdb output. The settings pick the points that
 * hold the power: by measurement, field key (default `value`, IoTaWatt's default) and optional
 * tags. IoTaWatt's default writes one measurement per output, `Mains value=2944.6 1523810195`,
 * with timestamps in seconds. Points are grouped by timestamp into one reading each; points
 * without a timestamp form one reading the caller stamps on arrival. See
 * https://docs.iotawatt.com/en/master/influxDB.html.
 */
import {
  type FieldValue,
  type LinePoint,
  LINE_PROTOCOL_PRECISIONS,
  type LineProtocolPrecision,
  parseLineProtocol,
} from '../line-protocol.parser.js';
import { type Payload, payloadText } from '../payload.rules.js';
import {
  type MessageParts,
  type Phase,
  type PowerPart,
  type Quantity,
  type SourceReading,
  toReading,
  toWatts,
} from '../reading.rules.js';
import { type Outcome, fail, ok } from '../source.errors.js';
import {
  SIGN_CONVENTIONS,
  type SettingsReader,
  type SignConvention,
  UNITS,
  readSettings,
} from '../settings.rules.js';

/** Which points hold one power value. */
export interface PointSelector {
  measurement: string;
  /** Field key, default 'value'. */
  field: string;
  /** Tags the point must carry with these values (others may be there too). */
  tags?: Record<string, string>;
}

export interface LineProtocolSettings {
  /** The mains net power. */
  power?: PointSelector;
  /** Separate import and export powers (both >= 0). */
  import?: PointSelector;
  export?: PointSelector;
  /** Per-phase net powers, L1 first. */
  phases?: PointSelector[];
  production?: PointSelector;
  unit: (typeof UNITS)[number];
  sign: SignConvention;
  /** Timestamp precision of the writer: 's' for IoTaWatt, 'ns' (default) for Telegraf. */
  precision: LineProtocolPrecision;
}

function readSelector(r: SettingsReader, name: string, raw: unknown): PointSelector {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return r.refuse(name, "must be an object such as { measurement: 'Mains', field: 'value' }");
  }
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!['measurement', 'field', 'tags'].includes(key))
      r.refuse(`${name}.${key}`, 'is not a setting of a point selector');
  }
  const measurement = o['measurement'];
  if (typeof measurement !== 'string' || measurement === '')
    r.refuse(`${name}.measurement`, 'must be a non-empty string');
  const field = o['field'] ?? 'value';
  if (typeof field !== 'string' || field === '')
    r.refuse(`${name}.field`, 'must be a non-empty string');
  const sel: PointSelector = { measurement: measurement as string, field: field as string };
  const tags = o['tags'];
  if (tags !== undefined) {
    if (tags === null || typeof tags !== 'object' || Array.isArray(tags))
      r.refuse(`${name}.tags`, 'must be an object of tag values');
    const entries = Object.entries(tags as Record<string, unknown>);
    for (const [k, v] of entries)
      if (typeof v !== 'string') r.refuse(`${name}.tags.${k}`, 'must be a string');
    sel.tags = Object.fromEntries(entries) as Record<string, string>;
  }
  return sel;
}

function selects(sel: PointSelector, p: LinePoint): FieldValue | undefined {
  if (p.measurement !== sel.measurement || !(sel.field in p.fields)) return undefined;
  for (const [k, v] of Object.entries(sel.tags ?? {})) if (p.tags[k] !== v) return undefined;
  return p.fields[sel.field];
}

/** Validates `line-protocol` settings; a selector's problem names it ('phases[1].measurement'). */
export function validateLineProtocol(raw: unknown): Outcome<LineProtocolSettings> {
  return readSettings(raw, (r) => {
    const s: LineProtocolSettings = {
      unit: r.oneOf('unit', UNITS, 'W'),
      sign: r.oneOf('sign', SIGN_CONVENTIONS, 'import-positive'),
      precision: r.oneOf('precision', LINE_PROTOCOL_PRECISIONS, 'ns'),
    };
    for (const name of ['power', 'import', 'export', 'production'] as const) {
      const o = r.object(name);
      if (o) s[name] = readSelector(r, name, o);
    }
    const phases = r.list('phases', 3, 'point selectors');
    if (phases) s.phases = phases.map((p, i) => readSelector(r, `phases[${i}]`, p));
    if (!s.power && !s.import && !s.phases)
      r.refuse(
        'power',
        "is required (or import and export, or phases), e.g. { measurement: 'Mains' }",
      );
    if (!s.import !== !s.export)
      r.refuse(s.import ? 'export' : 'import', 'import and export go together');
    return s;
  });
}

/**
 * The readings in a line-protocol body: parsed, the selected points turned into parts, grouped
 * by timestamp (oldest first). All or nothing: one bad line or one refused reading refuses the
 * whole body, so nothing of a bad request is stored.
 */
export function lineProtocolReadings(
  settings: LineProtocolSettings,
  body: Payload,
): Outcome<SourceReading[]> {
  const text = payloadText(body);
  if (!text.ok) return text;
  const parsed = parseLineProtocol(text.value, { precision: settings.precision });
  if (!parsed.ok) return parsed;
  const roles: Array<[PointSelector | undefined, Quantity, Phase?]> = [
    [settings.power, 'net'],
    [settings.import, 'import'],
    [settings.export, 'export'],
    [settings.production, 'production'],
    ...(settings.phases ?? []).map((sel, i): [PointSelector, Quantity, Phase] => [
      sel,
      'net',
      (i + 1) as Phase,
    ]),
  ];
  const groups = new Map<number | undefined, { line: number; parts: PowerPart[] }>();
  for (const point of parsed.value) {
    for (const [sel, quantity, phase] of roles) {
      if (!sel) continue;
      const value = selects(sel, point);
      if (value === undefined) continue;
      if (typeof value !== 'number') {
        return fail(
          'SOURCE_LINE_PROTOCOL_INVALID',
          `line ${point.line}: field '${sel.field}' is not numeric`,
          { line: point.line },
        );
      }
      let watts = toWatts(value, settings.unit);
      if (quantity === 'net' && settings.sign === 'export-positive') watts = -watts;
      const group = groups.get(point.ts) ?? { line: point.line, parts: [] };
      group.parts.push(phase === undefined ? { quantity, watts } : { quantity, phase, watts });
      groups.set(point.ts, group);
    }
  }
  const readings: SourceReading[] = [];
  const ordered = [...groups.entries()].sort(([a], [b]) => (a ?? Infinity) - (b ?? Infinity));
  for (const [ts, group] of ordered) {
    const message: MessageParts =
      ts === undefined ? { parts: group.parts } : { ts, parts: group.parts };
    if (settings.phases) message.phaseCount = settings.phases.length;
    const reading = toReading(message);
    if (!reading.ok) {
      const e = reading.error;
      return fail(e.code, `line ${group.line}: ${e.message}`, { ...e.details, line: group.line });
    }
    readings.push(reading.value);
  }
  return ok(readings);
}
