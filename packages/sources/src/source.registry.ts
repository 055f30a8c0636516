/**
 * Every source type by name, and the calls the server makes without knowing which type it has:
 * validate a type and its settings, match an MQTT topic, parse a message, build a poll path,
 * parse a polled response, parse a line-protocol body. Pure; no I/O.
 */
import type { Payload } from './payload.rules.js';
import type { MessageParts, SourceReading } from './reading.rules.js';
import { type Outcome, fail, ok } from './source.errors.js';
import type {
  MqttSourceType,
  PolledRequestOptions,
  PolledSourceType,
  TopicMatch,
} from './source.types.js';
import { dsmrReader } from './types/dsmr-reader.source.js';
import { emonhub } from './types/emonhub.source.js';
import { esphome } from './types/esphome.source.js';
import { glow } from './types/glow.source.js';
import { homewizardP1 } from './types/homewizard-p1.source.js';
import { iotawatt } from './types/iotawatt.source.js';
import { json } from './types/json.source.js';
import {
  type LineProtocolSettings,
  lineProtocolReadings,
  validateLineProtocol,
} from './types/line-protocol.source.js';
import { p1Esp } from './types/p1-esp.source.js';
import {
  type HomeAssistantSettings,
  validateHomeAssistant,
} from './types/home-assistant.source.js';
import { shellyGen1 } from './types/shelly-gen1.source.js';
import { shellyGen2 } from './types/shelly-gen2.source.js';
import { shellyRpc } from './types/shelly-rpc.source.js';
import { tasmota } from './types/tasmota.source.js';

/** MQTT-fed types by name. */
export const MQTT_SOURCE_TYPES = {
  'shelly-gen2': shellyGen2,
  'shelly-gen1': shellyGen1,
  tasmota,
  esphome,
  'dsmr-reader': dsmrReader,
  'p1-esp': p1Esp,
  glow,
  emonhub,
  json,
} as const;

/** HTTP-polled types by name. */
export const POLLED_SOURCE_TYPES = {
  'shelly-rpc': shellyRpc,
  'homewizard-p1': homewizardP1,
  iotawatt,
} as const;

export type MqttSourceTypeName = keyof typeof MQTT_SOURCE_TYPES;
export type PolledSourceTypeName = keyof typeof POLLED_SOURCE_TYPES;
export type SourceTypeName =
  MqttSourceTypeName | PolledSourceTypeName | 'line-protocol' | 'home-assistant';

/** Every type name this version knows, in the order the UI lists them. */
export const SOURCE_TYPE_NAMES: readonly SourceTypeName[] = [
  ...(Object.keys(MQTT_SOURCE_TYPES) as MqttSourceTypeName[]),
  ...(Object.keys(POLLED_SOURCE_TYPES) as PolledSourceTypeName[]),
  'line-protocol',
  'home-assistant',
];

type SettingsOf<T> =
  T extends MqttSourceType<infer S> ? S : T extends PolledSourceType<infer S> ? S : never;

/** A validated source: its type name and its typed settings. */
export type SourceConfig =
  | {
      [K in MqttSourceTypeName]: { type: K; settings: SettingsOf<(typeof MQTT_SOURCE_TYPES)[K]> };
    }[MqttSourceTypeName]
  | {
      [K in PolledSourceTypeName]: {
        type: K;
        settings: SettingsOf<(typeof POLLED_SOURCE_TYPES)[K]>;
      };
    }[PolledSourceTypeName]
  | { type: 'line-protocol'; settings: LineProtocolSettings }
  | { type: 'home-assistant'; settings: HomeAssistantSettings };

/** How a type's readings reach us. */
export function sourceTransport(
  type: SourceTypeName,
): 'mqtt' | 'http' | 'line-protocol' | 'websocket' {
  if (type in MQTT_SOURCE_TYPES) return 'mqtt';
  if (type in POLLED_SOURCE_TYPES) return 'http';
  if (type === 'home-assistant') return 'websocket';
  return 'line-protocol';
}

function isMqtt(type: string): type is MqttSourceTypeName {
  return Object.prototype.hasOwnProperty.call(MQTT_SOURCE_TYPES, type);
}

function isPolled(type: string): type is PolledSourceTypeName {
  return Object.prototype.hasOwnProperty.call(POLLED_SOURCE_TYPES, type);
}

/**
 * Checks a type name and its raw settings. An unknown type is SOURCE_TYPE_UNKNOWN; a bad setting
 * is SOURCE_SETTING_INVALID naming it; defaults are filled in.
 */
export function validateSource(type: string, settings: unknown): Outcome<SourceConfig> {
  let result: Outcome<unknown>;
  if (isMqtt(type))
    result = (MQTT_SOURCE_TYPES[type] as MqttSourceType<unknown>).validate(settings);
  else if (isPolled(type))
    result = (POLLED_SOURCE_TYPES[type] as PolledSourceType<never>).validate(settings);
  else if (type === 'line-protocol') result = validateLineProtocol(settings);
  else if (type === 'home-assistant') result = validateHomeAssistant(settings);
  else {
    return fail(
      'SOURCE_TYPE_UNKNOWN',
      `'${type}' is not a source type; use one of ${SOURCE_TYPE_NAMES.join(', ')}`,
      {
        setting: 'type',
      },
    );
  }
  return result.ok ? ok({ type, settings: result.value } as SourceConfig) : result;
}

/** Whether a topic belongs to an MQTT source and which part it is; undefined otherwise. */
export function matchSourceTopic(config: SourceConfig, topic: string): TopicMatch | undefined {
  if (!isMqtt(config.type)) return undefined;
  return (MQTT_SOURCE_TYPES[config.type] as MqttSourceType<unknown>).matchTopic(
    config.settings,
    topic,
  );
}

/**
 * Every topic filter an MQTT source listens on: its `topic` and, for types that take them, its
 * per-phase and production topics. What a broker must let the source's devices publish to and
 * what a client must subscribe to; empty for a source not fed by MQTT.
 */
export function sourceTopicFilters(config: { type: string; settings: unknown }): string[] {
  if (!isMqtt(config.type)) return [];
  const s = config.settings as {
    topic?: unknown;
    phase_topics?: unknown;
    production_topic?: unknown;
  };
  const all = [
    s.topic,
    ...(Array.isArray(s.phase_topics) ? s.phase_topics : []),
    s.production_topic,
  ];
  return [...new Set(all.filter((t): t is string => typeof t === 'string'))];
}

/** The parts of one MQTT message of an MQTT source. */
export function parseSourceMessage(
  config: SourceConfig,
  topic: string,
  payload: Payload,
): Outcome<MessageParts> {
  if (!isMqtt(config.type))
    return fail('SOURCE_TYPE_UNKNOWN', `'${config.type}' is not fed by MQTT`);
  return (MQTT_SOURCE_TYPES[config.type] as MqttSourceType<unknown>).parseMessage(
    config.settings,
    topic,
    payload,
  );
}

/** The full URL to poll for a polled source. */
export function sourceRequestUrl(config: SourceConfig): string | undefined {
  if (!isPolled(config.type)) return undefined;
  const type = POLLED_SOURCE_TYPES[config.type] as PolledSourceType<never>;
  const settings = config.settings as never as { url: string };
  return settings.url.replace(/\/+$/, '') + type.requestPath(config.settings as never);
}

/** Headers and TLS trust for a polled source's request; `token` is its opened secret. */
export function sourceRequestOptions(
  config: SourceConfig,
  token: string | undefined,
): PolledRequestOptions {
  if (!isPolled(config.type)) return {};
  const type = POLLED_SOURCE_TYPES[config.type] as PolledSourceType<never>;
  return type.requestOptions?.(config.settings as never, token) ?? {};
}

/** The reading in one polled response body. */
export function parseSourceResponse(config: SourceConfig, body: Payload): Outcome<SourceReading> {
  if (!isPolled(config.type))
    return fail('SOURCE_TYPE_UNKNOWN', `'${config.type}' is not polled over HTTP`);
  return (POLLED_SOURCE_TYPES[config.type] as PolledSourceType<never>).parseResponse(
    config.settings as never,
    body,
  );
}

/** The readings in one line-protocol body written to a `line-protocol` source. */
export function parseSourceLines(config: SourceConfig, body: Payload): Outcome<SourceReading[]> {
  if (config.type !== 'line-protocol')
    return fail('SOURCE_TYPE_UNKNOWN', `'${config.type}' does not take line protocol`);
  return lineProtocolReadings(config.settings, body);
}
