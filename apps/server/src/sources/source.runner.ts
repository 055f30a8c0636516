/**
 * Feeds a building's configured meters (`building_sources`) into ingest: MQTT sources from the
 * embedded broker (a device signs in with its building id and a device token and publishes its
 * native topics, which the broker hands us tagged with that building) and from an external
 * broker (trusted by topic, which only owners can set), and HTTP-polled sources on the local
 * network. Each message or response is parsed by its type (@nilm/sources), gathered into one
 * reading (meters that publish one value per topic arrive as a burst), turned into household
 * consumption and stored through IngestService like any other reading, so the estimate backlog
 * and the worker take it from there. A source's status (last value, last seen, last error) is
 * recorded in the metadata store for its owners.
 *
 * Consumption = import - export + production. A mains source measures the grid connection
 * (signed: export negative); a production source (a solar inverter's meter) adds what is made
 * on site. While a home exports and no production is known, its consumption is unknown: no
 * reading is stored for that moment (the status says why), rather than a wrong one.
 *
 * A sub-meter source (role `submeter`, a smart plug bound to one appliance) is never part of the
 * mains: its power is stored as that appliance's sub-meter series through SubmeterService.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { hostname } from 'node:os';
import mqtt, { type MqttClient } from 'mqtt';
import { WebSocket } from 'ws';
import {
  homeAssistantReading,
  homeAssistantSocketUrl,
  type HomeAssistantSettings,
  matchSourceTopic,
  parseSourceMessage,
  parseSourceResponse,
  ReadingAssembler,
  sourceRequestOptions,
  sourceRequestUrl,
  sourceTopicFilters,
  sourceTransport,
  validateSource,
  type SourceConfig,
  type SourceReading,
  type SourceTypeName,
} from '@nilm/sources';
import type { BuildingSource, MetadataStore, SourceEvent } from '@nilm/stores';
import type { IngestService, RawReading } from '../services/ingest.service.js';
import type { SubmeterService } from '../services/submeter.service.js';
import { SOURCE_TOPIC_PREFIX } from '../mqtt/embedded.broker.js';
import type { SecretBox } from './secret.box.js';

export interface SourceBroker {
  kind: 'embedded' | 'external';
  url: string;
  username?: string;
  password?: string;
  clientId?: string;
}

export interface SourceRunnerOptions {
  metadata: MetadataStore;
  ingest: Pick<IngestService, 'ingest'>;
  /** Where sub-meter readings go; without it a sub-meter's readings are refused (status error). */
  submeters?: Pick<SubmeterService, 'ingest'>;
  brokers: SourceBroker[];
  log: { info: (o: object, m: string) => void; warn: (o: object, m: string) => void };
  fetch?: typeof fetch;
  now?: () => number;
  /** Quiet time after a source's last message before its burst is read. Default 250 ms. */
  burstMs?: number;
  /** How often sources are re-read (changes made by another process). Default 30 000 ms. */
  reloadMs?: number;
  /** Least time between two recorded values of one source. Default 5 000 ms. */
  statusEveryMs?: number;
  /** Opens the secrets sources keep sealed (a Home Assistant token). */
  secrets?: () => SecretBox;
  /**
   * This process's name in polled sources' leases (unique per process). Default: host, pid and
   * a random part.
   */
  holder?: string;
  /**
   * How long a poll lease lasts (renewed at every poll): how soon another process takes over
   * from one that died. Default 3 polling intervals, at least 15 s.
   */
  pollLeaseMs?: (intervalS: number) => number;
}

/** A production value older than this no longer counts for consumption. */
const PRODUCTION_FRESH_MS = 120_000;

interface Running {
  source: BuildingSource;
  config: SourceConfig;
  assembler: ReadingAssembler;
  burst?: NodeJS.Timeout;
  poll?: NodeJS.Timeout;
  lastValueAt: number;
  /** Whether this process held the source's lease at its last try (polled and Home Assistant). */
  leased?: boolean;
  /** A Home Assistant source's next lease renewal. */
  lease?: NodeJS.Timeout;
  /** A Home Assistant source's connection, its retry and the unit its sensor last stated. */
  socket?: WebSocket;
  retry?: NodeJS.Timeout;
  failures?: number;
  unit?: unknown;
}

/** Household consumption from a mains reading and the production known at the time. */
export function consumptionOf(
  r: SourceReading,
  productionW: number | undefined,
): { watts: number } | { unknown: string } {
  const net =
    r.netW ??
    (r.importW !== undefined || r.exportW !== undefined
      ? (r.importW ?? 0) - (r.exportW ?? 0)
      : undefined);
  if (net === undefined) return { unknown: 'the reading has no net, import or export power' };
  const production = r.productionW ?? productionW;
  if (production !== undefined) return { watts: Math.max(0, net + production) };
  if (net >= 0) return { watts: net };
  return {
    unknown:
      'the home exports and its production is unknown: add a production source (the solar inverter) to know its consumption',
  };
}

/**
 * What ingest is sent for one meter reading: net power with production when both are known (so
 * import, export and production are stored beside the consumption), else the consumption alone;
 * or why consumption is unknown. Shared by the source runner and line-protocol writes.
 */
export function ingestReadingOf(
  r: SourceReading,
  ts: number,
  productionW: number | undefined,
): RawReading | { unknown: string } {
  const c = consumptionOf(r, productionW);
  if ('unknown' in c) return c;
  const net = netOf(r);
  const production = r.productionW ?? productionW;
  const sent: RawReading =
    production === undefined || net === undefined
      ? { ts, power_w: c.watts }
      : { ts, power_w: Math.max(-production, net), production_w: production };
  // The phases go along when power_w is the net power they were checked against (not clamped
  // to the production, nor derived from import alone).
  if (r.phasesW && r.netW !== undefined && sent.power_w === r.netW) sent.phases_w = r.phasesW;
  return sent;
}

/** Net power of a reading for the status line (import positive). */
function netOf(r: SourceReading): number | undefined {
  if (r.netW !== undefined) return r.netW;
  if (r.importW !== undefined || r.exportW !== undefined)
    return (r.importW ?? 0) - (r.exportW ?? 0);
  return r.productionW;
}

/**
 * GET over https from a device with its own CA (a HomeWizard): its certificate is verified
 * against `ca` when given, else not at all; the host name is never checked, as the device's
 * certificate names its serial, not its address.
 */
function httpsGet(url: string, headers: Record<string, string>, ca?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        headers,
        ca,
        rejectUnauthorized: ca !== undefined,
        checkServerIdentity: () => undefined,
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 299) reject(new Error(`HTTP ${status}`));
          else resolve(Buffer.concat(chunks).toString('utf8'));
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out after 10 s')));
    req.on('error', reject);
    req.end();
  });
}

export class SourceRunner {
  private readonly running = new Map<string, Running>();
  private readonly clients: Array<{ kind: SourceBroker['kind']; client: MqttClient }> = [];
  private readonly production = new Map<string, { watts: number; at: number }>();
  private readonly subscribed = new Set<string>();
  private reloadTimer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;
  private stopped = false;
  private readonly now: () => number;
  private readonly holder: string;

  constructor(private readonly o: SourceRunnerOptions) {
    this.now = o.now ?? Date.now;
    this.holder = o.holder ?? `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  }

  async start(): Promise<void> {
    for (const b of this.o.brokers) {
      const client = await mqtt.connectAsync(b.url, {
        username: b.username,
        password: b.password,
        clientId: b.clientId ?? `nilm-sources-${Math.random().toString(16).slice(2, 10)}`,
        reconnectPeriod: 2000,
      });
      client.on('message', (topic, payload) => this.onMessage(b.kind, topic, payload));
      // The embedded broker hands over devices' native topics tagged with their building.
      if (b.kind === 'embedded')
        await client.subscribeAsync(`${SOURCE_TOPIC_PREFIX}/#`, { qos: 0 });
      this.clients.push({ kind: b.kind, client });
    }
    await this.reload();
    this.reloadTimer = setInterval(() => void this.reload(), this.o.reloadMs ?? 30_000);
    this.reloadTimer.unref();
  }

  /** Re-read every source: start new ones, restart changed ones, stop removed ones. */
  reload(): Promise<void> {
    this.reloading ??= this.doReload().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  private async doReload(): Promise<void> {
    if (this.stopped) return;
    let sources: BuildingSource[];
    try {
      sources = await this.o.metadata.listSources();
    } catch (e) {
      this.o.log.warn({ err: e }, 'sources: could not read them; keeping the running ones');
      return;
    }
    const seen = new Set<string>();
    for (const s of sources) {
      seen.add(s.id);
      const old = this.running.get(s.id);
      if (
        old &&
        JSON.stringify(old.source.settings) === JSON.stringify(s.settings) &&
        old.source.role === s.role &&
        old.source.appliance === s.appliance
      ) {
        old.source = s;
        continue;
      }
      if (old) this.halt(old);
      const v = validateSource(s.type, s.settings);
      if (!v.ok) {
        await this.record(s.id, {
          kind: 'error',
          code: v.error.code,
          message: v.error.message,
          at: this.now(),
        });
        continue;
      }
      const r: Running = {
        source: s,
        config: v.value,
        assembler: new ReadingAssembler(),
        lastValueAt: 0,
      };
      this.running.set(s.id, r);
      const transport = sourceTransport(s.type as SourceTypeName);
      if (transport === 'http') this.schedulePoll(r, 0);
      if (transport === 'websocket') void this.leasedFollow(r);
    }
    for (const [id, r] of this.running)
      if (!seen.has(id)) {
        this.halt(r);
        this.running.delete(id);
      }
    // External brokers: subscribe to every MQTT source's topic filter (once each).
    const filters = new Set(
      [...this.running.values()].flatMap((r) => sourceTopicFilters(r.config)),
    );
    for (const { kind, client } of this.clients) {
      if (kind !== 'external') continue;
      for (const f of filters) {
        if (this.subscribed.has(f)) continue;
        await client.subscribeAsync(f, { qos: 0 });
        this.subscribed.add(f);
      }
      for (const f of [...this.subscribed]) {
        if (filters.has(f)) continue;
        await client.unsubscribeAsync(f);
        this.subscribed.delete(f);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reloadTimer) clearInterval(this.reloadTimer);
    for (const r of this.running.values()) this.halt(r);
    // Leases given up, so another process polls at once rather than when they run out.
    await Promise.all(
      [...this.running.values()]
        .filter((r) => r.leased)
        .map((r) =>
          this.o.metadata.releaseSourcePoll(r.source.id, this.holder).catch((e: unknown) => {
            this.o.log.warn({ err: e, source: r.source.id }, 'sources: poll lease not released');
          }),
        ),
    );
    this.running.clear();
    await Promise.all(this.clients.map((c) => c.client.endAsync()));
  }

  private halt(r: Running): void {
    if (r.burst) clearTimeout(r.burst);
    if (r.poll) clearTimeout(r.poll);
    if (r.retry) clearTimeout(r.retry);
    if (r.lease) clearTimeout(r.lease);
    const socket = r.socket;
    r.socket = undefined;
    socket?.close();
  }

  /**
   * Follow a Home Assistant sensor over its WebSocket API: authenticate with the source's token,
   * subscribe to the entity, and deliver each new state. A lost connection is retried with a
   * growing delay (up to a minute); a refused token is retried every 5 minutes.
   */
  private connectHomeAssistant(r: Running): void {
    r.retry = undefined;
    if (!r.leased) return; // another process follows it (leasedFollow connects when this one may)
    const s = r.config.settings as HomeAssistantSettings;
    const at = (): number => this.now();
    let token: string;
    try {
      token = this.o.secrets ? this.o.secrets().open(s.token) : s.token;
    } catch {
      void this.record(r.source.id, {
        kind: 'error',
        code: 'SOURCE_SECRET_UNREADABLE',
        message:
          "the stored token cannot be read with this server's key (NILM_SECRET_KEY changed?); enter the token again",
        at: at(),
      });
      return;
    }
    const retry = (ms: number): void => {
      if (this.stopped || this.running.get(r.source.id) !== r) return;
      r.retry = setTimeout(() => this.connectHomeAssistant(r), ms);
      r.retry.unref();
    };
    let refused = false;
    const ws = new WebSocket(homeAssistantSocketUrl(s));
    r.socket = ws;
    ws.on('message', (data) => {
      let msg: {
        type?: string;
        success?: boolean;
        message?: string;
        error?: { message?: string };
        event?: {
          a?: Record<string, { s?: unknown; a?: { unit_of_measurement?: unknown } }>;
          c?: Record<string, { '+'?: { s?: unknown; a?: { unit_of_measurement?: unknown } } }>;
        };
      };
      try {
        msg = JSON.parse(String(data)) as typeof msg;
      } catch {
        return;
      }
      if (msg.type === 'auth_required') {
        ws.send(JSON.stringify({ type: 'auth', access_token: token }));
      } else if (msg.type === 'auth_ok') {
        r.failures = 0;
        ws.send(JSON.stringify({ id: 1, type: 'subscribe_entities', entity_ids: [s.entity_id] }));
      } else if (msg.type === 'auth_invalid') {
        refused = true;
        void this.record(r.source.id, {
          kind: 'error',
          code: 'SOURCE_AUTH_REFUSED',
          message: `Home Assistant refused the token (${msg.message ?? 'auth_invalid'}); make a new long-lived access token`,
          at: at(),
        });
        ws.close();
      } else if (msg.type === 'result' && msg.success === false) {
        void this.record(r.source.id, {
          kind: 'error',
          code: 'SOURCE_SUBSCRIBE_REFUSED',
          message: `Home Assistant refused the subscription: ${msg.error?.message ?? 'unknown error'}`,
          at: at(),
        });
      } else if (msg.type === 'event') {
        const state = msg.event?.a?.[s.entity_id] ?? msg.event?.c?.[s.entity_id]?.['+'];
        if (!state) return;
        if (state.a?.unit_of_measurement !== undefined) r.unit = state.a.unit_of_measurement;
        if (state.s === undefined) return;
        const reading = homeAssistantReading(s, state.s, r.unit);
        if (!reading.ok) {
          void this.record(r.source.id, {
            kind: 'error',
            code: reading.error.code,
            message: reading.error.message,
            at: at(),
          });
          return;
        }
        void this.deliver(r, reading.value, at());
      }
    });
    ws.on('error', (e) => {
      void this.record(r.source.id, {
        kind: 'error',
        code: 'SOURCE_UNREACHABLE',
        message: `Home Assistant at ${s.url}: ${e.message}`,
        at: at(),
      });
    });
    ws.on('close', () => {
      if (r.socket !== ws) return;
      r.socket = undefined;
      r.failures = (r.failures ?? 0) + 1;
      retry(refused ? 300_000 : Math.min(60_000, 1000 * 2 ** Math.min(6, r.failures)));
    });
  }

  private onMessage(kind: SourceBroker['kind'], topic: string, payload: Buffer): void {
    let buildingId: string | undefined;
    let native = topic;
    if (kind === 'embedded') {
      if (!topic.startsWith(`${SOURCE_TOPIC_PREFIX}/`)) return;
      const rest = topic.slice(SOURCE_TOPIC_PREFIX.length + 1);
      const slash = rest.indexOf('/');
      buildingId = rest.slice(0, slash);
      native = rest.slice(slash + 1);
    }
    const at = this.now();
    for (const r of this.running.values()) {
      if (buildingId !== undefined && r.source.buildingId !== buildingId) continue;
      if (sourceTransport(r.source.type as SourceTypeName) !== 'mqtt') continue;
      // The type's matcher checks every topic filter of the source (phase and production too).
      if (!matchSourceTopic(r.config, native)) continue;
      const parsed = parseSourceMessage(r.config, native, payload);
      if (!parsed.ok) {
        void this.record(r.source.id, {
          kind: 'error',
          code: parsed.error.code,
          message: parsed.error.message,
          at,
        });
        continue;
      }
      if (parsed.value.parts.length === 0) {
        // A time of its own (DSMR-reader's timestamp topic) belongs to the burst it is part of;
        // alone it reads nothing, or it would restamp the last burst's values.
        if (parsed.value.ts !== undefined) r.assembler.add(parsed.value, at);
        continue;
      }
      r.assembler.add(parsed.value, at);
      // A burst (one value per topic) is read once it is over.
      if (r.burst) clearTimeout(r.burst);
      r.burst = setTimeout(() => {
        r.burst = undefined;
        const reading = r.assembler.read(this.now());
        if (!reading) return;
        if (!reading.ok) {
          void this.record(r.source.id, {
            kind: 'error',
            code: reading.error.code,
            message: reading.error.message,
            at: this.now(),
          });
          return;
        }
        void this.deliver(r, reading.value, at);
      }, this.o.burstMs ?? 250);
      r.burst.unref();
    }
  }

  private schedulePoll(r: Running, delayMs: number): void {
    if (this.stopped) return;
    r.poll = setTimeout(() => {
      void this.leasedPoll(r).finally(() => {
        if (this.running.get(r.source.id) === r) {
          const every = (r.config.settings as { interval_s?: number }).interval_s ?? 10;
          this.schedulePoll(r, every * 1000);
        }
      });
    }, delayMs);
    r.poll.unref();
  }

  /**
   * Poll once if this process holds the source's poll lease (taken or renewed first), so that
   * of several API processes exactly one polls each source. A store that cannot say skips the
   * poll: a missed reading is better than two processes polling.
   */
  private async leasedPoll(r: Running): Promise<void> {
    const intervalS = (r.config.settings as { interval_s?: number }).interval_s ?? 10;
    const held = await this.claimLease(r, this.leaseMs(intervalS));
    if (held && this.running.get(r.source.id) === r) await this.pollOnce(r);
  }

  private leaseMs(intervalS: number): number {
    return (this.o.pollLeaseMs ?? ((i) => Math.max(3 * i * 1000, 15_000)))(intervalS);
  }

  /**
   * Follow a Home Assistant source only while this process holds its lease (the same lease as
   * polling, renewed every third of it), so of several API processes one follows it; a process
   * that can no longer renew closes its connection, and another takes over once it runs out.
   */
  private async leasedFollow(r: Running): Promise<void> {
    if (this.stopped || this.running.get(r.source.id) !== r) return;
    const leaseMs = this.leaseMs(20);
    const held = await this.claimLease(r, leaseMs);
    if (this.stopped || this.running.get(r.source.id) !== r) return;
    if (held && !r.socket && !r.retry) this.connectHomeAssistant(r);
    if (!held && r.socket) {
      const socket = r.socket;
      r.socket = undefined;
      socket.close();
    }
    r.lease = setTimeout(() => void this.leasedFollow(r), leaseMs / 3);
    r.lease.unref();
  }

  /** Take or renew a source's lease for this process; false when another holds it (or unknown). */
  private async claimLease(r: Running, leaseMs: number): Promise<boolean> {
    const at = this.now();
    let held: boolean;
    try {
      held = await this.o.metadata.claimSourcePoll(r.source.id, this.holder, at, at + leaseMs);
    } catch (e) {
      this.o.log.warn({ err: e, source: r.source.id }, 'sources: lease unknown; not feeding');
      held = false;
    }
    if (held !== r.leased) {
      this.o.log.info(
        { source: r.source.id, holder: this.holder },
        held
          ? 'sources: lease taken, this process feeds the source'
          : 'sources: another process feeds the source',
      );
      r.leased = held;
    }
    return held;
  }

  /** Poll a polled source once; resolves whatever happens (its status records errors). */
  async pollOnce(r: Running): Promise<void> {
    const url = sourceRequestUrl(r.config);
    if (!url) return;
    const at = this.now();
    let body: string;
    try {
      const token = (r.config.settings as { token?: string }).token;
      const options = sourceRequestOptions(
        r.config,
        token === undefined ? undefined : this.o.secrets ? this.o.secrets().open(token) : token,
      );
      if (options.tls && url.startsWith('https:')) {
        body = await httpsGet(url, options.headers ?? {}, options.tls.ca);
      } else {
        const res = await (this.o.fetch ?? fetch)(url, {
          headers: options.headers,
          signal: AbortSignal.timeout(10_000),
        });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        body = await res.text();
      }
    } catch (e) {
      await this.record(r.source.id, {
        kind: 'error',
        code: 'SOURCE_UNREACHABLE',
        message: `GET ${url} failed: ${e instanceof Error ? e.message : String(e)}`,
        at,
      });
      return;
    }
    const parsed = parseSourceResponse(r.config, body);
    if (!parsed.ok) {
      await this.record(r.source.id, {
        kind: 'error',
        code: parsed.error.code,
        message: parsed.error.message,
        at,
      });
      return;
    }
    await this.deliver(r, parsed.value, at);
  }

  /**
   * Store one reading of a source (mains: as consumption; production: kept for its building;
   * sub-meter: as its appliance's sub-meter series).
   */
  async deliver(r: Running, reading: SourceReading, arrivedAt: number): Promise<void> {
    const at = reading.ts ?? arrivedAt;
    const { buildingId } = r.source;
    const net = netOf(reading);
    if (r.source.role === 'submeter') {
      await this.deliverSubmeter(r, net, at);
      return;
    }
    if (r.source.role === 'production') {
      const watts = Math.abs(reading.productionW ?? net ?? 0);
      this.production.set(buildingId, { watts, at });
      await this.recordValue(r, watts, at);
      return;
    }
    const p = this.production.get(buildingId);
    const fresh = p && Math.abs(at - p.at) <= PRODUCTION_FRESH_MS ? p.watts : undefined;
    const sent = ingestReadingOf(reading, at, fresh);
    if (net !== undefined) await this.recordValue(r, net, at, reading.phasesW);
    if ('unknown' in sent) {
      await this.record(r.source.id, {
        kind: 'error',
        code: 'SOURCE_CONSUMPTION_UNKNOWN',
        message: sent.unknown,
        at,
      });
      return;
    }
    try {
      await this.o.ingest.ingest(buildingId, [sent]);
    } catch (e) {
      await this.record(r.source.id, {
        kind: 'error',
        code: (e as { code?: string }).code ?? 'INGEST_FAILED',
        message: e instanceof Error ? e.message : String(e),
        at,
      });
    }
  }

  /** Store a sub-meter's power (its magnitude: a clamp put on the wrong way round reads negative). */
  private async deliverSubmeter(r: Running, net: number | undefined, at: number): Promise<void> {
    const fail = (code: string, message: string) =>
      this.record(r.source.id, { kind: 'error', code, message, at });
    if (net === undefined) return fail('SOURCE_POWER_UNKNOWN', 'the reading has no power');
    const watts = Math.abs(net);
    await this.recordValue(r, watts, at);
    const appliance = r.source.appliance;
    if (!appliance || !this.o.submeters)
      return fail('SOURCE_SUBMETER_UNBOUND', 'this sub-meter has no appliance; set one');
    try {
      await this.o.submeters.ingest(r.source.buildingId, appliance, [{ ts: at, powerW: watts }]);
    } catch (e) {
      await fail(
        (e as { code?: string }).code ?? 'INGEST_FAILED',
        e instanceof Error ? e.message : String(e),
      );
    }
  }

  private async recordValue(
    r: Running,
    watts: number,
    at: number,
    phasesW?: readonly number[],
  ): Promise<void> {
    if (at - r.lastValueAt < (this.o.statusEveryMs ?? 5000)) return;
    r.lastValueAt = at;
    await this.record(r.source.id, { kind: 'value', valueW: watts, at, phasesW });
  }

  private async record(id: string, event: SourceEvent): Promise<void> {
    try {
      await this.o.metadata.recordSourceEvent(id, event);
    } catch (e) {
      this.o.log.warn({ err: e, source: id }, 'sources: status not recorded');
    }
  }
}
