/**
 * `nilm replay --url`: sends readings to `POST /api/v1/ingest` with a device token, waits out
 * 503 and 429 for as long as the server asks, retries other failures with a backoff and stops on
 * any other 4xx with a hint about the flag to check.
 */
import type { StampedReading } from '@nilm/ml';
import { invalid, note, sleep } from './replay.shared.js';
import { chunks, type Sink } from './replay.sink.js';

/** Most readings per HTTP request (the API's limit). */
const MAX_HTTP_BATCH = 10_000;
/** Give up after this many failures in a row that the server did not ask us to wait out. */
const MAX_FAILURES = 10;
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;

const backoff = (attempt: number): number =>
  Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.max(0, attempt - 1));

/** Milliseconds to wait from a Retry-After header (seconds or an HTTP date); undefined when absent. */
function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const s = Number(header);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
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
export class HttpSink implements Sink {
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
