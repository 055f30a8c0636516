/**
 * MQTT ingest: subscribe to the readings topic of every building, authenticate each message for
 * the building its topic names, and hand the readings to `IngestService` in batches.
 *
 * Authentication, per building. A message is accepted only when EITHER
 * - its payload carries a device `token` (see `device.token.ts`) that belongs to the building
 *   named by the topic, OR
 * - the option `trustBroker` is set: the broker itself authenticates devices and lets each one
 *   publish only to its own building's topic (our embedded broker, `embedded.broker.ts`, or
 *   Mosquitto with per-building credentials and an ACL file). Without such a broker,
 *   `trustBroker` would let anyone who can reach the broker write any building's readings.
 * A token that is present is checked in both modes (a wrong one is a misconfigured device).
 * Everything else is dropped, logged and counted.
 *
 * Retained messages. A message the broker replays because it was retained is a stale reading
 * (and, stamped on arrival, a false one): it arrives flagged retained and is dropped. MQTT 3.1.1
 * clears the flag when a retained publish goes to subscribers already connected, so those cannot
 * be told apart here; the embedded broker drops retained publishes itself (`embedded.broker.ts`),
 * and with another broker devices must publish without the retain flag (docs/api.md).
 *
 * Delivery. The subscription is QoS 1 on a persistent session (by default), and a message is
 * acknowledged only once its readings are validated and in the buffer, so messages that arrive
 * while this process is down wait in the broker. Readings are batched per building for up to
 * `flushIntervalMs` or `maxBatchReadings` (one store write instead of one per message). When the
 * store is unavailable, batches stay in a bounded buffer and are retried with exponential
 * backoff; when the buffer is full the oldest readings are dropped with a warning. Nothing is
 * dropped without a log line and a counter.
 */
import { connect, type IPublishPacket, type MqttClient } from 'mqtt';
import { StoreUnavailableError, type MetadataStore } from '@nilm/stores';
import { hashDeviceToken, isDeviceToken } from '../auth/device.token.js';
import { ApiError } from '../errors.js';
import type { IngestService, ValidatedReading } from '../services/ingest.service.js';
import {
  DEFAULT_TOPIC_PATTERN,
  MqttInputError,
  buildingIdFromTopic,
  checkTopicPattern,
  parsePayload,
  type MqttReading,
} from '@nilm/contracts';

/** The logger calls MQTT ingest makes (Fastify's `app.log` fits). */
export interface MqttLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface MqttIngestOptions {
  /** Broker URL: mqtt://, mqtts://, ws:// or wss://. */
  url: string;
  /** Validates and stores readings: normally the same `IngestService` as the HTTP route. */
  ingest: Pick<IngestService, 'validate' | 'ingest'>;
  /** Where device tokens are looked up. */
  metadata: Pick<MetadataStore, 'findDeviceToken' | 'touchDeviceToken'>;
  log: MqttLog;
  /** Topic pattern; `+` stands for the building id. Default `nilm/+/power`. */
  topicPattern?: string;
  /**
   * Accept messages without a token because the broker enforces per-building publish ACLs.
   * Only set this for such a broker; see the file comment.
   */
  trustBroker?: boolean;
  username?: string;
  password?: string;
  /**
   * Client id; with a persistent session the broker keeps messages for this id while the server
   * is down. Two servers on one broker need different ids. Default `nilm-server-ingest`.
   */
  clientId?: string;
  /** Keep the session (and queued QoS 1 messages) across reconnects and restarts. Default true. */
  persistentSession?: boolean;
  /** Longest a reading waits in a batch before it is written. Default 1000 ms. */
  flushIntervalMs?: number;
  /** A building's batch is written as soon as it holds this many readings. Default 500. */
  maxBatchReadings?: number;
  /** Most readings held while the store is unavailable; the oldest go first. Default 100 000. */
  maxBufferedReadings?: number;
  /** First retry delay after the store was unavailable; doubles up to `retryMaxMs`. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** How long a device token lookup is reused (also how long a revocation takes to bite). */
  tokenCacheMs?: number;
  /** `start()` rejects when not subscribed within this time. Default 30 000 ms. */
  connectTimeoutMs?: number;
  /** How long `stop()` keeps retrying to store what is buffered. Default 10 000 ms. */
  stopTimeoutMs?: number;
  now?: () => number;
}

/** Counters for metrics; messages and readings since start. */
export interface MqttIngestCounters {
  messagesReceived: number;
  /** Messages whose readings were validated, buffered and acknowledged. */
  messagesAccepted: number;
  readingsAccepted: number;
  /** Readings the store confirmed. */
  readingsStored: number;
  droppedBadTopic: number;
  droppedBadPayload: number;
  /** Parsed, but `IngestService.validate` refused the readings (time, power range). */
  droppedInvalidReadings: number;
  /** Retained messages: a stale reading the broker replays on every subscribe. */
  droppedRetained: number;
  /** No token (and no trusted broker), an unknown or revoked token, or another building's. */
  droppedUnauthenticated: number;
  /** The token could not be checked because the metadata store was unavailable. */
  droppedAuthUnavailable: number;
  /** Store writes that failed transiently and will be retried. */
  storeRetries: number;
  readingsDroppedBufferFull: number;
  /** Readings the store refused for good, or that could not be written before `stop()` ended. */
  readingsFailed: number;
  /** Readings waiting in the buffer now (a gauge). */
  bufferedReadings: number;
}

interface Batch {
  buildingId: string;
  readings: MqttReading[];
  /** Sealed batches are complete and may be sent; an open one still takes readings. */
  sealed: boolean;
  timer?: NodeJS.Timeout;
}

interface CachedToken {
  buildingId: string | null;
  tokenId: string | null;
  expiresAtMs: number;
}

const MAX_CACHED_TOKENS = 10_000;
/** Auth lookups are retried this many times when the metadata store fails. */
const AUTH_ATTEMPTS = 4;
const LOG_EVERY_MS = 60_000;

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`${name} must be > 0, got ${value}`);
  return value;
}

/** Whether an ingest failure is transient (store down): the batch is kept and retried. */
function isTransient(e: unknown): boolean {
  return (
    e instanceof StoreUnavailableError ||
    (e instanceof ApiError && (e.code === 'STORE_UNAVAILABLE' || e.status === 503))
  );
}

/** Subscribes to every building's readings topic and ingests what authenticated devices send. */
export class MqttIngest {
  private readonly pattern: string;
  private readonly now: () => number;
  private readonly flushIntervalMs: number;
  private readonly maxBatch: number;
  private readonly maxBuffered: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly tokenCacheMs: number;
  private readonly stats: Omit<MqttIngestCounters, 'bufferedReadings'> = {
    messagesReceived: 0,
    messagesAccepted: 0,
    readingsAccepted: 0,
    readingsStored: 0,
    droppedBadTopic: 0,
    droppedBadPayload: 0,
    droppedInvalidReadings: 0,
    droppedRetained: 0,
    droppedUnauthenticated: 0,
    droppedAuthUnavailable: 0,
    storeRetries: 0,
    readingsDroppedBufferFull: 0,
    readingsFailed: 0,
  };

  private client: MqttClient | undefined;
  /** Batches oldest first; at most one open batch per building (`open`). */
  private readonly queue: Batch[] = [];
  private readonly open = new Map<string, Batch>();
  private buffered = 0;
  private inFlight: Batch | undefined;
  private pumping: Promise<void> | undefined;
  private failures = 0;
  /** Ends backoff sleeps early (stop). */
  private readonly sleepers = new Set<() => void>();
  private readonly handling = new Set<Promise<void>>();
  private readonly tokens = new Map<string, CachedToken>();
  private readonly lastLogged = new Map<string, { at: number; suppressed: number }>();
  private stopping: Promise<void> | undefined;
  private flushDeadlineMs = Infinity;

  constructor(private readonly opts: MqttIngestOptions) {
    this.pattern = opts.topicPattern ?? DEFAULT_TOPIC_PATTERN;
    checkTopicPattern(this.pattern);
    this.now = opts.now ?? Date.now;
    this.flushIntervalMs = positive('flushIntervalMs', opts.flushIntervalMs ?? 1000);
    this.maxBatch = positive('maxBatchReadings', opts.maxBatchReadings ?? 500);
    this.maxBuffered = positive('maxBufferedReadings', opts.maxBufferedReadings ?? 100_000);
    this.retryMinMs = positive('retryMinMs', opts.retryMinMs ?? 500);
    this.retryMaxMs = Math.max(this.retryMinMs, opts.retryMaxMs ?? 30_000);
    this.tokenCacheMs = Math.max(0, opts.tokenCacheMs ?? 60_000);
  }

  /** A snapshot of the counters, for metrics. */
  counters(): MqttIngestCounters {
    return { ...this.stats, bufferedReadings: this.buffered };
  }

  /**
   * Connect and subscribe (QoS 1). Resolves once subscribed; rejects when the broker refuses the
   * credentials or the subscription, or after `connectTimeoutMs`. Later disconnects are
   * reconnected by the client on its own.
   */
  async start(): Promise<void> {
    if (this.client) throw new Error('MqttIngest.start() was already called');
    const o = this.opts;
    const client = connect(o.url, {
      clientId: o.clientId ?? 'nilm-server-ingest',
      clean: !(o.persistentSession ?? true),
      username: o.username,
      password: o.password,
      protocolVersion: 4,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      // Refused credentials after a broker restart are retried rather than ending ingest for good.
      reconnectOnConnackError: true,
      // Subscribing on every connect below covers brokers that lost the session.
      resubscribe: false,
    });
    this.client = client;
    // The broker gets the PUBACK only when this callback runs, i.e. once the readings are in the
    // buffer (or the message was dropped for good), not merely when the bytes arrived.
    client.handleMessage = (packet, done) => {
      const work = this.onMessage(packet).then(
        () => done(),
        (e: unknown) => {
          this.opts.log.error({ err: e, topic: packet.topic }, 'MQTT message handling failed');
          done();
        },
      );
      this.handling.add(work);
      void work.finally(() => this.handling.delete(work));
    };

    let settle: ((e?: Error) => void) | undefined;
    const subscribed = new Promise<void>((resolve, reject) => {
      settle = (e) => {
        settle = undefined;
        clearTimeout(timer);
        if (e) reject(e);
        else resolve();
      };
      const timer = setTimeout(
        () =>
          settle?.(
            new Error(`MQTT: not subscribed to ${this.pattern} at ${o.url} within the time limit`),
          ),
        o.connectTimeoutMs ?? 30_000,
      );
    });
    client.on('connect', () => {
      o.log.info({ url: o.url, topic: this.pattern }, 'MQTT connected');
      client.subscribe(this.pattern, { qos: 1 }, (err, granted) => {
        const refused = err ?? (granted?.some((g) => g.qos === 128) ? true : undefined);
        if (refused === undefined) {
          settle?.();
          return;
        }
        const e = new Error(
          `MQTT: the broker refused the subscription to ${this.pattern}${err ? `: ${err.message}` : ''}; check the broker's ACL for this client`,
        );
        o.log.error({ url: o.url, topic: this.pattern }, e.message);
        settle?.(e);
      });
    });
    client.on('error', (err: Error & { code?: unknown }) => {
      const refusedAtConnect = typeof err.code === 'number' && err.code > 0;
      if (refusedAtConnect && settle) {
        settle(new Error(`MQTT: the broker at ${o.url} refused the connection: ${err.message}`));
        return;
      }
      this.warnLimited('client-error', { url: o.url, err: err.message }, 'MQTT client error');
    });
    client.on('offline', () =>
      this.warnLimited('offline', { url: o.url }, 'MQTT offline; reconnecting'),
    );
    try {
      await subscribed;
    } catch (e) {
      await this.endClient();
      this.client = undefined;
      throw e;
    }
  }

  /**
   * Stop: disconnect (no new messages), then write everything buffered, retrying a store that is
   * down for up to `stopTimeoutMs`. What still cannot be written is logged and counted.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    await this.endClient();
    // Messages still being handled may be waiting to retry a token lookup: cut that short.
    for (const wake of [...this.sleepers]) wake();
    await Promise.allSettled([...this.handling]);
    this.flushDeadlineMs = this.now() + (this.opts.stopTimeoutMs ?? 10_000);
    for (const b of this.open.values()) this.seal(b);
    for (const wake of [...this.sleepers]) wake();
    while (this.pumping) await this.pumping;
    const left = this.buffered;
    if (left > 0) {
      this.stats.readingsFailed += left;
      this.opts.log.error(
        { readings: left },
        'MQTT ingest stopped while the store was unavailable; these readings were not stored',
      );
    }
    for (const b of this.queue) clearTimeout(b.timer);
    this.queue.length = 0;
    this.open.clear();
    this.buffered = 0;
  }

  private async endClient(): Promise<void> {
    const client = this.client;
    if (!client) return;
    // A graceful end flushes the PUBACKs already written; force it if the broker is gone.
    const graceful = client.endAsync(false);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), 5000);
    });
    const outcome = await Promise.race([graceful.then(() => 'ended' as const), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') await client.endAsync(true);
  }

  private async onMessage(packet: IPublishPacket): Promise<void> {
    this.stats.messagesReceived++;
    const receivedAt = this.now();
    if (packet.retain) {
      this.stats.droppedRetained++;
      this.warnLimited(
        `retained:${packet.topic}`,
        { topic: packet.topic },
        'MQTT: dropped a retained message (a stale reading); publish readings without the retain flag',
      );
      return;
    }
    let buildingId: string;
    let payload: ReturnType<typeof parsePayload>;
    try {
      buildingId = buildingIdFromTopic(packet.topic, this.pattern);
      payload = parsePayload(packet.payload, receivedAt);
    } catch (e) {
      if (!(e instanceof MqttInputError)) throw e;
      if (e.code === 'MQTT_TOPIC') this.stats.droppedBadTopic++;
      else this.stats.droppedBadPayload++;
      this.warnLimited(`${e.code}:${packet.topic}`, { topic: packet.topic }, `MQTT: ${e.message}`);
      return;
    }
    if (!(await this.authenticated(buildingId, payload.token, packet.topic))) return;
    let readings: ValidatedReading[];
    try {
      readings = this.opts.ingest.validate(payload.readings);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      this.stats.droppedInvalidReadings++;
      this.warnLimited(
        `invalid:${buildingId}`,
        { topic: packet.topic, buildingId, code: e.code },
        `MQTT: ${e.message}`,
      );
      return;
    }
    this.accept(buildingId, readings);
    this.stats.messagesAccepted++;
    this.stats.readingsAccepted += readings.length;
  }

  /** Whether a message for `buildingId` carrying `token` may be ingested; counts and logs drops. */
  private async authenticated(
    buildingId: string,
    token: string | undefined,
    topic: string,
  ): Promise<boolean> {
    if (token === undefined) {
      if (this.opts.trustBroker) return true;
      this.stats.droppedUnauthenticated++;
      this.warnLimited(
        `no-token:${buildingId}`,
        { topic, buildingId },
        'MQTT: dropped a message without a device token; add "token" to the JSON payload, or use a broker that authenticates devices per building (trustBroker)',
      );
      return false;
    }
    let owner: string | null;
    try {
      owner = await this.tokenOwner(token);
    } catch (e) {
      this.stats.droppedAuthUnavailable++;
      this.opts.log.error(
        { err: e, topic, buildingId },
        'MQTT: dropped a message because its device token could not be checked (metadata store unavailable)',
      );
      return false;
    }
    if (owner === buildingId) return true;
    this.stats.droppedUnauthenticated++;
    this.warnLimited(
      `bad-token:${owner === null ? 'unknown' : 'other'}:${buildingId}`,
      // The hint (prefix and 4 characters) tells tokens apart without disclosing one.
      { topic, buildingId, tokenHint: isDeviceToken(token) ? token.slice(0, 13) : undefined },
      owner === null
        ? 'MQTT: dropped a message with an unknown or revoked device token'
        : "MQTT: dropped a message whose device token belongs to another building than the topic's",
    );
    return false;
  }

  /**
   * The building a device token belongs to, or null. Lookups are cached for `tokenCacheMs`; when
   * the metadata store fails, a token known to be good keeps working (stale-if-error) so that
   * readings keep flowing through a short metadata outage.
   */
  private async tokenOwner(token: string): Promise<string | null> {
    if (!isDeviceToken(token)) return null;
    const hash = hashDeviceToken(token);
    const cached = this.tokens.get(hash);
    if (cached && cached.expiresAtMs > this.now()) return cached.buildingId;
    let found: Awaited<ReturnType<MetadataStore['findDeviceToken']>> | undefined;
    for (let attempt = 1; found === undefined; attempt++) {
      try {
        found = await this.opts.metadata.findDeviceToken(hash);
      } catch (e) {
        if (cached?.buildingId) return cached.buildingId;
        if (attempt >= AUTH_ATTEMPTS || this.stopping) throw e;
        await this.sleep(this.retryMinMs * 2 ** (attempt - 1));
      }
    }
    if (this.tokens.size >= MAX_CACHED_TOKENS) this.tokens.clear();
    const now = this.now();
    this.tokens.set(hash, {
      buildingId: found?.buildingId ?? null,
      tokenId: found?.id ?? null,
      expiresAtMs: now + this.tokenCacheMs,
    });
    if (found) {
      // Best effort, like "last used" everywhere: a failed touch must not drop readings.
      this.opts.metadata.touchDeviceToken(found.id, now).catch((e: unknown) => {
        this.warnLimited('touch', { err: e }, 'MQTT: could not record device token use');
      });
    }
    return found?.buildingId ?? null;
  }

  /** Put validated readings into the building's open batch; make room by dropping the oldest. */
  private accept(buildingId: string, readings: ValidatedReading[]): void {
    let batch = this.open.get(buildingId);
    for (const r of readings) {
      if (!batch) {
        const b: Batch = { buildingId, readings: [], sealed: false };
        b.timer = setTimeout(() => this.seal(b), this.flushIntervalMs);
        this.queue.push(b);
        this.open.set(buildingId, b);
        batch = b;
      }
      // Validated already (consumption: MQTT readings carry no production_w), phases kept.
      batch.readings.push({
        ts: r.ts,
        power_w: r.powerW,
        ...(r.phasesW ? { phases_w: r.phasesW } : {}),
      });
      this.buffered++;
      if (batch.readings.length >= this.maxBatch) {
        this.seal(batch);
        batch = undefined;
      }
    }
    if (this.buffered > this.maxBuffered) this.dropOldest(this.buffered - this.maxBuffered);
  }

  private seal(batch: Batch): void {
    clearTimeout(batch.timer);
    batch.timer = undefined;
    batch.sealed = true;
    if (this.open.get(batch.buildingId) === batch) this.open.delete(batch.buildingId);
    this.kick();
  }

  /** Drop the `count` oldest buffered readings (never those being written right now). */
  private dropOldest(count: number): void {
    let left = count;
    const perBuilding = new Map<string, number>();
    for (let i = 0; i < this.queue.length && left > 0;) {
      const b = this.queue[i]!;
      if (b === this.inFlight) {
        i++;
        continue;
      }
      const n = Math.min(left, b.readings.length);
      b.readings.splice(0, n);
      left -= n;
      perBuilding.set(b.buildingId, (perBuilding.get(b.buildingId) ?? 0) + n);
      if (b.readings.length === 0) {
        clearTimeout(b.timer);
        if (this.open.get(b.buildingId) === b) this.open.delete(b.buildingId);
        this.queue.splice(i, 1);
      } else {
        i++;
      }
    }
    const dropped = count - left;
    this.buffered -= dropped;
    this.stats.readingsDroppedBufferFull += dropped;
    this.opts.log.warn(
      { dropped, byBuilding: Object.fromEntries(perBuilding), maxBuffered: this.maxBuffered },
      'MQTT ingest buffer full (store unavailable too long); dropped the oldest readings',
    );
  }

  private kick(): void {
    this.pumping ??= this.pump().finally(() => {
      this.pumping = undefined;
      // A batch sealed between the pump's last look and now would otherwise wait for the next.
      if (this.flushDeadlineMs > this.now() && this.queue.some((b) => b.sealed)) this.kick();
    });
  }

  /** Write sealed batches oldest first, one at a time; back off while the store is down. */
  private async pump(): Promise<void> {
    for (;;) {
      const batch = this.queue.find((b) => b.sealed);
      if (!batch) return;
      this.inFlight = batch;
      let retry = false;
      try {
        const stored = await this.opts.ingest.ingest(batch.buildingId, batch.readings);
        this.stats.readingsStored += stored;
        this.failures = 0;
      } catch (e) {
        if (isTransient(e)) {
          retry = true;
          this.failures++;
          this.stats.storeRetries++;
          this.warnLimited(
            'store-unavailable',
            { err: e instanceof Error ? e.message : String(e), buffered: this.buffered },
            'MQTT ingest: store unavailable; keeping the readings and retrying',
          );
        } else {
          this.stats.readingsFailed += batch.readings.length;
          this.opts.log.error(
            { err: e, buildingId: batch.buildingId, readings: batch.readings.length },
            'MQTT ingest: the store refused a batch; it was dropped',
          );
        }
      } finally {
        this.inFlight = undefined;
      }
      if (!retry) {
        this.remove(batch);
        continue;
      }
      const remaining = this.flushDeadlineMs - this.now();
      if (remaining <= 0) return;
      // IngestService's Retry-After hint is meant for HTTP clients; starting lower recovers
      // sooner from a short outage.
      const delay = Math.min(this.retryMaxMs, this.retryMinMs * 2 ** (this.failures - 1));
      await this.sleep(Math.min(delay, remaining));
    }
  }

  private remove(batch: Batch): void {
    const i = this.queue.indexOf(batch);
    // dropOldest never removes the batch in flight, so it is still queued.
    if (i >= 0) this.queue.splice(i, 1);
    this.buffered -= batch.readings.length;
  }

  /** Sleep `ms`, or less when `stop()` wakes the sleepers. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  /** Warn at most once a minute per key, saying how many like it were not logged. */
  private warnLimited(key: string, obj: object, msg: string): void {
    const now = this.now();
    const last = this.lastLogged.get(key);
    if (last && now - last.at < LOG_EVERY_MS) {
      last.suppressed++;
      return;
    }
    if (this.lastLogged.size >= MAX_CACHED_TOKENS) this.lastLogged.clear();
    this.lastLogged.set(key, { at: now, suppressed: 0 });
    this.opts.log.warn({ ...obj, ...(last ? { suppressedSinceLast: last.suppressed } : {}) }, msg);
  }
}
