// Proves the line-protocol parser reads the documented IoTaWatt and InfluxDB examples, every field
// type and escape, timestamps in each precision (nanoseconds past 2^53 included), and refuses a
// bad line naming its line number; and that line-protocol sources group points into readings all
// or nothing.
import { describe, expect, it } from 'vitest';
import { fixture } from './fixtures.testing.js';
import { parseLineProtocol } from './line-protocol.parser.js';
import type { Outcome } from './source.errors.js';
import { parseSourceLines, validateSource } from './source.registry.js';
import { lineProtocolReadings, validateLineProtocol } from './types/line-protocol.source.js';

function value<T>(o: Outcome<T>): T {
  if (!o.ok) throw new Error(`${o.error.code}: ${o.error.message}`);
  return o.value;
}

describe('parseLineProtocol', () => {
  it("reads IoTaWatt's documented uploads, timestamps in seconds", () => {
    const points = value(
      parseLineProtocol(fixture('line-protocol/iotawatt-influx-doc-examples.txt'), {
        precision: 's',
      }),
    );
    const ts = 1_523_810_195_000;
    expect(points).toEqual([
      { line: 1, measurement: 'solar', tags: {}, fields: { value: 2944.6 }, ts },
      { line: 2, measurement: 'kWh', tags: { tag1: 'IotaHome' }, fields: { solar: 2944.6 }, ts },
      { line: 3, measurement: 'IotaWatt', tags: { tag1: 'solar' }, fields: { kWh: 2944.6 }, ts },
      { line: 4, measurement: 'solar.kWh', tags: {}, fields: { value: 2944.6 }, ts },
      {
        line: 5,
        measurement: 'power',
        tags: { tag1: 'IotaWatt.01' },
        fields: { solar: 2944.6 },
        ts,
      },
    ]);
  });

  it("reads InfluxDB's own examples: nanosecond stamps, an escaped space and comma, a string field", () => {
    const points = value(
      parseLineProtocol(fixture('line-protocol/influxdb-tsdb-readme-examples.txt')),
    );
    expect(points).toEqual([
      {
        line: 1,
        measurement: 'cpu',
        tags: { host: 'server01', region: 'uswest' },
        fields: { value: 1 },
        ts: 1_434_055_562_000,
      },
      // 1434055562000010000 ns is 1434055562000.01 ms: sub-millisecond precision is truncated.
      {
        line: 2,
        measurement: 'cpu',
        tags: { host: 'server02', region: 'uswest' },
        fields: { value: 3 },
        ts: 1_434_055_562_000,
      },
      {
        line: 3,
        measurement: 'cpu',
        tags: { host: 'server 01', region: 'uswest' },
        fields: { value: 1, msg: 'all systems nominal' },
      },
      {
        line: 4,
        measurement: 'cpu',
        tags: { host: 'server 01', region: 'us,west' },
        fields: { value_int: 1 },
      },
    ]);
  });

  it('reads every field type and escape', () => {
    const body = String.raw`my\ meas\,ure,tag\=k\ 1=v\,1\=x f\ 1="a \"q\" \\ b",i=-42i,u=7u,t=t,T=TRUE,f=False,e=6e5,d=-.5 1700000000000`;
    expect(value(parseLineProtocol(body, { precision: 'ms' }))).toEqual([
      {
        line: 1,
        measurement: 'my meas,ure',
        tags: { 'tag=k 1': 'v,1=x' },
        fields: {
          'f 1': 'a "q" \\ b',
          i: -42,
          u: 7,
          t: true,
          T: true,
          f: false,
          e: 600_000,
          d: -0.5,
        },
        ts: 1_700_000_000_000,
      },
    ]);
  });

  it('keeps a comma, space or equals sign inside a quoted string', () => {
    expect(value(parseLineProtocol('m s="a, b=c d"'))[0]!.fields).toEqual({ s: 'a, b=c d' });
  });

  it('converts each precision to epoch milliseconds', () => {
    const at = (raw: string, precision: 'ns' | 'us' | 'u' | 'ms' | 's') =>
      value(parseLineProtocol(`m v=1 ${raw}`, { precision }))[0]!.ts;
    expect(at('1700000000123456789', 'ns')).toBe(1_700_000_000_123);
    expect(at('1700000000123456', 'us')).toBe(1_700_000_000_123);
    expect(at('1700000000123456', 'u')).toBe(1_700_000_000_123);
    expect(at('1700000000123', 'ms')).toBe(1_700_000_000_123);
    expect(at('1700000000', 's')).toBe(1_700_000_000_000);
    expect(at('-1000000000', 'ns')).toBe(-1_000);
  });

  it('skips blank lines and comments, accepts CRLF and leading spaces', () => {
    const body = '# IoTaWatt\r\n\r\n  Mains value=512.5 1700000000\r\n\n';
    expect(value(parseLineProtocol(body, { precision: 's' }))).toEqual([
      { line: 3, measurement: 'Mains', tags: {}, fields: { value: 512.5 }, ts: 1_700_000_000_000 },
    ]);
  });

  it('refuses a bad line with its line number and the reason', () => {
    const cases: Array<[string, string]> = [
      ['ok v=1\nbad\n', 'line 2: the field set is missing (a line needs at least one field)'],
      [',host=a v=1', 'line 1: the measurement name is missing'],
      ['m,host v=1', "line 1: a tag is not key=value (after 'm')"],
      ['m,host= v=1', "line 1: tag 'host' has an empty value"],
      ['m v=abc', "line 1: field 'v': 'abc' is not a number, integer (1i), boolean or \"string\""],
      ['m v=', "line 1: field 'v' has no value"],
      ['m v="open', 'line 1: a string field value has no closing double quote'],
      ['m v="a"b', "line 1: unexpected 'b' after the fields"],
      ['m v=1 12x', "line 1: timestamp '12x' is not an integer"],
      ['m v=1 1 2', "line 1: unexpected text after the timestamp: '2'"],
      [
        'm v=9223372036854775808i',
        "line 1: field 'v': integer 9223372036854775808i is out of the 64-bit range",
      ],
      ['m v=NaN', "line 1: field 'v': 'NaN' is not a number, integer (1i), boolean or \"string\""],
      [
        'm v=1 99999999999999999999',
        "line 1: timestamp 99999999999999999999 is out of range for precision 's'",
      ],
    ];
    for (const [body, message] of cases) {
      const out = parseLineProtocol(body, { precision: 's' });
      expect(out.ok).toBe(false);
      if (out.ok) continue;
      expect(out.error.code).toBe('SOURCE_LINE_PROTOCOL_INVALID');
      expect(out.error.message).toBe(message);
      expect(out.error.details.line).toBe(Number(/^line (\d+)/.exec(message)![1]));
    }
  });

  it('refuses more points than allowed in one body', () => {
    const out = parseLineProtocol('m v=1\nm v=2\nm v=3', { maxPoints: 2 });
    expect(out.ok || out.error.message).toBe('line 3: more than 2 points in one request');
  });

  it('parses back what a writer escaped (round trip over awkward names)', () => {
    const names = ['plain', 'with space', 'com,ma', 'eq=uals', 'back\\slash', 'ünïcødé', 'a b,c=d'];
    const esc = (s: string, chars: string) =>
      s.replace(new RegExp(`[${chars}]`, 'g'), (c) => `\\${c}`);
    for (const m of names) {
      for (const k of names) {
        const line = `${esc(m, ', ')},${esc(k, ',= ')}=${esc(k, ',= ')} ${esc(k, ',= ')}="${k.replace(/[\\"]/g, (c) => `\\${c}`)}",n=1.5 42`;
        const [p] = value(parseLineProtocol(line, { precision: 's' }));
        expect(p).toEqual({
          line: 1,
          measurement: m,
          tags: { [k]: k },
          fields: { [k]: k, n: 1.5 },
          ts: 42_000,
        });
      }
    }
  });
});

describe('line-protocol source', () => {
  it("maps IoTaWatt's default upload (measurement = output name, field 'value') to readings", () => {
    const config = value(
      validateSource('line-protocol', {
        power: { measurement: 'Mains' },
        production: { measurement: 'Solar' },
        precision: 's',
      }),
    );
    const body =
      'Mains value=-812.4 1700000000\nSolar value=2944.6 1700000000\nMains value=120 1700000005\nVolts value=241.2 1700000005\n';
    expect(value(parseSourceLines(config, body))).toEqual([
      { ts: 1_700_000_000_000, netW: -812.4, productionW: 2944.6 },
      { ts: 1_700_000_005_000, netW: 120 },
    ]);
  });

  it('selects by field key and tags (a Telegraf-style measurement) and reads the phases', () => {
    const s = value(
      validateLineProtocol({
        power: { measurement: 'power', field: 'total', tags: { site: 'home' } },
        phases: [
          { measurement: 'power', field: 'l1', tags: { site: 'home' } },
          { measurement: 'power', field: 'l2', tags: { site: 'home' } },
          { measurement: 'power', field: 'l3', tags: { site: 'home' } },
        ],
        unit: 'kW',
      }),
    );
    const body =
      'power,site=home,host=pi total=-1.2,l1=-2.0,l2=0.5,l3=0.3 1700000000000000000\npower,site=work total=9 1700000000000000000';
    expect(value(lineProtocolReadings(s, body))).toEqual([
      { ts: 1_700_000_000_000, netW: -1200, phasesW: [-2000, 500, 300] },
    ]);
  });

  it('refuses the whole body when one reading is out of range, naming the line', () => {
    const s = value(validateLineProtocol({ power: { measurement: 'Mains' }, precision: 's' }));
    const out = lineProtocolReadings(s, 'Mains value=100 1\nMains value=250000 2\n');
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.error.code).toBe('SOURCE_POWER_OUT_OF_RANGE');
    expect(out.error.message).toBe(
      'line 2: net power 250000 W lies outside -100 kW..100 kW; check the unit (W or kW) setting',
    );
    expect(out.error.details.line).toBe(2);
  });

  it('refuses a selected field that is not numeric', () => {
    const s = value(validateLineProtocol({ power: { measurement: 'Mains' } }));
    const out = lineProtocolReadings(s, 'Mains value="high"');
    expect(out.ok || out.error.message).toBe("line 1: field 'value' is not numeric");
  });

  it('validates selectors, naming the setting', () => {
    for (const [raw, setting] of [
      [{}, 'power'],
      [{ power: 'Mains' }, 'power'],
      [{ power: { field: 'value' } }, 'power.measurement'],
      [{ power: { measurement: 'M', unit: 'W' } }, 'power.unit'],
      [{ power: { measurement: 'M', tags: { a: 1 } } }, 'power.tags.a'],
      [{ phases: [{ measurement: 'a' }, { measurement: '' }] }, 'phases[1].measurement'],
      [{ import: { measurement: 'in' } }, 'export'],
      [{ power: { measurement: 'M' }, precision: 'h' }, 'precision'],
    ] as Array<[unknown, string]>) {
      const out = validateLineProtocol(raw);
      expect(out.ok || out.error.setting).toBe(setting);
    }
  });
});
