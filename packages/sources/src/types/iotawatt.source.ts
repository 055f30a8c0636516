/**
 * `iotawatt`: an IoTaWatt polled on its Query API, `GET /query?select=[…]&begin=…&end=…`. We ask
 * for the last 10 seconds in 5-second groups with a header, in UTC Unix seconds, and take the
 * newest row that has every series. The answer is JSON: with `header=yes` an object
 * `{"range":[…],"labels":[…],"data":[[…],…]}`, without it the bare `data` array. Power series
 * are in watts; a CT on the mains may be signed when "allow negative" is set. See
 * https://docs.iotawatt.com/en/master/query.html.
 */
import { type Payload, isObject, payloadJson } from '../payload.rules.js';
import {
  type MessageParts,
  type Phase,
  type PowerPart,
  type SourceReading,
  epochMsFromIso,
  numberFrom,
  toReading,
} from '../reading.rules.js';
import { type Outcome, unparseable } from '../source.errors.js';
import type { PolledSourceType } from '../source.types.js';
import {
  type PolledSettings,
  SIGN_CONVENTIONS,
  type SignConvention,
  readPolled,
  readSettings,
} from '../settings.rules.js';

export interface IotawattSettings extends PolledSettings {
  /** Mains series names as IoTaWatt shows them: one is the net, two or three are phases. */
  series: string[];
  /** A production (solar) series. */
  production_series?: string;
  sign: SignConvention;
}

const SERIES_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function selected(s: IotawattSettings): string[] {
  return s.production_series ? [...s.series, s.production_series] : [...s.series];
}

/** A time cell: Unix seconds (time.utc.unix) or ISO text with a zone; local ISO is dropped. */
function timeCell(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return Math.round(v * 1000);
  return epochMsFromIso(v);
}

export const iotawatt: PolledSourceType<IotawattSettings> = {
  type: 'iotawatt',
  transport: 'http',

  validate(raw) {
    return readSettings(raw, (r) => {
      const polled = readPolled(r);
      const series = r.stringList('series', 3) ?? r.refuse('series', "is required, e.g. ['Mains']");
      const production = r.optionalString('production_series', { maxLength: 64 });
      for (const name of production ? [...series, production] : series) {
        if (!SERIES_NAME.test(name)) {
          r.refuse(
            production === name ? 'production_series' : 'series',
            `'${name}' is not an IoTaWatt input or output name`,
          );
        }
      }
      const s: IotawattSettings = {
        ...polled,
        series,
        sign: r.oneOf('sign', SIGN_CONVENTIONS, 'import-positive'),
      };
      if (production) s.production_series = production;
      return s;
    });
  },

  requestPath(settings) {
    const select = ['time.utc.unix', ...selected(settings).map((n) => `${n}.watts`)].join(',');
    return `/query?select=[${select}]&begin=s-10s&end=s&group=5s&format=json&header=yes&missing=null`;
  },

  parseResponse(settings, body: Payload): Outcome<SourceReading> {
    const doc = payloadJson(body);
    if (!doc.ok) return doc;
    let rows: unknown;
    let labels: string[] | undefined;
    if (Array.isArray(doc.value)) rows = doc.value;
    else if (isObject(doc.value)) {
      if (typeof doc.value['error'] === 'string')
        return unparseable(`IoTaWatt answered: ${doc.value['error']}`);
      rows = doc.value['data'];
      const l = doc.value['labels'];
      if (Array.isArray(l) && l.every((x) => typeof x === 'string')) labels = l as string[];
    }
    if (!Array.isArray(rows)) return unparseable('the answer has no data table');
    const wanted = selected(settings);
    // Columns by label when the header is there (case-insensitive), else in the order we asked.
    const column = (name: string, fallback: number): number => {
      if (!labels) return fallback;
      return labels.findIndex((l) => l.toLowerCase() === name.toLowerCase());
    };
    const timeCol = labels ? labels.findIndex((l) => l.toLowerCase() === 'time') : 0;
    const cols = wanted.map((name, i) => column(name, i + 1));
    const missing = wanted.find((_, i) => cols[i]! < 0);
    if (missing) return unparseable(`the answer has no '${missing}' column`, { field: missing });

    for (let r = rows.length - 1; r >= 0; r--) {
      const row = rows[r];
      if (!Array.isArray(row)) return unparseable(`data row ${r + 1} is not an array`);
      const values = cols.map((c) => numberFrom(row[c]));
      if (values.some((v) => v === undefined)) continue; // a row still being logged
      const watts = values as number[];
      const parts: PowerPart[] = [];
      const flip = settings.sign === 'export-positive' ? -1 : 1;
      if (settings.series.length === 1) parts.push({ quantity: 'net', watts: flip * watts[0]! });
      else
        settings.series.forEach((_, i) =>
          parts.push({ quantity: 'net', phase: (i + 1) as Phase, watts: flip * watts[i]! }),
        );
      if (settings.production_series)
        parts.push({ quantity: 'production', watts: watts[watts.length - 1]! });
      const message: MessageParts = { parts };
      const ts = timeCol >= 0 ? timeCell(row[timeCol]) : undefined;
      if (ts !== undefined) message.ts = ts;
      if (settings.series.length > 1) message.phaseCount = settings.series.length;
      return toReading(message);
    }
    return unparseable('the answer has no row with every series');
  },
};
