// Proves the Building page's meter catalogue matches what the server accepts: the same type names as @nilm/sources in the same transports, every example and every form's starting settings pass that package's validation, form values become the settings object (numbers, nested line-protocol selectors, empty fields left to defaults), a 422 naming a setting finds its field, and the MQTT device line says what to set on each kind of broker.
import type { IngestInfo } from '@nilm/contracts';
// Test-only: the web app never bundles the parsers; this pins its catalogue to them.
import { SOURCE_TYPE_NAMES, sourceTransport, validateSource } from '@nilm/sources';
import { describe, expect, it } from 'vitest';
import {
  SOURCE_TYPES,
  fieldForSetting,
  initialValues,
  mqttDeviceLine,
  settingsFromFields,
  sourceTypeInfo,
} from './source.catalogue.js';

describe('the catalogue', () => {
  it('offers exactly the types the server knows, each in its transport group', () => {
    expect(SOURCE_TYPES.map((t) => t.type).sort()).toEqual([...SOURCE_TYPE_NAMES].sort());
    for (const t of SOURCE_TYPES)
      expect(t.group, t.type).toBe(sourceTransport(t.type as (typeof SOURCE_TYPE_NAMES)[number]));
  });

  it('starts the JSON editor from settings the server accepts', () => {
    for (const t of SOURCE_TYPES) {
      const v = validateSource(t.type, t.example);
      expect(v.ok ? 'ok' : v.error.message, t.type).toBe('ok');
    }
  });

  it('gives the form types fields whose filled-in values the server accepts', () => {
    const filled: Record<string, Record<string, string>> = {
      'shelly-gen2': { topic: 'shellypro3em-e2e/status/em:0' },
      tasmota: { topic: 'tele/tasmota_8C4A1B/SENSOR' },
      'p1-esp': {},
      'homewizard-p1': { url: 'http://192.168.1.50' },
      'line-protocol': { 'power.measurement': 'Mains' },
    };
    for (const [type, values] of Object.entries(filled)) {
      const info = sourceTypeInfo(type)!;
      expect(info.fields, type).toBeDefined();
      const settings = settingsFromFields(info.fields!, { ...initialValues(info), ...values });
      const v = validateSource(type, settings);
      expect(v.ok ? 'ok' : v.error.message, type).toBe('ok');
    }
  });
});

describe('settingsFromFields', () => {
  it('sends numbers as numbers, nests dotted settings and leaves empty fields out', () => {
    const hw = sourceTypeInfo('homewizard-p1')!;
    expect(settingsFromFields(hw.fields!, { url: ' http://p1.lan ', interval_s: '5' })).toEqual({
      url: 'http://p1.lan',
      interval_s: 5,
    });
    expect(settingsFromFields(hw.fields!, { url: 'http://p1.lan', interval_s: '' })).toEqual({
      url: 'http://p1.lan',
    });
    const lp = sourceTypeInfo('line-protocol')!;
    expect(
      settingsFromFields(lp.fields!, {
        'power.measurement': 'Mains',
        'power.field': 'value',
        precision: 's',
      }),
    ).toEqual({ power: { measurement: 'Mains', field: 'value' }, precision: 's' });
  });
});

describe('fieldForSetting', () => {
  const lp = sourceTypeInfo('line-protocol')!.fields!;
  it('finds the field of a setting, or the first field inside an object setting', () => {
    expect(fieldForSetting(lp, 'precision')).toBe('precision');
    expect(fieldForSetting(lp, 'power.field')).toBe('power.field');
    expect(fieldForSetting(lp, 'power')).toBe('power.measurement');
    expect(fieldForSetting(lp, 'unit')).toBeUndefined();
    expect(fieldForSetting(lp, undefined)).toBeUndefined();
  });
});

describe('mqttDeviceLine', () => {
  const info = (mqtt: Partial<IngestInfo['mqtt']>): IngestInfo => ({
    http: {
      method: 'POST',
      path: '/api/v1/ingest',
      token_header: 'X-Ingest-Token',
      max_readings: 1,
    },
    mqtt: {
      enabled: true,
      broker: 'embedded',
      url: 'mqtt://energy.lan:1884',
      host: 'energy.lan',
      port: 1884,
      tls: false,
      websocket: false,
      topic_pattern: 'nilm/+/power',
      auth: 'broker_login',
      loopback_only: false,
      max_readings_per_message: 1,
      ...mqtt,
    },
  });

  it('names server, port, user (the building id), a device token and the topic on the built-in broker', () => {
    const line = mqttDeviceLine({ info: info({}), buildingId: 'home', topic: 'shp/status/em:0' });
    expect(line).toBe(
      'On the device, set MQTT server energy.lan, port 1884, user name home (this building’s id), password a device token of this building (create one under Device tokens); it publishes on shp/status/em:0.',
    );
  });

  it('warns when the built-in broker is reachable from this computer only', () => {
    const line = mqttDeviceLine({
      info: info({ host: '127.0.0.1', loopback_only: true }),
      buildingId: 'home',
      topic: 't',
    });
    expect(line).toContain('server 127.0.0.1, port 1884');
    expect(line).toContain('start the server with HOST=0.0.0.0');
  });

  it('says an external broker is trusted by topic, and that MQTT may be off', () => {
    expect(
      mqttDeviceLine({
        info: info({ broker: 'external', url: 'mqtt://mosquitto.lan:1883' }),
        buildingId: 'home',
        topic: 'tele/x/SENSOR',
      }),
    ).toContain('Point the device at mqtt://mosquitto.lan:1883');
    expect(
      mqttDeviceLine({ info: info({ enabled: false }), buildingId: 'home', topic: 't' }),
    ).toMatch(/^MQTT is off on this server/);
  });
});
