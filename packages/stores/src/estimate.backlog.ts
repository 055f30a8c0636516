/**
 * The estimate backlog: which time ranges of a building received readings that have no
 * up-to-date estimates yet. Ingest marks a range after its readings are stored; a worker lists
 * the newest ranges, estimates them, and resolves what it did. It is what the worker works
 * from, instead of inferring its work from the newest and oldest estimate (which cannot see
 * readings that arrive inside that span: history imported while live data flows).
 *
 * Contract (the metadata store implements it, so it is durable and shared by every worker):
 * - Ranges are kept per building and per hour bucket (`bucket` = floor(ts / 1 h)), as the
 *   smallest [fromMs, toMs) holding every reading marked in that bucket since it was last
 *   resolved. Marking a bucket again widens the range and gives it a new `seq`.
 * - `resolvePending` clears (or shrinks) a range only if its `seq` is unchanged since it was
 *   listed: readings marked while a worker was estimating keep their range, so nothing is lost
 *   to a race; a worker that dies before resolving leaves its ranges for the next one.
 * - An `audit` range (bucket -1) asks for a check rather than a redo: estimate only where
 *   readings lack estimates. Migration adds one per building that existed before the backlog,
 *   whose history may hold such holes.
 * - A time to mark is a whole number of epoch ms in [0, MAX_TS_MS], as a stored reading's is: a
 *   negative one would land in bucket -1, the audit range. A call with any other time is refused
 *   before anything is marked.
 */
import { MAX_TS_MS } from './timeseries.store.js';

/** One hour, the width of a backlog bucket. */
export const BACKLOG_BUCKET_MS = 3_600_000;
/** The bucket of an audit range. */
export const AUDIT_BUCKET = -1;

/** A range of one building that needs estimating. */
export interface PendingRange {
  buildingId: string;
  /** floor(ts / BACKLOG_BUCKET_MS) of the readings it holds, or AUDIT_BUCKET. */
  bucket: number;
  /** Oldest reading marked, epoch ms. */
  fromMs: number;
  /** Just after the newest reading marked (exclusive), epoch ms. */
  toMs: number;
  /** Changes whenever the range is marked again; opaque. */
  seq: string;
  /** Check for readings without estimates instead of re-estimating everything. */
  audit: boolean;
}

/** What a worker did with a listed range: all of it, or only [cutMs, toMs). */
export interface ResolvedRange {
  bucket: number;
  seq: string;
  /** Set when only the newest part was estimated: the range shrinks to [fromMs, cutMs). */
  cutMs?: number;
}

/** Per building summary of what is left to estimate. */
export interface BacklogSummary {
  ranges: number;
  /** Sum of the ranges' lengths in ms (audit ranges not counted: their extent is unknown). */
  pendingMs: number;
  /** Oldest fromMs and newest toMs of the non-audit ranges, or null. */
  fromMs: number | null;
  toMs: number | null;
  audit: boolean;
}

export interface EstimateBacklog {
  /**
   * Record that readings at these times need estimating. Idempotent per time; a building that
   * does not exist (deleted meanwhile) is ignored. Resolves once the marks are durable. A bad
   * time (see the contract above) refuses the call before anything is marked.
   */
  markPending(buildingId: string, timesMs: readonly number[]): Promise<void>;
  /**
   * markPending for several buildings at once, with the same result as one markPending per
   * entry (a building may appear in several entries; one that does not exist is ignored), in as
   * few statements as the rows allow: what lets one process mark a thousand ingest calls a
   * second. Any bad time refuses the whole call before anything is marked.
   */
  markPendingMany(entries: ReadonlyArray<PendingMarks>): Promise<void>;
  /** The building's ranges, non-audit newest first (by toMs), then the audit range; at most `limit`. */
  listPending(buildingId: string, limit: number): Promise<PendingRange[]>;
  /**
   * listPending for several buildings at once (a worker's runs in flight): one answer per
   * query, in order, as listPending gives it, in as few statements as the queries allow. A
   * limit that is not a whole number >= 0 refuses the whole call.
   */
  listPendingMany(queries: ReadonlyArray<PendingQuery>): Promise<PendingRange[][]>;
  /** Clear or shrink ranges that were estimated; a range marked again since it was listed stays. */
  resolvePending(buildingId: string, done: readonly ResolvedRange[]): Promise<void>;
  /**
   * resolvePending for several buildings at once, in as few statements as the ranges allow,
   * each of them whole. A range named twice (two runs of one building) is resolved as far as
   * either says: all of it if one does, else from the lower cut. A bad entry (a bucket, seq or
   * cut that listPending cannot have given) refuses the whole call before anything is resolved.
   */
  resolvePendingMany(entries: ReadonlyArray<PendingResolution>): Promise<void>;
  /** Buildings that have a pending range, at most `limit`, those waiting longest first. */
  buildingsWithPending(limit: number): Promise<string[]>;
  backlogSummary(buildingId: string): Promise<BacklogSummary>;
}

/** One building's listPending, for listPendingMany. */
export interface PendingQuery {
  buildingId: string;
  limit: number;
}

/** One building's resolvePending, for resolvePendingMany. */
export interface PendingResolution {
  buildingId: string;
  done: readonly ResolvedRange[];
}

/** Times of one building's readings to mark, for markPendingMany. */
export interface PendingMarks {
  buildingId: string;
  timesMs: readonly number[];
}

/** One row of the backlog to mark: [buildingId, bucket, fromMs, toMs). */
export type BacklogRow = [buildingId: string, bucket: number, fromMs: number, toMs: number];

/** Refuse a time that is not a reading's time (plain Error: bad input, retrying cannot help). */
function assertMarkTime(ts: number, buildingId: string): void {
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0 || ts > MAX_TS_MS) {
    throw new Error(
      `cannot mark ${String(ts)} for building ${JSON.stringify(buildingId)}: a reading's time ` +
        `must be a whole number of epoch milliseconds in [0, ${MAX_TS_MS}]; fix the time, ` +
        'nothing was marked',
    );
  }
}

function widen(byBucket: Map<number, BacklogRow>, buildingId: string, ts: number): void {
  const bucket = Math.floor(ts / BACKLOG_BUCKET_MS);
  const span = byBucket.get(bucket);
  if (!span) byBucket.set(bucket, [buildingId, bucket, ts, ts + 1]);
  else {
    if (ts < span[2]) span[2] = ts;
    if (ts + 1 > span[3]) span[3] = ts + 1;
  }
}

/**
 * The rows that mark `entries`: one per building and bucket, entries of the same building
 * merged (an upsert cannot touch one row twice in a statement), ordered by building id
 * (code units, the "C" collation of these ASCII ids) then bucket. Every time is checked before
 * any row is made, so a bad one refuses the whole call.
 */
export function backlogRows(entries: ReadonlyArray<PendingMarks>): BacklogRow[] {
  for (const { buildingId, timesMs } of entries) {
    for (const ts of timesMs) assertMarkTime(ts, buildingId);
  }
  const byBuilding = new Map<string, Map<number, BacklogRow>>();
  for (const { buildingId, timesMs } of entries) {
    if (timesMs.length === 0) continue;
    let byBucket = byBuilding.get(buildingId);
    if (!byBucket) byBuilding.set(buildingId, (byBucket = new Map()));
    for (const ts of timesMs) widen(byBucket, buildingId, ts);
  }
  const rows: BacklogRow[] = [];
  for (const byBucket of byBuilding.values()) for (const row of byBucket.values()) rows.push(row);
  return rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
}

/** Refuse a listPendingMany with a limit that is not a whole number >= 0, before any SQL. */
export function assertPendingQueries(queries: ReadonlyArray<PendingQuery>): void {
  for (const { buildingId, limit } of queries) {
    if (typeof buildingId !== 'string' || !Number.isSafeInteger(limit) || limit < 0)
      throw new Error(
        `cannot list the backlog of building ${JSON.stringify(buildingId)} with limit ` +
          `${String(limit)}: give a building id and a whole number >= 0; nothing was listed`,
      );
  }
}

/** One range to resolve: [buildingId, bucket, seq, cutMs or null for all of it]. */
export type ResolutionRow = [buildingId: string, bucket: number, seq: string, cutMs: number | null];

/**
 * The rows that resolve `entries`, one per range named (see resolvePendingMany for a range named
 * twice), ordered by building id (code units) then bucket. Every entry is checked before any
 * row is made, so a bad one refuses the whole call.
 */
export function resolutionRows(entries: ReadonlyArray<PendingResolution>): ResolutionRow[] {
  for (const { buildingId, done } of entries) {
    for (const r of done) {
      const bad =
        typeof buildingId !== 'string'
          ? 'a building id'
          : !Number.isSafeInteger(r.bucket)
            ? 'a whole bucket'
            : typeof r.seq !== 'string' || !/^-?[0-9]{1,19}$/.test(r.seq)
              ? 'the seq listPending gave'
              : r.cutMs !== undefined &&
                  (!Number.isSafeInteger(r.cutMs) || r.cutMs < 0 || r.cutMs > MAX_TS_MS)
                ? `a cut in whole epoch milliseconds in [0, ${MAX_TS_MS}]`
                : null;
      if (bad !== null)
        throw new Error(
          `cannot resolve ${JSON.stringify(r)} of building ${JSON.stringify(buildingId)}: ` +
            `give ${bad}; nothing was resolved`,
        );
    }
  }
  const byRange = new Map<string, ResolutionRow>();
  for (const { buildingId, done } of entries) {
    for (const { bucket, seq, cutMs } of done) {
      const key = `${buildingId} ${bucket} ${seq}`;
      const cut = cutMs ?? null;
      const seen = byRange.get(key);
      if (!seen) byRange.set(key, [buildingId, bucket, seq, cut]);
      else if (seen[3] !== null) seen[3] = cut === null ? null : Math.min(seen[3], cut);
    }
  }
  return [...byRange.values()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
}
