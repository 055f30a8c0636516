/**
 * The embedded MQTT broker (aedes over a plain TCP listener), for installs without Mosquitto.
 * It enforces per-building access itself, which is what lets `MqttIngest` run with
 * `trustBroker: true` against it:
 *
 * - a device connects with username = its building id and password = one of that building's
 *   device tokens (looked up by hash; revoked tokens are refused);
 * - a device may publish only to its own building's topic (under the topic pattern), and may
 *   subscribe only to that same topic: never to another building's, never to a wildcard;
 * - the server's own ingest client authenticates with a secret made at start (returned as
 *   `internalCredentials`); it may subscribe to the pattern and publish nothing.
 *
 * A connected device's token is checked again at least every `recheckMs` when it publishes, so a
 * revoked token stops working within that time without waiting for a reconnect. A retained
 * publish is acknowledged but neither kept nor ingested.
 * Plain TCP: put it behind a TLS terminator, or bind it to 127.0.0.1 (the default) or a
 * trusted network, since tokens travel in the CONNECT packet.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { MetadataStore } from '@nilm/stores';
import { hashDeviceToken, isDeviceToken } from '../auth/device.token.js';
import {
  BUILDING_ID_FORMAT,
  DEFAULT_TOPIC_PATTERN,
  MqttInputError,
  buildingIdFromTopic,
  checkTopicPattern,
  topicForBuilding,
} from '@nilm/contracts';
import type { MqttLog } from './mqtt.ingest.js';
import { topicMatches } from '@nilm/sources';

export interface EmbeddedBrokerOptions {
  /** TCP port; 0 picks a free one (see the returned `url`). */
  port: number;
  /** Interface to bind; loopback by default. */
  host?: string;
  metadata: Pick<MetadataStore, 'findDeviceToken' | 'touchDeviceToken'>;
  log: MqttLog;
  /** Topic pattern; `+` stands for the building id. Default `nilm/+/power`. */
  topicPattern?: string;
  /**
   * The topic filters of a building's MQTT sources (its meters' native topics, e.g. a Shelly's
   * `shellypro3em-abc/events/rpc`): a device of that building may publish to them too, and
   * what it publishes there reaches the server tagged with the building (SOURCE_TOPIC_PREFIX).
   */
  sourceFilters?: (buildingId: string) => Promise<readonly string[]>;
  /**
   * Root of the alert topics (`nilm`): when set, the server's internal client may publish a
   * building's alerts to `<root>/<building>/alert`, and a device of that building (Home
   * Assistant signed in with a device token, a display) may subscribe to it.
   */
  alertTopicRoot?: string;
  /** Longest a connected device publishes on one token check. Default 60 000 ms. */
  recheckMs?: number;
  now?: () => number;
}

/** What the server's own client connects with (pass all three to `MqttIngest`). */
export interface InternalCredentials {
  username: string;
  password: string;
  clientId: string;
}

export interface EmbeddedBroker {
  /** `mqtt://host:port`, with the port actually bound. */
  url: string;
  port: number;
  internalCredentials: InternalCredentials;
  /** Disconnect every client and stop listening. */
  close(): Promise<void>;
}

/**
 * The internal username holds a character that building ids cannot, so no device can claim it.
 */
const INTERNAL_USERNAME = '$nilm-internal';
/** Client ids with this prefix are reserved: a device using one could take over the server's. */
const INTERNAL_CLIENT_PREFIX = 'nilm-internal-';
/**
 * Where dropped publishes go: `$` topics match no wildcard (MQTT-4.7.2-1), and authorizeSubscribe
 * grants only the readings pattern and a device's own topic, so no one receives them.
 */
const DROPPED_TOPIC = '$nilm/dropped';
/**
 * Where a device's publish to one of its building's source topics is routed:
 * `$nilm-src/<building>/<its topic>`. Only the internal client may subscribe there, so the
 * server learns which building published it, and no device can pass for another.
 */
export const SOURCE_TOPIC_PREFIX = '$nilm-src';
/** A device that retains every reading is warned about once a minute, not once a reading. */
const RETAINED_WARN_EVERY_MS = 60_000;

type Identity =
  | { kind: 'internal' }
  | { kind: 'device'; buildingId: string; tokenHash: string; checkedAtMs: number };

// aedes declares its return codes as an ambient const enum, which isolatedModules cannot read.
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;
const SERVER_UNAVAILABLE = 3;
const IDENTIFIER_REJECTED = 2;

/** Errors this file makes are logged where they are made; `clientError` skips them. */
class Refusal extends Error {
  override readonly name = 'MqttRefusal';
}

function refusal(returnCode: number, message: string): AuthenticateError {
  return Object.assign(new Refusal(message), { returnCode }) as AuthenticateError;
}

/** Constant-time string comparison (through fixed-length digests, so lengths do not leak). */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** Start the embedded broker; resolves once it listens. */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const { metadata, log } = options;
  const host = options.host ?? '127.0.0.1';
  const pattern = options.topicPattern ?? DEFAULT_TOPIC_PATTERN;
  checkTopicPattern(pattern);
  const now = options.now ?? Date.now;
  const recheckMs = options.recheckMs ?? 60_000;
  const internal: InternalCredentials = {
    username: INTERNAL_USERNAME,
    password: randomBytes(32).toString('base64url'),
    clientId: `${INTERNAL_CLIENT_PREFIX}${randomBytes(6).toString('hex')}`,
  };
  const identities = new WeakMap<Client, Identity>();
  const retainedWarned = new WeakMap<Client, { at: number; dropped: number }>();

  const warnRetained = (client: Client | null, topic: string): void => {
    const last = client ? retainedWarned.get(client) : undefined;
    if (last && now() - last.at < RETAINED_WARN_EVERY_MS) {
      last.dropped++;
      return;
    }
    if (client) retainedWarned.set(client, { at: now(), dropped: 0 });
    log.warn(
      { clientId: client?.id, topic, droppedSinceLastWarning: last?.dropped },
      'MQTT: dropped a retained reading (a broker would replay it as new); publish readings without the retain flag',
    );
  };

  /** The building a token belongs to (null: unknown or revoked). Throws when the store is down. */
  const tokenOwner = async (tokenHash: string): Promise<string | null> => {
    const found = await metadata.findDeviceToken(tokenHash);
    if (found) {
      metadata.touchDeviceToken(found.id, now()).catch((e: unknown) => {
        log.warn({ err: e }, 'MQTT broker: could not record device token use');
      });
    }
    return found?.buildingId ?? null;
  };

  const authenticate = async (
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<Identity> => {
    const secret = password?.toString('utf8') ?? '';
    if (username === INTERNAL_USERNAME) {
      if (!sameSecret(secret, internal.password)) {
        throw refusal(BAD_USERNAME_OR_PASSWORD, 'bad internal credentials');
      }
      return { kind: 'internal' };
    }
    if (client.id.startsWith(INTERNAL_CLIENT_PREFIX)) {
      throw refusal(
        IDENTIFIER_REJECTED,
        `client ids starting ${INTERNAL_CLIENT_PREFIX} are reserved`,
      );
    }
    if (username === undefined || !BUILDING_ID_FORMAT.test(username) || !isDeviceToken(secret)) {
      throw refusal(
        BAD_USERNAME_OR_PASSWORD,
        'connect with username = building id and password = a device token of that building',
      );
    }
    const tokenHash = hashDeviceToken(secret);
    let owner: string | null;
    try {
      owner = await tokenOwner(tokenHash);
    } catch (e) {
      log.warn({ err: e, clientId: client.id }, 'MQTT broker: token lookup failed; refusing');
      throw refusal(SERVER_UNAVAILABLE, 'the metadata store is unavailable; retry later');
    }
    // One answer for unknown, revoked and other building's tokens: no hint which it was.
    if (owner !== username) throw refusal(BAD_USERNAME_OR_PASSWORD, 'bad username or password');
    return { kind: 'device', buildingId: username, tokenHash, checkedAtMs: now() };
  };

  /**
   * Why `client` may not publish `topic` (a string), or where to route it: the topic itself for
   * a reading, the tagged source topic for a meter's native message.
   */
  const publishRefusal = async (
    client: Client | null,
    topic: string,
  ): Promise<string | { route: string }> => {
    // A null client is an obsolete will from a broker that died: nothing vouches for it.
    const who = client ? identities.get(client) : undefined;
    if (!who) return 'unknown publisher';
    if (who.kind === 'internal') {
      const root = options.alertTopicRoot;
      const parts = topic.split('/');
      const isAlert =
        root !== undefined &&
        topic.startsWith(`${root}/`) &&
        parts.length === root.split('/').length + 2 &&
        parts.at(-1) === 'alert' &&
        /^[a-zA-Z0-9_-]{1,64}$/.test(parts.at(-2) ?? '');
      return isAlert
        ? { route: topic }
        : 'the internal client only subscribes (and publishes alerts)';
    }
    let topicBuilding: string;
    let route = topic;
    try {
      topicBuilding = buildingIdFromTopic(topic, pattern);
    } catch (e) {
      if (!(e instanceof MqttInputError)) throw e;
      // Not a readings topic: one of the building's meters' own topics, or refused.
      const filters = (await options.sourceFilters?.(who.buildingId)) ?? [];
      if (!filters.some((f) => topicMatches(f, topic))) return e.message;
      topicBuilding = who.buildingId;
      route = `${SOURCE_TOPIC_PREFIX}/${who.buildingId}/${topic}`;
    }
    if (topicBuilding !== who.buildingId) {
      return `building "${who.buildingId}" may not publish to another building's topic`;
    }
    if (now() - who.checkedAtMs >= recheckMs) {
      let owner: string | null;
      try {
        owner = await tokenOwner(who.tokenHash);
      } catch (e) {
        // Keep a known device flowing through a short metadata outage; check again next time.
        log.warn({ err: e }, 'MQTT broker: token re-check failed; allowing the known device');
        return { route };
      }
      if (owner !== who.buildingId) return 'the device token was revoked';
      who.checkedAtMs = now();
    }
    return { route };
  };

  const broker = new Aedes({
    authenticate: (client, username, password, done) => {
      authenticate(client, username, password).then(
        (identity) => {
          identities.set(client, identity);
          done(null, true);
        },
        (e: unknown) => {
          const err =
            e instanceof Error && 'returnCode' in e
              ? (e as AuthenticateError)
              : refusal(NOT_AUTHORIZED, 'not authorized');
          log.warn({ clientId: client.id, username, reason: err.message }, 'MQTT connect refused');
          done(err, null);
        },
      );
    },
    authorizePublish: (client, packet, done) => {
      publishRefusal(client, packet.topic).then(
        (reason) => {
          if (typeof reason === 'string') {
            log.warn(
              { clientId: client?.id, topic: packet.topic, reason },
              'MQTT publish refused; closing the connection',
            );
            done(new Refusal(reason));
            return;
          }
          if (packet.retain) {
            // A retained reading is dropped (docs/api.md): kept, it would be replayed as new to
            // every later subscriber. It cannot be told apart downstream (MQTT 3.1.1 clears the
            // flag on delivery to existing subscribers), and aedes cannot acknowledge a publish
            // without routing it, so it is acknowledged, unretained, and routed to a topic that
            // no client may subscribe to.
            warnRetained(client, packet.topic);
            packet.topic = DROPPED_TOPIC;
            packet.retain = false;
          } else packet.topic = reason.route;
          done(null);
        },
        (e: unknown) => done(e instanceof Error ? e : new Error(String(e))),
      );
    },
    authorizeSubscribe: (client, sub, done) => {
      const who = identities.get(client);
      const allowed =
        who?.kind === 'internal'
          ? sub.topic === pattern || sub.topic === `${SOURCE_TOPIC_PREFIX}/#`
          : who?.kind === 'device' &&
            (sub.topic === topicForBuilding(pattern, who.buildingId) ||
              (options.alertTopicRoot !== undefined &&
                sub.topic === `${options.alertTopicRoot}/${who.buildingId}/alert`));
      if (!allowed) {
        log.warn({ clientId: client.id, topic: sub.topic }, 'MQTT subscription refused');
      }
      // null negates the subscription (SUBACK 0x80) without dropping the connection.
      done(null, allowed ? sub : null);
    },
  });
  await broker.listen();

  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw e;
  }
  server.on('error', (e) => log.error({ err: e }, 'MQTT broker listener error'));
  broker.on('clientError', (client, e) => {
    if (!(e instanceof Refusal))
      log.warn({ clientId: client.id, err: e.message }, 'MQTT client error');
  });

  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const url = `mqtt://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url, topic: pattern }, 'embedded MQTT broker listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    internalCredentials: internal,
    close: () =>
      (closing ??= (async () => {
        const stopped = new Promise<void>((resolve, reject) =>
          server.close((e) => (e ? reject(e) : resolve())),
        );
        await new Promise<void>((resolve) => broker.close(() => resolve()));
        // aedes ends its clients; a socket that never sent CONNECT is not one of them.
        for (const s of sockets) s.destroy();
        await stopped;
      })()),
  };
}
