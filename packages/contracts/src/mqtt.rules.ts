/**
 * What an MQTT message may hold, and which building a topic names. Pure functions, no I/O and no
 * Node-only types, shared by the server (ingest, embedded broker) and the CLI's replay command.
 *
 * Payloads (UTF-8):
 * - a plain number: power in W, stamped with the time the server received it;
 * - a JSON object `{"ts": ISO-8601 with zone | epoch ms, "power_w": number, "phases_w"?: number[],
 *   "token"?: string}`;
 * - a JSON array of such objects (a batch; every `token` in it must be the same).
 *
 * Topics follow a pattern in which exactly one whole level is `+`, standing for the building id
 * (default `nilm/+/power`, so `nilm/house1/power` carries readings of building `house1`).
 * Only the shape is checked here; times and power ranges are checked by `IngestService`.
 */
import type { MqttErrorCode } from './error.catalogue.js';

/** The default topic pattern; `+` stands for the building id. */
export const DEFAULT_TOPIC_PATTERN = 'nilm/+/power';
/** Building ids, as everywhere else in the API (the `Id` schema's pattern). */
export const BUILDING_ID_FORMAT = /^[a-zA-Z0-9_-]{1,64}$/;
/** Largest payload parsed; larger messages are refused before any JSON parsing. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;
/** Most readings in one message, as in one HTTP ingest request. */
export const MAX_READINGS_PER_MESSAGE = 10_000;

/** One reading in the shape `IngestService.ingest` takes. */
export interface MqttReading {
  ts: string | number;
  power_w: number;
  /** Signed net power per phase, L1 first (1 to 3 values). */
  phases_w?: number[];
}

/** A parsed message: its readings and the device token it carried, if any. */
export interface MqttPayload {
  readings: MqttReading[];
  token: string | undefined;
}

/**
 * Why a topic or payload was refused: the error catalogue's `mqtt` causes; `code` is stable
 * (metrics, tests), `message` says what to do.
 */
export type MqttInputErrorCode = MqttErrorCode;

/** A topic, topic pattern or payload that cannot be used. */
export class MqttInputError extends Error {
  constructor(
    readonly code: MqttInputErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'MqttInputError';
  }
}

const PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const READING_KEYS = new Set(['ts', 'power_w', 'phases_w', 'token']);
const EXAMPLE = '{"ts":"2024-05-01T12:00:00Z","power_w":431.5}';
// Invalid bytes become U+FFFD and a byte-order mark is kept (then trimmed), as Buffer's
// toString('utf8') did when this took Buffers only; a Buffer is a Uint8Array.
const UTF8_DECODER = new TextDecoder('utf-8', { ignoreBOM: true });
const UTF8_ENCODER = new TextEncoder();

/**
 * Check a topic pattern: MQTT levels separated by `/`, exactly one level that is `+` (the
 * building id), no `#` and no other wildcard. Returns the index of the `+` level.
 */
export function checkTopicPattern(pattern: string): number {
  const levels = pattern.split('/');
  const plus = levels.flatMap((l, i) => (l === '+' ? [i] : []));
  const bad = levels.find((l) => l !== '+' && (l.includes('+') || l.includes('#')));
  if (plus.length !== 1 || bad !== undefined || pattern.includes('\u0000')) {
    throw new MqttInputError(
      'MQTT_TOPIC_PATTERN',
      `topic pattern "${pattern}" must have exactly one level that is "+" (the building id) and no other wildcard, e.g. ${DEFAULT_TOPIC_PATTERN}`,
    );
  }
  return plus[0]!;
}

/** The building id that `topic` names under `pattern`; throws MqttInputError when it names none. */
export function buildingIdFromTopic(topic: string, pattern: string): string {
  const at = checkTopicPattern(pattern);
  const want = pattern.split('/');
  const got = topic.split('/');
  const fits = got.length === want.length && want.every((l, i) => i === at || l === got[i]);
  if (!fits) {
    throw new MqttInputError(
      'MQTT_TOPIC',
      `topic "${topic}" does not match "${pattern}"; publish to ${pattern.replace('+', '<building id>')}`,
    );
  }
  const id = got[at]!;
  if (!BUILDING_ID_FORMAT.test(id)) {
    throw new MqttInputError(
      'MQTT_TOPIC',
      `topic "${topic}": "${id}" is not a building id (1 to 64 of a-z, A-Z, 0-9, _ and -)`,
    );
  }
  return id;
}

/** The topic a building publishes to under `pattern`. */
export function topicForBuilding(pattern: string, buildingId: string): string {
  const at = checkTopicPattern(pattern);
  if (!BUILDING_ID_FORMAT.test(buildingId)) {
    throw new MqttInputError(
      'MQTT_TOPIC',
      `"${buildingId}" is not a building id (1 to 64 of a-z, A-Z, 0-9, _ and -)`,
    );
  }
  return pattern
    .split('/')
    .map((l, i) => (i === at ? buildingId : l))
    .join('/');
}

function payloadError(message: string): MqttInputError {
  return new MqttInputError('MQTT_PAYLOAD', message);
}

function reading(value: unknown, where: string): { reading: MqttReading; token?: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw payloadError(`${where} is not an object; send ${EXAMPLE}`);
  }
  const o = value as Record<string, unknown>;
  const extra = Object.keys(o).find((k) => !READING_KEYS.has(k));
  if (extra !== undefined) {
    throw payloadError(
      `${where} has an unknown field "${extra}"; allowed: ts, power_w, phases_w, token`,
    );
  }
  const { ts, power_w: power, phases_w: phases, token } = o;
  if (ts === undefined) throw payloadError(`${where} has no "ts"; send ${EXAMPLE}`);
  if (typeof ts !== 'string' && typeof ts !== 'number') {
    throw payloadError(`${where}.ts must be an ISO-8601 string or epoch milliseconds`);
  }
  if (power === undefined) throw payloadError(`${where} has no "power_w"; send ${EXAMPLE}`);
  if (typeof power !== 'number') throw payloadError(`${where}.power_w must be a number of watts`);
  if (token !== undefined && typeof token !== 'string') {
    throw payloadError(`${where}.token must be a string (the building's device token)`);
  }
  if (
    phases !== undefined &&
    (!Array.isArray(phases) ||
      phases.length < 1 ||
      phases.length > 3 ||
      phases.some((w) => typeof w !== 'number'))
  ) {
    throw payloadError(`${where}.phases_w must be 1 to 3 numbers of watts, L1 first`);
  }
  return {
    reading: {
      ts,
      power_w: power,
      ...(phases === undefined ? {} : { phases_w: [...(phases as number[])] }),
    },
    ...(token === undefined ? {} : { token }),
  };
}

/**
 * Parse one message payload. `receivedAtMs` stamps a plain-number payload. Throws MqttInputError
 * (code MQTT_PAYLOAD) with a message that says what to send instead.
 */
export function parsePayload(payload: Uint8Array | string, receivedAtMs: number): MqttPayload {
  const size = typeof payload === 'string' ? UTF8_ENCODER.encode(payload).length : payload.length;
  if (size > MAX_PAYLOAD_BYTES) {
    throw payloadError(
      `payload of ${size} bytes is over ${MAX_PAYLOAD_BYTES}; send at most ${MAX_READINGS_PER_MESSAGE} readings per message`,
    );
  }
  const text = (typeof payload === 'string' ? payload : UTF8_DECODER.decode(payload)).trim();
  if (text === '') {
    throw payloadError(`payload is empty; send a number of watts or ${EXAMPLE}`);
  }
  if (PLAIN_NUMBER.test(text)) {
    return {
      readings: [{ ts: Math.round(receivedAtMs), power_w: Number(text) }],
      token: undefined,
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw payloadError(
      `payload is neither a number nor JSON (starts ${JSON.stringify(text.slice(0, 40))}); send a number of watts or ${EXAMPLE}`,
    );
  }
  if (!Array.isArray(value)) {
    const one = reading(value, 'payload');
    return { readings: [one.reading], token: one.token };
  }
  if (value.length === 0)
    throw payloadError('payload is an empty array; send at least one reading');
  if (value.length > MAX_READINGS_PER_MESSAGE) {
    throw payloadError(
      `payload has ${value.length} readings; send at most ${MAX_READINGS_PER_MESSAGE} per message`,
    );
  }
  const readings: MqttReading[] = [];
  let token: string | undefined;
  value.forEach((v, i) => {
    const one = reading(v, `payload[${i}]`);
    if (one.token !== undefined) {
      // One message authenticates as one device: tokens that differ inside a batch would make it
      // unclear whose readings these are.
      if (token !== undefined && one.token !== token) {
        throw payloadError(`payload[${i}].token differs from an earlier token in the same batch`);
      }
      token = one.token;
    }
    readings.push(one.reading);
  });
  return { readings, token };
}
