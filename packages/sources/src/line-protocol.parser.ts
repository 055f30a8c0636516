/**
 * InfluxDB v1 line protocol, as IoTaWatt's and Telegraf's InfluxDB outputs write it to
 * `POST /write` (we accept it on `POST /api/v1/write`):
 *
 *   measurement[,tag=value…] field=value[,field=value…] [timestamp]
 *
 * Measurement names escape ',' and ' ' with a backslash; tag keys, tag values and field keys
 * escape ',', '=' and ' '; string field values are double-quoted and escape '"' and '\'. Field
 * values are floats (`1`, `-3.14`, `6e5`), integers (`1i`), unsigned integers (`1u`), booleans
 * (`t`, `true`, `F`, `FALSE`, …) or strings. The timestamp is an integer in the request's
 * precision (ns by default; IoTaWatt sends seconds). Blank lines and `#` comments are skipped.
 * Every error names its 1-based line. See
 * https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/. Pure; no I/O.
 */
import { type Outcome, fail, ok } from './source.errors.js';

export const LINE_PROTOCOL_PRECISIONS = ['ns', 'n', 'us', 'u', 'ms', 's'] as const;
export type LineProtocolPrecision = (typeof LINE_PROTOCOL_PRECISIONS)[number];

export type FieldValue = number | string | boolean;

/** One point of one line. */
export interface LinePoint {
  /** 1-based line number in the body. */
  line: number;
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, FieldValue>;
  /** Epoch milliseconds (sub-millisecond precision is truncated); absent when the line has none. */
  ts?: number;
}

export interface LineProtocolOptions {
  precision?: LineProtocolPrecision;
  /** Largest number of points accepted in one body (default 10 000). */
  maxPoints?: number;
}

const MS_PER_UNIT: Record<LineProtocolPrecision, { div: bigint; mul: bigint }> = {
  ns: { div: 1_000_000n, mul: 1n },
  n: { div: 1_000_000n, mul: 1n },
  us: { div: 1_000n, mul: 1n },
  u: { div: 1_000n, mul: 1n },
  ms: { div: 1n, mul: 1n },
  s: { div: 1n, mul: 1_000n },
};

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
/** The Date range: ±8.64e15 ms. */
const MAX_EPOCH_MS = 8_640_000_000_000_000n;

class LineError extends Error {}

/** A cursor over one line; every read method stops at an unescaped delimiter. */
class Cursor {
  pos = 0;
  constructor(readonly text: string) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string | undefined {
    return this.text[this.pos];
  }

  /**
   * Reads up to (not including) an unescaped character of `stops`; a backslash before one of
   * `escapable` yields that character, any other backslash stays as it is.
   */
  readUntil(stops: string, escapable: string): string {
    let out = '';
    while (this.pos < this.text.length) {
      const c = this.text[this.pos]!;
      if (
        c === '\\' &&
        this.pos + 1 < this.text.length &&
        escapable.includes(this.text[this.pos + 1]!)
      ) {
        out += this.text[this.pos + 1];
        this.pos += 2;
        continue;
      }
      if (stops.includes(c)) break;
      out += c;
      this.pos++;
    }
    return out;
  }

  /** A double-quoted string starting at the cursor; `\"` and `\\` are escapes. */
  readQuoted(): string {
    this.pos++; // opening quote
    let out = '';
    while (this.pos < this.text.length) {
      const c = this.text[this.pos]!;
      if (c === '\\' && (this.text[this.pos + 1] === '"' || this.text[this.pos + 1] === '\\')) {
        out += this.text[this.pos + 1];
        this.pos += 2;
        continue;
      }
      if (c === '"') {
        this.pos++;
        return out;
      }
      out += c;
      this.pos++;
    }
    throw new LineError('a string field value has no closing double quote');
  }

  skipSpaces(): number {
    const start = this.pos;
    while (this.text[this.pos] === ' ') this.pos++;
    return this.pos - start;
  }
}

function fieldValue(raw: string, key: string): FieldValue {
  if (/^[-+]?\d+i$/.test(raw)) {
    const n = BigInt(raw.slice(0, -1));
    if (n < INT64_MIN || n > INT64_MAX)
      throw new LineError(`field '${key}': integer ${raw} is out of the 64-bit range`);
    return Number(n);
  }
  if (/^\d+u$/.test(raw)) {
    const n = BigInt(raw.slice(0, -1));
    if (n > UINT64_MAX)
      throw new LineError(`field '${key}': unsigned integer ${raw} is out of range`);
    return Number(n);
  }
  if (/^(t|T|true|True|TRUE)$/.test(raw)) return true;
  if (/^(f|F|false|False|FALSE)$/.test(raw)) return false;
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) {
    const n = Number(raw);
    if (Number.isFinite(n)) return n;
  }
  throw new LineError(
    `field '${key}': '${raw}' is not a number, integer (1i), boolean or "string"`,
  );
}

function timestampMs(raw: string, precision: LineProtocolPrecision): number {
  if (!/^-?\d+$/.test(raw)) throw new LineError(`timestamp '${raw}' is not an integer`);
  const { div, mul } = MS_PER_UNIT[precision];
  const ms = (BigInt(raw) * mul) / div; // BigInt division truncates toward zero
  if (ms > MAX_EPOCH_MS || ms < -MAX_EPOCH_MS) {
    throw new LineError(`timestamp ${raw} is out of range for precision '${precision}'`);
  }
  return Number(ms);
}

function parseLine(text: string, line: number, precision: LineProtocolPrecision): LinePoint {
  const c = new Cursor(text);
  const measurement = c.readUntil(', ', ', ');
  if (measurement === '') throw new LineError('the measurement name is missing');
  const tags: Record<string, string> = {};
  while (c.peek() === ',') {
    c.pos++;
    const key = c.readUntil('=, ', ',= ');
    if (c.peek() !== '=' || key === '')
      throw new LineError(`a tag is not key=value (after '${measurement}')`);
    c.pos++;
    const value = c.readUntil(', ', ',= ');
    if (value === '') throw new LineError(`tag '${key}' has an empty value`);
    tags[key] = value;
  }
  if (c.skipSpaces() === 0 || c.done)
    throw new LineError('the field set is missing (a line needs at least one field)');

  const fields: Record<string, FieldValue> = {};
  for (;;) {
    const key = c.readUntil('=, ', ',= ');
    if (c.peek() !== '=' || key === '')
      throw new LineError(
        `a field is not key=value near '${key || c.text.slice(c.pos, c.pos + 12)}'`,
      );
    c.pos++;
    if (c.peek() === '"') fields[key] = c.readQuoted();
    else {
      const raw = c.readUntil(', ', '');
      if (raw === '') throw new LineError(`field '${key}' has no value`);
      fields[key] = fieldValue(raw, key);
    }
    if (c.peek() === ',') {
      c.pos++;
      continue;
    }
    break;
  }

  const point: LinePoint = { line, measurement, tags, fields };
  if (c.done) return point;
  if (c.peek() !== ' ') throw new LineError(`unexpected '${c.peek()!}' after the fields`);
  c.skipSpaces();
  if (c.done) return point;
  const raw = c.readUntil(' ', '');
  point.ts = timestampMs(raw, precision);
  c.skipSpaces();
  if (!c.done)
    throw new LineError(
      `unexpected text after the timestamp: '${c.text.slice(c.pos, c.pos + 20)}'`,
    );
  return point;
}

/** Every point of a line-protocol body, or the first error with its line number. */
export function parseLineProtocol(
  body: string,
  options: LineProtocolOptions = {},
): Outcome<LinePoint[]> {
  const precision = options.precision ?? 'ns';
  const maxPoints = options.maxPoints ?? 10_000;
  const points: LinePoint[] = [];
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!.replace(/\r$/, '').replace(/^[ \t]+/, '');
    if (text.trim() === '' || text.trimStart().startsWith('#')) continue;
    if (points.length >= maxPoints) {
      return fail(
        'SOURCE_LINE_PROTOCOL_INVALID',
        `line ${i + 1}: more than ${maxPoints} points in one request`,
        { line: i + 1 },
      );
    }
    try {
      points.push(parseLine(text, i + 1, precision));
    } catch (e) {
      if (!(e instanceof LineError)) throw e;
      return fail('SOURCE_LINE_PROTOCOL_INVALID', `line ${i + 1}: ${e.message}`, { line: i + 1 });
    }
  }
  return ok(points);
}
