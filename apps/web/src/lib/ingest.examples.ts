/**
 * Copy-and-paste commands that send one reading with a new device token, built from what the
 * server says it accepts (`GET /api/v1/ingest/info`):
 * - HTTP: curl POSTs `{"building_id", "readings": [{"ts", "power_w"}]}` with X-Ingest-Token;
 * - MQTT: mosquitto_pub to the building's topic. The embedded broker authenticates the device at
 *   connect (username = building id, password = token); an external broker only relays, so the
 *   token goes in the JSON payload as `"token"`. Readings are never retained (the server drops
 *   retained messages), and QoS 1 lets the broker hold them while the server restarts.
 * The shell stamps each reading with the current UTC time, so a command can be run again.
 */
import type { IngestInfo } from '@nilm/contracts';
import { i18n } from '../i18n/i18n.setup.js';

/** One example reading, in watts. */
export const EXAMPLE_POWER_W = 431.5;
/** Ends a single-quoted shell string, inserts the current UTC time, and reopens it. */
const NOW_IN_QUOTES = `'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"'`;

/** `s` as one single-quoted POSIX shell word. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The topic a building publishes to: the pattern with its `+` level replaced by the id. */
export function topicFor(pattern: string, buildingId: string): string {
  return pattern
    .split('/')
    .map((level) => (level === '+' ? buildingId : level))
    .join('/');
}

export interface MqttExample {
  /** The mosquitto_pub command; null when mosquitto_pub cannot reach the broker (WebSocket). */
  command: string | null;
  topic: string;
  /** The payload as the broker receives it (with an example time instead of the shell's). */
  payload: string;
  /** What else the person needs to know, in plain words. */
  notes: string[];
}

export interface IngestExamples {
  curl: string;
  /** Null when MQTT ingest is off on this server. */
  mqtt: MqttExample | null;
}

/**
 * Examples for `buildingId` with device token `token`. `origin` is where the server is reached
 * (the page's own origin); `fallbackHost` stands in for a broker host the server did not name.
 */
export function ingestExamples(args: {
  info: IngestInfo;
  origin: string;
  buildingId: string;
  token: string;
  fallbackHost?: string;
  /** The time in the displayed payload (default now). */
  now?: Date;
}): IngestExamples {
  const { info, origin, buildingId, token } = args;
  const reading = (extra = '') => `{"ts":"${NOW_IN_QUOTES}","power_w":${EXAMPLE_POWER_W}${extra}}`;
  const httpBody = `{"building_id":"${buildingId}","readings":[${reading()}]}`;
  const curl = [
    `curl -X ${info.http.method} ${shellQuote(`${origin}${info.http.path}`)} \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -H ${shellQuote(`${info.http.token_header}: ${token}`)} \\`,
    `  -d '${httpBody}'`,
  ].join('\n');

  const m = info.mqtt;
  if (!m.enabled) return { curl, mqtt: null };
  const topic = topicFor(m.topic_pattern, buildingId);
  const inPayload = m.auth === 'payload';
  const tokenField = inPayload ? `,"token":"${token}"` : '';
  const ts = `${(args.now ?? new Date()).toISOString().slice(0, 19)}Z`;
  const payload = `{"ts":"${ts}","power_w":${EXAMPLE_POWER_W}${tokenField}}`;
  const host = m.host ?? args.fallbackHost ?? 'localhost';
  const notes: string[] = [];
  let command: string | null = null;
  if (m.websocket) {
    notes.push(i18n.t('ingest.websocket', { url: m.url ?? host }));
  } else {
    const lines = [`mosquitto_pub -h ${shellQuote(host)} -p ${m.port ?? 1883} -q 1 \\`];
    if (m.tls) lines.push('  --capath /etc/ssl/certs \\');
    if (m.auth === 'broker_login')
      lines.push(`  -u ${shellQuote(buildingId)} -P ${shellQuote(token)} \\`);
    lines.push(`  -t ${shellQuote(topic)} \\`);
    lines.push(`  -m '${reading(tokenField)}'`);
    command = lines.join('\n');
  }
  if (m.broker === 'embedded') {
    notes.push(
      i18n.t('ingest.embedded'),
      i18n.t('ingest.plainNumber', { w: EXAMPLE_POWER_W }),
      i18n.t('ingest.noTls'),
    );
    if (m.loopback_only) notes.push(i18n.t('ingest.loopback', { host }));
  } else {
    notes.push(i18n.t('ingest.external'), i18n.t('ingest.externalLogin'));
  }
  notes.push(i18n.t('ingest.retain'));
  return { curl, mqtt: { command, topic, payload, notes } };
}
