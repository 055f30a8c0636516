/**
 * The two shapes a source type takes: fed over MQTT (a topic filter, a matcher that says which
 * part of the reading a topic carries, a message parser) or polled over HTTP (a request path and
 * a response parser). Every type also validates its own settings. Pure; no I/O: the server owns
 * the MQTT client, the HTTP polling and the clock.
 */
import type { Payload } from './payload.rules.js';
import type { MessageParts, Phase, Quantity, SourceReading } from './reading.rules.js';
import type { Outcome } from './source.errors.js';
import type { PolledSettings } from './settings.rules.js';

/** What an incoming topic carries for a source whose topic filter it matches. */
export interface TopicMatch {
  /** In words, for a source's status: 'em:0 status', 'consumption', 'return L2', 'sys status'. */
  part: string;
  /** False for topics inside the filter that never carry power (a Shelly's status/sys). */
  power: boolean;
  /** For a single-value topic: what its value measures. */
  quantity?: Quantity;
  phase?: Phase;
}

/** A source type fed by MQTT messages. */
export interface MqttSourceType<S> {
  readonly type: string;
  readonly transport: 'mqtt';
  /** Checks raw settings; a bad one is a SOURCE_SETTING_INVALID error naming it. */
  validate(raw: unknown): Outcome<S>;
  /** Whether a topic belongs to this source, and which part it is; undefined when it does not. */
  matchTopic(settings: S, topic: string): TopicMatch | undefined;
  /**
   * The power parts of one message. A topic that does not match the source is an error; a
   * matching topic without power gives no parts and an `ignored` reason.
   */
  parseMessage(settings: S, topic: string, payload: Payload): Outcome<MessageParts>;
}

/** A source type polled over HTTP on the local network. */
export interface PolledSourceType<S extends PolledSettings> {
  readonly type: string;
  readonly transport: 'http';
  validate(raw: unknown): Outcome<S>;
  /** The path and query to GET, appended to the `url` setting. */
  requestPath(settings: S): string;
  /**
   * Headers and TLS trust for the request, when the device needs them (a bearer token, a
   * device CA); `token` is the source's secret, opened by the server.
   */
  requestOptions?(settings: S, token: string | undefined): PolledRequestOptions;
  /** The reading in one response body. */
  parseResponse(settings: S, body: Payload): Outcome<SourceReading>;
}

/** How a polled request is made beyond its URL. */
export interface PolledRequestOptions {
  headers?: Record<string, string>;
  /** An https device with its own CA: `ca` verifies its certificate; without it none is checked. */
  tls?: { ca?: string };
}
