/**
 * Finished readings answers kept in memory (issue 16: the one-day query at 50 clients within
 * 50 ms p99 leaves about 1 ms of server CPU per answer, so finished history is not recomputed).
 *
 * An answer is cached as the bytes that go out: the serialised JSON, its ETag, and its brotli and
 * gzip forms, each compressed once when a client first asks for it. Its key is the building, the
 * range, the resolution, the shape and the building's appliance view (which appliances it shows);
 * its validity is a fingerprint of what the range holds: the store's rollup rows (count and sums
 * per series) of the UTC days the range overlaps, or of its quarter hours in the current UTC day,
 * as in energy.days.ts. The rollups are kept with every write, in whichever process wrote, so a
 * re-import or re-estimate by a worker changes the fingerprint.
 *
 * Every request reads the fingerprint (and the view) afresh; there is no staleness window. To keep
 * that cheap under many clients, reads of the same fingerprint are shared, but only by requests
 * that arrived before the shared read began (`FreshReads`): a request never takes rows read before
 * it arrived, so a write that finished before a request arrived is always seen by it. A rewrite
 * that leaves every count and sum of a day's series as it was (two minutes' values swapped) goes
 * unseen, as for the energy cache.
 */
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { TimeSeriesStore } from '@nilm/stores';
import type { ApplianceView } from '../services/appliances.service.js';
import {
  byBucketThenSeries,
  ceilTo,
  DAY_MS,
  floorTo,
  QUARTER_MS,
  rowText,
} from '../services/rollup.rows.js';
import { etagOfText } from './http.etag.js';

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** An encoding the cache keeps an answer in, besides plain JSON. */
export type AnswerEncoding = 'br' | 'gzip';

/** One finished answer, as sent. */
export interface CachedAnswer {
  /** The JSON body, UTF-8. */
  readonly body: Buffer;
  readonly etag: string;
}

interface Entry {
  fingerprint: string;
  answer: CachedAnswer;
  encoded: Partial<Record<AnswerEncoding, Buffer>>;
  /** Compressions in flight, so many clients at once compress an answer once. */
  encoding: Partial<Record<AnswerEncoding, Promise<Buffer>>>;
  bytes: number;
}

export interface ReadingsAnswerCacheOptions {
  /** Bytes held at most (bodies, compressed forms and keys); 64 MB by default. */
  maxBytes?: number;
  /**
   * Brotli quality (default 4, as @fastify/compress uses for dynamic content: close to gzip's
   * speed at a smaller size) and gzip level (default 6, zlib's).
   */
  brotliQuality?: number;
  gzipLevel?: number;
}

/** Per-entry overhead counted besides its buffers and strings (the objects and map slot). */
const ENTRY_OVERHEAD = 256;

/**
 * Finished answers by key, least recently used first out once they hold more than `maxBytes`.
 * An answer larger than the whole cache is not kept.
 */
export class ReadingsAnswerCache {
  readonly maxBytes: number;
  private readonly brotliQuality: number;
  private readonly gzipLevel: number;
  private readonly entries = new Map<string, Entry>();
  private held = 0;

  constructor(options: ReadingsAnswerCacheOptions = {}) {
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.brotliQuality = options.brotliQuality ?? 4;
    this.gzipLevel = options.gzipLevel ?? 6;
    if (!(Number.isSafeInteger(this.maxBytes) && this.maxBytes > 0))
      throw new Error(
        `the readings answer cache's size must be a positive whole number of bytes, got ${this.maxBytes}`,
      );
    if (!(
      Number.isInteger(this.brotliQuality) &&
      this.brotliQuality >= 0 &&
      this.brotliQuality <= 11
    ))
      throw new Error(
        `brotli quality must be a whole number from 0 to 11, got ${this.brotliQuality}`,
      );
    if (!(Number.isInteger(this.gzipLevel) && this.gzipLevel >= 1 && this.gzipLevel <= 9))
      throw new Error(`gzip level must be a whole number from 1 to 9, got ${this.gzipLevel}`);
  }

  /** The answer cached under `key` if it was made from data with this `fingerprint`. */
  get(key: string, fingerprint: string): CachedAnswer | undefined {
    const entry = this.entries.get(key);
    if (entry?.fingerprint !== fingerprint) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.answer;
  }

  /** Keep `body` (serialised JSON) under `key`; the answer to send, whether kept or not. */
  set(key: string, fingerprint: string, body: string | Buffer): CachedAnswer {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const answer: CachedAnswer = { body: bytes, etag: etagOfText(bytes) };
    this.drop(key);
    const entry: Entry = {
      fingerprint,
      answer,
      encoded: {},
      encoding: {},
      bytes: bytes.byteLength + 2 * (key.length + fingerprint.length) + ENTRY_OVERHEAD,
    };
    if (entry.bytes > this.maxBytes) return answer;
    this.entries.set(key, entry);
    this.held += entry.bytes;
    this.evict();
    return answer;
  }

  /**
   * `answer`'s body in `encoding`, compressed on first use (off the event loop, in zlib's
   * thread pool) and kept with it while it is cached.
   */
  encoded(key: string, answer: CachedAnswer, encoding: AnswerEncoding): Promise<Buffer> {
    const entry = this.entries.get(key);
    const mine = entry?.answer === answer ? entry : undefined;
    const done = mine?.encoded[encoding];
    if (done) return Promise.resolve(done);
    const running = mine?.encoding[encoding];
    if (running) return running;
    const compressing = (
      encoding === 'br'
        ? brotliAsync(answer.body, {
            params: {
              [constants.BROTLI_PARAM_QUALITY]: this.brotliQuality,
              [constants.BROTLI_PARAM_SIZE_HINT]: answer.body.byteLength,
              [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
            },
          })
        : gzipAsync(answer.body, { level: this.gzipLevel })
    ).then(
      (bytes) => {
        if (mine) delete mine.encoding[encoding];
        // Still the cached entry (not evicted or replaced meanwhile): keep the bytes with it.
        if (mine && this.entries.get(key) === mine) {
          mine.encoded[encoding] = bytes;
          mine.bytes += bytes.byteLength;
          this.held += bytes.byteLength;
          this.evict();
        }
        return bytes;
      },
      (error: unknown) => {
        if (mine) delete mine.encoding[encoding];
        throw error;
      },
    );
    if (mine) mine.encoding[encoding] = compressing;
    return compressing;
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.held;
  }

  /** Answers held now. */
  get size(): number {
    return this.entries.size;
  }

  private evict(): void {
    for (const oldest of this.entries.keys()) {
      if (this.held <= this.maxBytes) break;
      this.drop(oldest);
    }
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.held -= entry.bytes;
    this.entries.delete(key);
  }
}

/**
 * What [startMs, endMs) of a building holds, as text: its UTC days' rollup rows, and for the part
 * in the current UTC day (`now`'s) its quarter hours' rows, so live writes today leave an answer
 * that ended earlier today valid after its quarter. Null when the store keeps no rollups, or none
 * cover the range (such a range is not cached).
 */
export async function rangeFingerprint(
  store: TimeSeriesStore,
  buildingId: string,
  startMs: number,
  endMs: number,
  now: number,
): Promise<string | null> {
  if (!store.readRollupRows) return null;
  const hot = floorTo(now, DAY_MS);
  const daysEnd = Math.min(ceilTo(endMs, DAY_MS), hot);
  const from = floorTo(startMs, DAY_MS);
  const quarterFrom = Math.max(floorTo(startMs, QUARTER_MS), hot);
  const quarterTo = ceilTo(endMs, QUARTER_MS);
  const [days, quarters] = await Promise.all([
    from < daysEnd ? store.readRollupRows(buildingId, from, daysEnd, DAY_MS / 1000) : [],
    quarterFrom < quarterTo
      ? store.readRollupRows(buildingId, quarterFrom, quarterTo, QUARTER_MS / 1000)
      : [],
  ]);
  if (days.length === 0 && quarters.length === 0) return null;
  return [
    `d${from}-${daysEnd}`,
    ...[...days].sort(byBucketThenSeries).map(rowText),
    `q${quarterFrom}-${quarterTo}`,
    ...[...quarters].sort(byBucketThenSeries).map(rowText),
  ].join('\n');
}

/**
 * A building's view as text, for keys: the appliances shown, which is all of the view a readings
 * answer depends on (`ReadingsService.readings` keeps only those; the on thresholds shape only
 * energy ranges and runs).
 */
export function viewSignature(present: ApplianceView['present']): string {
  return present === null ? '*' : [...present].sort().join('\u0001');
}

/** What a readings answer depends on besides the data. */
export interface AnswerKeyParts {
  buildingId: string;
  startMs: number;
  endMs: number;
  /** The bucket size chosen from the resolution or the points asked for. */
  resolutionS: number;
  shape: 'points' | 'columns';
  view: string;
}

/** The cache key of an answer. */
export function answerKey(p: AnswerKeyParts): string {
  return [p.buildingId, p.startMs, p.endMs, p.resolutionS, p.shape, p.view].join('\u0002');
}

/**
 * The encoding to send, from Accept-Encoding, among those @fastify/compress is registered with
 * (br, gzip; br first at equal weight), or null for plain JSON. `x-gzip` counts as gzip and `*`
 * as any encoding not named; q=0 refuses.
 */
export function negotiateEncoding(acceptEncoding: string | undefined): AnswerEncoding | null {
  if (!acceptEncoding) return null;
  const weights = new Map<string, number>();
  for (const part of acceptEncoding.toLowerCase().split(',')) {
    const [name, ...params] = part.split(';').map((s) => s.trim());
    if (!name) continue;
    const q = params.find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    weights.set(name === 'x-gzip' ? 'gzip' : name, Number.isFinite(weight) ? weight : 0);
  }
  let best: AnswerEncoding | null = null;
  let bestWeight = 0;
  for (const encoding of ['br', 'gzip'] as const) {
    const weight = weights.get(encoding) ?? weights.get('*') ?? 0;
    if (weight > bestWeight) {
      best = encoding;
      bestWeight = weight;
    }
  }
  return best;
}
