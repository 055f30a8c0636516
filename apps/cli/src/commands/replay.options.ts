/**
 * The flags of `nilm replay`: their shape, their checks, and the sender they name (HTTP with
 * --url and --token, or MQTT with --mqtt). Every bad flag is a CONFIG_INVALID error (exit 2)
 * that says what to pass instead, raised before any data is loaded.
 */
import { BUILDING_ID_FORMAT, MqttInputError, topicForBuilding } from '@nilm/contracts';
import type { DataFlags } from './eval.command.js';
import { HttpSink } from './replay.http.sink.js';
import { MqttSink } from './replay.mqtt.sink.js';
import { invalid, note } from './replay.shared.js';
import type { Sink } from './replay.sink.js';

/** The options commander hands to `nilm replay`, as typed. */
export interface ReplayOptions extends DataFlags {
  data: string;
  building: string;
  url?: string;
  token?: string;
  mqtt?: string;
  username?: string;
  password?: string;
  topic: string;
  speed: string;
  maxSeconds?: string;
}

function parseNumber(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min)
    throw invalid(`${flag} must be a number >= ${min}, got "${value}"`);
  return n;
}

/** The checked --building, --speed and --max-seconds (seconds; undefined: no limit). */
export function replayPace(o: ReplayOptions): { speed: number; maxSeconds: number | undefined } {
  if (!BUILDING_ID_FORMAT.test(o.building)) {
    throw invalid(
      `--building "${o.building}" is not a building id (1 to 64 of a-z, A-Z, 0-9, _ and -)`,
    );
  }
  const speed = parseNumber('--speed', o.speed, 1);
  const maxSeconds =
    o.maxSeconds === undefined ? undefined : parseNumber('--max-seconds', o.maxSeconds, 0);
  return { speed, maxSeconds };
}

/** The sender the destination flags name, connected (MQTT) and ready to send. */
export async function openSink(o: ReplayOptions): Promise<Sink> {
  if (o.url !== undefined) {
    if (o.token === undefined) {
      throw invalid("--url needs --token <device token> (the building's ingest token)");
    }
    if (o.username !== undefined || o.password !== undefined) {
      throw invalid('--username and --password are for --mqtt; HTTP uses --token');
    }
    return new HttpSink(o.url, o.building, o.token);
  }
  if (o.mqtt === undefined) {
    throw invalid(
      'say where to send the readings: --url <api base> --token <token>, or --mqtt <url>',
    );
  }
  let topic: string;
  try {
    topic = topicForBuilding(o.topic, o.building);
  } catch (e) {
    if (e instanceof MqttInputError) throw invalid(`--topic: ${e.message}`);
    throw e;
  }
  if (o.token === undefined && o.password === undefined) {
    note(
      'no --token and no --password: the server drops these readings unless its broker authenticates devices itself',
    );
  }
  return MqttSink.open({
    url: o.mqtt,
    topic,
    token: o.token,
    // The embedded broker takes the building id as username; default to it with a password.
    username: o.username ?? (o.password !== undefined ? o.building : undefined),
    password: o.password,
  });
}
