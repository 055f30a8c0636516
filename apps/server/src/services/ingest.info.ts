/**
 * What a meter needs to know to send readings here, derived from the configuration the same way
 * `server.ts` starts MQTT ingest: the embedded broker when `MQTT_EMBEDDED_PORT` > 0 (it wins
 * over `MQTT_URL`), which authenticates each device at CONNECT (username = building id,
 * password = device token); else an external broker at `MQTT_URL`, whose messages must carry the
 * device token in the JSON payload. `MQTT_PUBLIC_URL`, when set, is the address reported for
 * either (the server cannot know it behind NAT, a port forward or a proxy). Never includes a
 * secret: credentials in `MQTT_URL` are dropped (config.ts refuses them in `MQTT_PUBLIC_URL`).
 */
import type { IngestInfo } from '@nilm/contracts';
import type { ServerConfig } from '../config.js';
import { MAX_READINGS_PER_MESSAGE } from '@nilm/contracts';

/** The most readings in one HTTP ingest request (the IngestBody schema's limit). */
export const MAX_READINGS_PER_REQUEST = 10_000;

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]', '']);
const DEFAULT_PORTS: Record<string, number> = {
  'mqtt:': 1883,
  'mqtts:': 8883,
  'ws:': 80,
  'wss:': 443,
};

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || h.startsWith('127.');
}

/** A host as it goes into a URL (IPv6 in brackets). */
function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * Ingest details for devices. `requestHost` is the host name the caller reached this server
 * at: a broker bound to every interface is reachable there too (unless MQTT_PUBLIC_URL says
 * otherwise).
 */
export function describeIngest(
  config: Pick<
    ServerConfig,
    'HOST' | 'MQTT_EMBEDDED_PORT' | 'MQTT_URL' | 'MQTT_TOPIC' | 'MQTT_PUBLIC_URL'
  >,
  requestHost: string,
): IngestInfo {
  const info = describeBroker(config, requestHost);
  if (!info.mqtt.enabled || !config.MQTT_PUBLIC_URL) return info;
  // The operator's word on where devices reach the broker replaces what this server sees.
  const u = new URL(config.MQTT_PUBLIC_URL);
  const port = u.port ? Number(u.port) : (DEFAULT_PORTS[u.protocol] ?? 1883);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return {
    ...info,
    mqtt: {
      ...info.mqtt,
      // Rebuilt from its parts, like MQTT_URL below, so that nothing but the address goes out.
      url: `${u.protocol}//${urlHost(host)}:${port}`,
      host,
      port,
      tls: u.protocol === 'mqtts:',
      websocket: false,
      // Whatever the broker binds to, devices are sent to the public address.
      loopback_only: false,
    },
  };
}

/** The broker as this server itself sees it, before MQTT_PUBLIC_URL. */
function describeBroker(
  config: Pick<ServerConfig, 'HOST' | 'MQTT_EMBEDDED_PORT' | 'MQTT_URL' | 'MQTT_TOPIC'>,
  requestHost: string,
): IngestInfo {
  const http: IngestInfo['http'] = {
    method: 'POST',
    path: '/api/v1/ingest',
    token_header: 'X-Ingest-Token',
    max_readings: MAX_READINGS_PER_REQUEST,
  };
  const off: IngestInfo['mqtt'] = {
    enabled: false,
    broker: null,
    url: null,
    host: null,
    port: null,
    tls: false,
    websocket: false,
    topic_pattern: config.MQTT_TOPIC,
    auth: null,
    loopback_only: false,
    max_readings_per_message: MAX_READINGS_PER_MESSAGE,
  };
  if (config.MQTT_EMBEDDED_PORT > 0) {
    // The embedded broker listens on HOST (see startEmbeddedBroker in server.ts).
    const bound = config.HOST.trim();
    const host = WILDCARD_HOSTS.has(bound) ? requestHost : bound;
    const port = config.MQTT_EMBEDDED_PORT;
    return {
      http,
      mqtt: {
        ...off,
        enabled: true,
        broker: 'embedded',
        url: `mqtt://${urlHost(host)}:${port}`,
        host: host.replace(/^\[|\]$/g, ''),
        port,
        auth: 'broker_login',
        loopback_only: !WILDCARD_HOSTS.has(bound) && isLoopback(bound),
      },
    };
  }
  if (config.MQTT_URL) {
    const u = new URL(config.MQTT_URL);
    const port = u.port ? Number(u.port) : (DEFAULT_PORTS[u.protocol] ?? 1883);
    const websocket = u.protocol === 'ws:' || u.protocol === 'wss:';
    const path = websocket && u.pathname !== '/' ? u.pathname : '';
    const host = u.hostname.replace(/^\[|\]$/g, '');
    return {
      http,
      mqtt: {
        ...off,
        enabled: true,
        broker: 'external',
        // Rebuilt from its parts so that no user name or password in MQTT_URL can leak.
        url: `${u.protocol}//${urlHost(host)}:${port}${path}`,
        host,
        port,
        tls: u.protocol === 'mqtts:' || u.protocol === 'wss:',
        websocket,
        auth: 'payload',
      },
    };
  }
  return { http, mqtt: off };
}
