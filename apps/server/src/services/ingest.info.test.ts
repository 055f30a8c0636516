// Proves that the ingest details for devices follow the configuration as server.ts starts MQTT (embedded broker first, then MQTT_URL, else off), resolve a wildcard bind to the host the caller used, report MQTT_PUBLIC_URL instead when it is set, and never carry the credentials of MQTT_URL.
import { describe, expect, it } from 'vitest';
import { describeIngest } from './ingest.info.js';

const base = {
  HOST: '127.0.0.1',
  MQTT_EMBEDDED_PORT: 0,
  MQTT_URL: undefined,
  MQTT_TOPIC: 'nilm/+/power',
};

describe('describeIngest', () => {
  it('always describes HTTP ingest, and MQTT as off when neither broker is configured', () => {
    const info = describeIngest(base, 'energy.example');
    expect(info.http).toEqual({
      method: 'POST',
      path: '/api/v1/ingest',
      token_header: 'X-Ingest-Token',
      max_readings: 10_000,
    });
    expect(info.mqtt).toMatchObject({
      enabled: false,
      broker: null,
      url: null,
      auth: null,
      topic_pattern: 'nilm/+/power',
    });
  });

  it('describes the embedded broker on a wildcard bind at the host the caller reached', () => {
    const info = describeIngest(
      { ...base, HOST: '0.0.0.0', MQTT_EMBEDDED_PORT: 1884, MQTT_TOPIC: 'meters/+/w' },
      'energy.example',
    );
    expect(info.mqtt).toEqual({
      enabled: true,
      broker: 'embedded',
      url: 'mqtt://energy.example:1884',
      host: 'energy.example',
      port: 1884,
      tls: false,
      websocket: false,
      topic_pattern: 'meters/+/w',
      auth: 'broker_login',
      loopback_only: false,
      max_readings_per_message: 10_000,
    });
  });

  it('flags an embedded broker bound to loopback, and prefers it over MQTT_URL', () => {
    const info = describeIngest(
      { ...base, MQTT_EMBEDDED_PORT: 1883, MQTT_URL: 'mqtt://broker.lan:1883' },
      'energy.example',
    );
    expect(info.mqtt).toMatchObject({
      broker: 'embedded',
      host: '127.0.0.1',
      url: 'mqtt://127.0.0.1:1883',
      loopback_only: true,
    });
    expect(
      describeIngest({ ...base, HOST: '::1', MQTT_EMBEDDED_PORT: 1883 }, 'x').mqtt,
    ).toMatchObject({ host: '::1', url: 'mqtt://[::1]:1883', loopback_only: true });
  });

  it('describes an external broker without the credentials in MQTT_URL', () => {
    const info = describeIngest(
      { ...base, MQTT_URL: 'mqtts://svc:s3cret-pass@broker.example.org:8884' },
      'energy.example',
    );
    expect(info.mqtt).toEqual({
      enabled: true,
      broker: 'external',
      url: 'mqtts://broker.example.org:8884',
      host: 'broker.example.org',
      port: 8884,
      tls: true,
      websocket: false,
      topic_pattern: 'nilm/+/power',
      auth: 'payload',
      loopback_only: false,
      max_readings_per_message: 10_000,
    });
    expect(JSON.stringify(info)).not.toMatch(/s3cret|svc/);
  });

  it('fills in default ports and keeps a WebSocket path', () => {
    expect(describeIngest({ ...base, MQTT_URL: 'mqtt://mosquitto' }, 'x').mqtt).toMatchObject({
      url: 'mqtt://mosquitto:1883',
      port: 1883,
      tls: false,
    });
    expect(
      describeIngest({ ...base, MQTT_URL: 'wss://user:pw@broker.example.org/mqtt' }, 'x').mqtt,
    ).toMatchObject({
      url: 'wss://broker.example.org:443/mqtt',
      port: 443,
      tls: true,
      websocket: true,
    });
  });

  it('reports MQTT_PUBLIC_URL as the address of either broker, keeping how devices sign in', () => {
    const embedded = describeIngest(
      {
        ...base,
        HOST: '127.0.0.1',
        MQTT_EMBEDDED_PORT: 1884,
        MQTT_PUBLIC_URL: 'mqtts://energy.example.org:8883',
      },
      '10.0.0.5',
    );
    expect(embedded.mqtt).toEqual({
      enabled: true,
      broker: 'embedded',
      url: 'mqtts://energy.example.org:8883',
      host: 'energy.example.org',
      port: 8883,
      tls: true,
      websocket: false,
      topic_pattern: 'nilm/+/power',
      auth: 'broker_login',
      // A proxy on this machine forwards to the loopback broker: devices do reach it.
      loopback_only: false,
      max_readings_per_message: 10_000,
    });
    const external = describeIngest(
      {
        ...base,
        MQTT_URL: 'wss://svc:s3cret@mosquitto/mqtt',
        MQTT_PUBLIC_URL: 'mqtt://[2001:db8::1]',
      },
      'x',
    );
    expect(external.mqtt).toMatchObject({
      broker: 'external',
      url: 'mqtt://[2001:db8::1]:1883',
      host: '2001:db8::1',
      port: 1883,
      tls: false,
      websocket: false,
      auth: 'payload',
    });
    expect(JSON.stringify(external)).not.toMatch(/s3cret|svc|mosquitto/);
  });

  it('ignores MQTT_PUBLIC_URL while MQTT ingest is off', () => {
    expect(
      describeIngest({ ...base, MQTT_PUBLIC_URL: 'mqtt://energy.example.org' }, 'x').mqtt,
    ).toMatchObject({ enabled: false, url: null, host: null, port: null });
  });
});
