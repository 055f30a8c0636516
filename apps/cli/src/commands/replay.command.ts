/**
 * `nilm replay`: play a recorded data set to a running server as if it were a live meter, over
 * HTTP (`POST /api/v1/ingest` with a device token) or MQTT. The timing comes from `ReplayClock`
 * in @nilm/ml, the clock the server's demo home uses, so readings are stamped exactly as the
 * demo home stamps them: real spacing, never in the future, the recording compressed by
 * `--speed`.
 */
import { Option, type Command } from 'commander';
import { SUMMARIES } from './command.summaries.js';
import type { MqttClient } from 'mqtt';
import { loadDataset, NilmError, ReplayClock, type Series, type StampedReading } from '@nilm/ml';
import {
  BUILDING_ID_FORMAT,
  DEFAULT_TOPIC_PATTERN,
  MAX_READINGS_PER_MESSAGE,
  MqttInputError,
  topicForBuilding,
} from '@nilm/contracts';
import { formatDuration } from '../progress.js';
import { loadOptions, withDataFlags, type DataFlags } from './eval.command.js';

interface ReplayOptions extends DataFlags {
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

/** Where replayed readings go. `send` resolves with how many were delivered before `deadline`. */
interface Sink {
  readonly target: string;
  send(readings: StampedReading[], deadline: number): Promise<number>;
  close(): Promise<void>;
}

/** Most readings per HTTP request (the API's limit). */
const MAX_HTTP_BATCH = 10_000;
/** Give up after this many failures in a row that the server did not ask us to wait out. */
const MAX_FAILURES = 10;
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;
const PROGRESS_EVERY_MS = 10_000;
/** How long past --max-seconds a published message may wait for its acknowledgement. */
const ACK_GRACE_MS = 5000;

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

const backoff = (attempt: number): number =>
  Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.max(0, attempt - 1));

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function note(line: string): void {
  process.stderr.write(`replay: ${line}\n`);
}

/** Milliseconds to wait from a Retry-After header (seconds or an HTTP date); undefined when absent. */
function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const s = Number(header);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

function invalid(message: string): NilmError {
  return new NilmError('CONFIG_INVALID', message);
}

/** The ingest endpoint under an API base URL (a base with a path, behind a proxy, is kept). */
function ingestUrl(base: string): URL {
  let url: URL;
  try {
    url = new URL(base.endsWith('/') ? base : `${base}/`);
  } catch {
    throw invalid(`--url "${base}" is not a URL; example: --url http://127.0.0.1:8080`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(`--url "${base}" must start with http:// or https://`);
  }
  return new URL('api/v1/ingest', url);
}

/** Sends batches to `POST /api/v1/ingest`; waits out 503 and 429, stops on any other 4xx. */
class HttpSink implements Sink {
  readonly target: string;
  private readonly endpoint: URL;

  constructor(
    base: string,
    private readonly buildingId: string,
    private readonly token: string,
  ) {
    this.endpoint = ingestUrl(base);
    this.target = this.endpoint.href;
  }

  async send(readings: StampedReading[], deadline: number): Promise<number> {
    let sent = 0;
    for (const chunk of chunks(readings, MAX_HTTP_BATCH)) {
      if (!(await this.post(chunk, deadline))) break;
      sent += chunk.length;
    }
    return sent;
  }

  /** True when the server stored the batch; false when the deadline came first. */
  private async post(chunk: StampedReading[], deadline: number): Promise<boolean> {
    const body = JSON.stringify({
      building_id: this.buildingId,
      readings: chunk.map((r) => ({ ts: r.ts, power_w: r.powerW })),
    });
    let failures = 0;
    let asked = 0;
    for (;;) {
      const outcome = await this.attempt(body);
      if (outcome.kind === 'stored') return true;
      let waitMs: number;
      if (outcome.kind === 'asked-to-wait') {
        // The server asked us to come back: wait as long as it says, for as long as it takes.
        failures = 0;
        asked++;
        waitMs = outcome.retryAfterMs ?? backoff(asked);
      } else {
        asked = 0;
        failures++;
        if (failures >= MAX_FAILURES) {
          throw invalid(`giving up after ${failures} failed attempts in a row: ${outcome.problem}`);
        }
        waitMs = backoff(failures);
      }
      const left = deadline - Date.now();
      if (left <= 0) return false;
      note(`${outcome.problem}; retrying in ${(Math.min(waitMs, left) / 1000).toFixed(1)} s`);
      await sleep(Math.min(waitMs, left));
      if (Date.now() >= deadline) return false;
    }
  }

  /** One POST. Throws for a 4xx other than 429: retrying the same request cannot help. */
  private async attempt(
    body: string,
  ): Promise<
    | { kind: 'stored' }
    | { kind: 'asked-to-wait'; problem: string; retryAfterMs: number | undefined }
    | { kind: 'failed'; problem: string }
  > {
    let res: Response;
    try {
      res = await fetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-ingest-token': this.token },
        body,
        signal: AbortSignal.timeout(30_000),
      });
    } catch (e) {
      // fetch says "fetch failed" and keeps the reason (ECONNREFUSED, ...) in `cause`.
      const reason = e instanceof Error && e.cause instanceof Error ? e.cause : e;
      return {
        kind: 'failed',
        problem: `cannot reach ${this.target}: ${reason instanceof Error ? reason.message : String(reason)}`,
      };
    }
    const text = await res.text();
    if (res.ok) return { kind: 'stored' };
    const { code, message } = errorBody(text);
    const problem = `HTTP ${res.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`;
    if (res.status === 503 || res.status === 429) {
      const retryAfter = retryAfterMs(res.headers.get('retry-after'), Date.now());
      return { kind: 'asked-to-wait', problem, retryAfterMs: retryAfter };
    }
    if (res.status >= 400 && res.status < 500) {
      throw invalid(`the server refused the readings (${problem})${hintFor(res.status)}`);
    }
    return { kind: 'failed', problem };
  }

  async close(): Promise<void> {}
}

function errorBody(text: string): { code?: string; message?: string } {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    const code = typeof parsed.error?.code === 'string' ? parsed.error.code : undefined;
    const message = typeof parsed.error?.message === 'string' ? parsed.error.message : undefined;
    return { code, message };
  } catch {
    return { message: text.slice(0, 200) || undefined };
  }
}

function hintFor(status: number): string {
  if (status === 401) {
    return '; check --token: it must be a device token of the building (create one with POST /api/v1/buildings/{id}/tokens)';
  }
  if (status === 403 || status === 404) return '; check --building and that --token belongs to it';
  if (status === 422) return '; the data holds readings the server does not accept';
  return '';
}

/** Publishes JSON batches (QoS 1) on the building's topic and waits for each PUBACK. */
class MqttSink implements Sink {
  private closes = 0;

  private constructor(
    private readonly client: MqttClient,
    readonly target: string,
    private readonly topic: string,
    private readonly token: string | undefined,
  ) {
    client.on('close', () => this.closes++);
    client.on('error', (e) => note(`MQTT: ${e.message}`));
  }

  static async open(o: {
    url: string;
    topic: string;
    token?: string;
    username?: string;
    password?: string;
  }): Promise<MqttSink> {
    // Loaded here, not at the top, so that other commands do not pay for the MQTT client.
    const { default: mqtt } = await import('mqtt');
    let client: MqttClient;
    try {
      client = await mqtt.connectAsync(o.url, {
        username: o.username,
        password: o.password,
        clientId: `nilm-replay-${Math.random().toString(16).slice(2, 10)}`,
        clean: true,
        connectTimeout: 10_000,
        reconnectPeriod: 1000,
      });
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      const code = (e as { code?: unknown }).code;
      throw invalid(
        typeof code === 'number'
          ? `the MQTT broker at ${o.url} refused the connection (${reason}); check --username (the building id) and --password (its device token)`
          : `cannot connect to the MQTT broker at ${o.url}: ${reason}`,
      );
    }
    return new MqttSink(client, `${o.url} ${o.topic}`, o.topic, o.token);
  }

  async send(readings: StampedReading[], deadline: number): Promise<number> {
    let sent = 0;
    for (const chunk of chunks(readings, MAX_READINGS_PER_MESSAGE)) {
      // The token goes on the first reading only: one per message is enough and keeps a full
      // batch well under the server's payload limit.
      const payload = JSON.stringify(
        chunk.map((r, i) => ({
          ts: r.ts,
          power_w: r.powerW,
          ...(i === 0 && this.token ? { token: this.token } : {}),
        })),
      );
      if (!(await this.publish(payload, deadline))) break;
      sent += chunk.length;
    }
    return sent;
  }

  /**
   * True once the broker acknowledged the message. The deadline stops waiting only after a grace
   * period, so that a message already on the wire is not reported unsent when its ack is late.
   */
  private async publish(payload: string, deadline: number): Promise<boolean> {
    const closesBefore = this.closes;
    const acked = this.client.publishAsync(this.topic, payload, { qos: 1 });
    // The client resends on reconnect by itself; a broker that refuses the topic closes the
    // connection every time, which would otherwise loop for ever.
    acked.catch(() => undefined);
    const giveUpAt = deadline + ACK_GRACE_MS;
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        acked.then(() => 'acked' as const),
        new Promise<'waiting'>((resolve) => {
          timer = setTimeout(() => resolve('waiting'), Math.min(1000, giveUpAt - Date.now()));
        }),
      ]);
      clearTimeout(timer);
      if (outcome === 'acked') return true;
      if (this.closes - closesBefore >= 3) {
        throw invalid(
          `the MQTT broker closed the connection ${this.closes - closesBefore} times while publishing to ${this.topic}: it does not let this client publish there; check --building, --topic and --username`,
        );
      }
      if (Date.now() >= giveUpAt) return false;
    }
  }

  async close(): Promise<void> {
    await this.client.endAsync(this.client.connected ? false : true);
  }
}

function parseNumber(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min)
    throw invalid(`${flag} must be a number >= ${min}, got "${value}"`);
  return n;
}

async function openSink(o: ReplayOptions): Promise<Sink> {
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

async function replay(o: ReplayOptions): Promise<void> {
  if (!BUILDING_ID_FORMAT.test(o.building)) {
    throw invalid(
      `--building "${o.building}" is not a building id (1 to 64 of a-z, A-Z, 0-9, _ and -)`,
    );
  }
  const speed = parseNumber('--speed', o.speed, 1);
  const maxSeconds =
    o.maxSeconds === undefined ? undefined : parseNumber('--max-seconds', o.maxSeconds, 0);
  // Check the destination flags before spending time on loading data.
  const sink = await openSink(o);
  try {
    const all: Series[] = await loadDataset(o.data, {
      ...loadOptions(o),
      log: (m) => note(m),
    });
    const series = all[0];
    if (!series) throw new NilmError('DATA_EMPTY', `${o.data} holds no series to replay`);
    if (all.length > 1) note(`replaying the first of ${all.length} series: ${series.source}`);
    const durationMs = series.mains.length * series.periodS * 1000;
    note(
      `${series.source}: ${formatDuration(durationMs / 1000)} of data at ${speed}x (${formatDuration(durationMs / 1000 / speed)}) to ${sink.target}`,
    );

    const start = Date.now();
    const deadline = maxSeconds === undefined ? Infinity : start + maxSeconds * 1000;
    const clock = new ReplayClock(series, speed, start);
    // ReplayClock's documented stamping, inverted: the recording time of a sent reading.
    const stampShiftMs = start - series.startMs - (durationMs - durationMs / speed);
    let sent = 0;
    let lastSentTs: number | undefined;
    let lastProgress = start;
    const progress = (): void => {
      const reached =
        lastSentTs === undefined
          ? 'nothing yet'
          : `${new Date(lastSentTs - stampShiftMs).toISOString()} (${((100 * (lastSentTs - stampShiftMs - series.startMs)) / durationMs).toFixed(1)} % of the recording)`;
      note(
        `${sent} readings sent, data time reached ${reached}, ${formatDuration((Date.now() - start) / 1000)} elapsed`,
      );
    };
    for (;;) {
      const due = clock.due(Math.min(Date.now(), deadline));
      if (due.length > 0) {
        const n = await sink.send(due, deadline);
        sent += n;
        if (n > 0) lastSentTs = due[n - 1]!.ts;
      }
      if (Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
        progress();
        lastProgress = Date.now();
      }
      if (clock.done) break;
      if (Date.now() >= deadline) {
        progress();
        note(`stopped after --max-seconds ${maxSeconds}`);
        return;
      }
      // One batch per wall-clock second of the replay.
      const nextTick = 1000 - ((Date.now() - start) % 1000);
      await sleep(Math.min(nextTick, deadline - Date.now()));
    }
    progress();
    note('done: the whole recording was sent');
  } finally {
    await sink.close();
  }
}

/** Register `nilm replay`. */
export function registerReplay(program: Command): void {
  const cmd = program
    .command('replay')
    .description(SUMMARIES.replay)
    .requiredOption('-d, --data <path>', 'file, directory or glob of data to replay')
    .requiredOption('-b, --building <id>', 'building the readings belong to')
    .addOption(
      new Option('--url <base>', 'HTTP: API base URL, e.g. http://127.0.0.1:8080').conflicts(
        'mqtt',
      ),
    )
    .option('--token <token>', "the building's device token (HTTP header; MQTT payload field)")
    .addOption(
      new Option('--mqtt <url>', 'MQTT: broker URL, e.g. mqtt://127.0.0.1:1883').conflicts('url'),
    )
    .option('--username <id>', 'MQTT username (embedded broker: the building id, the default)')
    .option('--password <token>', 'MQTT password (embedded broker: a device token of the building)')
    .option('--topic <pattern>', 'MQTT topic pattern, + is the building id', DEFAULT_TOPIC_PATTERN)
    .option('--speed <N>', 'replay N times faster than real time (>= 1)', '60')
    .option('--max-seconds <s>', 'stop after this many seconds of wall time');
  withDataFlags(cmd)
    .addHelpText(
      'after',
      `
Each second of the replay sends the readings that fell due as one batch: one POST
/api/v1/ingest (header X-Ingest-Token), or one JSON message on nilm/<building>/power at
QoS 1. 503 and 429 answers are retried as long as the server asks (Retry-After); any other
4xx stops the replay with an error. Progress goes to stderr.

Examples:
  nilm replay --data data/house.csv.gz --building home --url http://127.0.0.1:8080 --token nilm_dev_...
  nilm replay --data data/house.csv.gz --building home --mqtt mqtt://127.0.0.1:1883 --token nilm_dev_...
  nilm replay --data data/house.csv.gz --building home --mqtt mqtt://127.0.0.1:1884 --password nilm_dev_...`,
    )
    .action(async (opts: ReplayOptions) => {
      await replay(opts);
    });
}
