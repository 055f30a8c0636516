/**
 * A full disk, recognised and reported: the drivers say it in different ways (Node's `ENOSPC`,
 * PostgreSQL's and PGlite's SQLSTATE 53100, PGlite's file system `ErrnoError` 51, DuckDB's
 * message "No space left on device"). A write that fails so is answered 503 `STORE_UNAVAILABLE`
 * naming the cause, `/ready` reports the disk for a minute after (and whenever the data folder's
 * own disk is nearly full), and a start that fails so says what to do.
 */
import { statfs } from 'node:fs/promises';

/** Below this much free space on the data folder's disk, `/ready` reports the disk as full. */
export const MIN_FREE_BYTES = 8 * 1024 * 1024;
/** How long after a write failed for lack of space `/ready` still reports it. */
export const DISK_FULL_MEMORY_MS = 60_000;

/** Emscripten's ENOSPC, as PGlite's in-memory file system throws it. */
const EMSCRIPTEN_ENOSPC = 51;
const NO_SPACE = /no space left on device|disk is full|disk full|could not extend file/i;

/** True when `e` (or an error it wraps) says a disk is full. Accepts non-Error throwables. */
export function isDiskFull(e: unknown, depth = 5): boolean {
  if (typeof e !== 'object' || e === null || depth === 0) return false;
  const x = e as { code?: unknown; errno?: unknown; name?: unknown; message?: unknown };
  if (x.code === 'ENOSPC' || x.code === 'EDQUOT' || x.code === '53100') return true;
  if (x.name === 'ErrnoError' && x.errno === EMSCRIPTEN_ENOSPC) return true;
  if (typeof x.message === 'string' && NO_SPACE.test(x.message)) return true;
  return isDiskFull((e as { cause?: unknown }).cause, depth - 1);
}

/** Which store a disk-full error came from, by what it says; `storage` when it does not. */
export function diskFullStore(e: unknown, kinds: { metadata: string; timeseries: string }): string {
  const text = (function describe(v: unknown, depth: number): string {
    if (typeof v !== 'object' || v === null || depth === 0) return '';
    const x = v as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown };
    return `${String(x.code)} ${String(x.name)} ${String(x.message)} ${describe(x.cause, depth - 1)}`;
  })(e, 5);
  if (/53100|ErrnoError|could not extend file/.test(text)) return kinds.metadata;
  if (/duckdb|\.wal|influx/i.test(text)) return kinds.timeseries;
  return 'storage';
}

/** Remembers disk-full write failures and checks the data folder's free space. */
export class DiskWatch {
  private lastFull: { at: number; store: string } | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** A write of `store` failed for lack of space. */
  noteFull(store: string): void {
    this.lastFull = { at: this.now(), store };
  }

  /**
   * Resolves when there is room; otherwise rejects with a public message (no paths): a write
   * failed for lack of space in the last minute, or the data folder's disk is nearly full.
   */
  async check(): Promise<void> {
    const f = this.lastFull;
    if (f && this.now() - f.at < DISK_FULL_MEMORY_MS)
      throw new Error(
        `the ${f.store} store could not write ${Math.round((this.now() - f.at) / 1000)} s ago: its disk is full`,
      );
    const s = await statfs(this.dataDir);
    if (s.bavail * s.bsize < MIN_FREE_BYTES)
      throw new Error(
        `the data folder's disk is full (${Math.floor((s.bavail * s.bsize) / 1024)} KiB free)`,
      );
  }
}

/** A start that could not complete, with a message that says what to do. */
export class StartError extends Error {
  constructor(
    readonly code: 'DISK_FULL' | 'START_FAILED',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StartError';
  }
}

/**
 * What a failed start tells the person starting it: a full disk says so and where, and a thrown
 * value that is no Error (PGlite throws plain objects) is described instead of `[object Object]`.
 */
export function startFailure(e: unknown, dataDir: string): Error {
  if (isDiskFull(e))
    return new StartError(
      'DISK_FULL',
      `cannot start: the disk holding the data folder ${dataDir} is full (no space left on device); free some space there, or set NILM_DATA_DIR to a folder on a disk with room`,
      { cause: e },
    );
  if (e instanceof Error) return e;
  let text: string;
  try {
    text = JSON.stringify(e) ?? String(e);
  } catch {
    text = String(e);
  }
  return new StartError('START_FAILED', `cannot start: ${text}`, { cause: e });
}
