// Proves the polled types (homewizard-p1 on API v1 and v2, iotawatt) read the documentation's
// example answers to the exact numbers, refuse the example that is not valid JSON, and build the
// request paths, headers and TLS trust (v2: bearer token, X-Api-Version, https only).
import { describe, expect, it } from 'vitest';
import { payload } from '../fixtures.testing.js';
import type { Outcome } from '../source.errors.js';
import { sourceRequestUrl, validateSource } from '../source.registry.js';
import { homewizardP1 } from './homewizard-p1.source.js';
import { iotawatt } from './iotawatt.source.js';

function value<T>(o: Outcome<T>): T {
  if (!o.ok) throw new Error(`${o.error.code}: ${o.error.message}`);
  return o.value;
}

describe('homewizard-p1', () => {
  const s = value(homewizardP1.validate({ url: 'http://192.168.1.20', interval_s: 1 }));

  it('reads the 3-phase documentation example: -543 W net, L1 exporting 676 W', () => {
    expect(homewizardP1.requestPath(s)).toBe('/api/v1/data');
    expect(
      value(
        homewizardP1.parseResponse(s, payload('homewizard-p1/v1-data-3-phase-doc-example.txt')),
      ),
    ).toEqual({
      netW: -543,
      phasesW: [-676, 133, 0],
    });
  });

  it('reads API v2: GET /api/measurement with a bearer token, over https only', () => {
    const v2 = value(
      homewizardP1.validate({
        url: 'https://192.168.1.20',
        api: 'v2',
        token: '00112233445566778899AABBCCDDEEFF',
      }),
    );
    expect(v2).toEqual({
      url: 'https://192.168.1.20',
      interval_s: 10,
      api: 'v2',
      token: '00112233445566778899AABBCCDDEEFF',
    });
    expect(homewizardP1.requestPath(v2)).toBe('/api/measurement');
    expect(homewizardP1.requestOptions!(v2, 'opened-token')).toEqual({
      headers: { authorization: 'Bearer opened-token', 'x-api-version': '2' },
      tls: { ca: undefined },
    });
    expect(homewizardP1.requestOptions!(s, undefined)).toEqual({});
    expect(
      value(
        homewizardP1.parseResponse(
          v2,
          payload('homewizard-p1/v2-measurement-3-phase-doc-example.txt'),
        ),
      ),
    ).toEqual({ netW: -543, phasesW: [-676, 133, 0] });
    // v1's field names are not v2's.
    const wrong = homewizardP1.parseResponse(v2, '{"active_power_w": 5}');
    expect(wrong.ok || wrong.error.message).toBe('the answer has no numeric power_w');
  });

  it('names what is wrong with v2 settings', () => {
    const setting = (raw: object) => {
      const out = homewizardP1.validate(raw);
      return out.ok ? 'ok' : out.error.setting;
    };
    expect(setting({ url: 'http://192.168.1.20', api: 'v2', token: 'T' })).toBe('url');
    expect(setting({ url: 'https://192.168.1.20', api: 'v2' })).toBe('token');
    expect(setting({ url: 'https://192.168.1.20', api: 'v2', token: 'T', ca: 'x' })).toBe('ca');
    expect(setting({ url: 'https://192.168.1.20', api: 'v3' })).toBe('api');
    expect(
      setting({
        url: 'https://192.168.1.20',
        api: 'v2',
        token: 'T',
        ca: '-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n',
      }),
    ).toBe('ok');
  });

  it('refuses the 1-phase documentation example as shown: it has a trailing comma', () => {
    const out = homewizardP1.parseResponse(
      s,
      payload('homewizard-p1/v1-data-1-phase-doc-example.txt'),
    );
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.error.code).toBe('SOURCE_PAYLOAD_UNPARSEABLE');
    expect(out.error.message).toMatch(/^the payload is not valid JSON/);
  });

  it('reads it once the comma is gone: L1 -676 W against -678 W total is within tolerance', () => {
    const fixed = payload('homewizard-p1/v1-data-1-phase-doc-example.txt').replace(
      '-676,\n}',
      '-676\n}',
    );
    expect(value(homewizardP1.parseResponse(s, fixed))).toEqual({ netW: -678, phasesW: [-676] });
  });

  it('refuses an answer without active_power_w (a water meter)', () => {
    const out = homewizardP1.parseResponse(s, '{"wifi_ssid":"x","active_liter_lpm":0}');
    expect(out.ok || out.error.message).toBe('the answer has no numeric active_power_w');
  });
});

describe('iotawatt', () => {
  it('builds the query for the newest 5-second rows with a header and UTC Unix time', () => {
    const config = value(
      validateSource('iotawatt', {
        url: 'http://iotawatt.local',
        series: ['Mains'],
        production_series: 'Solar',
      }),
    );
    expect(sourceRequestUrl(config)).toBe(
      'http://iotawatt.local/query?select=[time.utc.unix,Mains.watts,Solar.watts]&begin=s-10s&end=s&group=5s&format=json&header=yes&missing=null',
    );
  });

  it("reads the documentation's JSON answer: the newest row, its local time left to the caller", () => {
    const s = value(iotawatt.validate({ url: 'http://iotawatt.local', series: ['Heat_Pump'] }));
    const body = payload('iotawatt/query-select-json-header-doc-example.txt');
    expect(value(iotawatt.parseResponse(s, body))).toEqual({ netW: 345.7 });
    const withProduction = value(
      iotawatt.validate({ url: 'http://i', series: ['Heat_Pump'], production_series: 'misc' }),
    );
    expect(value(iotawatt.parseResponse(withProduction, body))).toEqual({
      netW: 345.7,
      productionW: 124.2,
    });
    const asPhases = value(iotawatt.validate({ url: 'http://i', series: ['Heat_Pump', 'misc'] }));
    expect(value(iotawatt.parseResponse(asPhases, body))).toEqual({
      netW: 469.9,
      phasesW: [345.7, 124.2],
    });
  });

  it('reads a bare table by column order, skips a row still being logged and keeps Unix time', () => {
    const s = value(
      iotawatt.validate({ url: 'http://i', series: ['Mains'], sign: 'export-positive' }),
    );
    expect(value(iotawatt.parseResponse(s, '[[1571284795,1200.5],[1571284800,null]]'))).toEqual({
      ts: 1_571_284_795_000,
      netW: -1200.5,
    });
  });

  it("reports IoTaWatt's error answer and a missing column", () => {
    const s = value(iotawatt.validate({ url: 'http://i', series: ['Heat_Pump'] }));
    const err = iotawatt.parseResponse(s, payload('iotawatt/query-invalid-series-doc-example.txt'));
    expect(err.ok || err.error.message).toBe(
      'IoTaWatt answered: invalid query. Invalid series: heap_pump',
    );
    const wrong = value(iotawatt.validate({ url: 'http://i', series: ['Mains'] }));
    const missing = iotawatt.parseResponse(
      wrong,
      payload('iotawatt/query-select-json-header-doc-example.txt'),
    );
    expect(missing.ok || missing.error.message).toBe("the answer has no 'Mains' column");
  });

  it('validates series names, naming the setting', () => {
    for (const [raw, setting] of [
      [{ url: 'http://i' }, 'series'],
      [{ url: 'http://i', series: [] }, 'series'],
      [{ url: 'http://i', series: ['Mains]&x=['] }, 'series'],
      [{ url: 'http://i', series: ['Mains'], production_series: 'a b' }, 'production_series'],
    ] as Array<[unknown, string]>) {
      const out = iotawatt.validate(raw);
      expect(out.ok || out.error.setting).toBe(setting);
    }
  });
});
