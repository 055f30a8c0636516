/**
 * History import rules: read a whole CSV file of mains readings (our dataset layout or a
 * generic `time,power` file) and check every line before anything is stored. Shared so that the
 * server refuses, and the CLI and the web app warn before uploading, exactly the same files.
 * Pure; no I/O.
 *
 * Times are recognised per cell:
 * - a plain number (`1409702400`, `1409702400000`, `1409702400.5`) is epoch seconds below 10^11
 *   and epoch milliseconds from 10^11 on (10^11 s is the year 5138 and 10^11 ms is 1973, both
 *   outside the accepted 2000..now, so the two cannot be confused);
 * - ISO-8601 `YYYY-MM-DDTHH:MM[:SS[.fff]]` (a space for the `T` too) with a zone: `Z`, `+01:00`,
 *   `+0100` or `+01`;
 * - the same without a zone only in the dataset layout, whose times are UTC by definition
 *   (docs/data.md); a generic file must say its zone, since guessing it would shift every
 *   reading by hours.
 */

/** The layouts an import reads. */
export const IMPORT_FORMATS = ['dataset', 'time-power'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
/** Units of the power column. */
export const IMPORT_UNITS = ['W', 'kW'] as const;
export type ImportUnit = (typeof IMPORT_UNITS)[number];

/** Largest plausible household mains power, as the server's ingest refuses above it. */
export const IMPORT_MAX_POWER_W = 100_000;
/** Allowance for clock skew: a time later than now by more than this is in the future. */
export const IMPORT_MAX_FUTURE_MS = 5 * 60_000;
/** Times before this are refused (a meter with an unset clock, or seconds read as ms). */
export const IMPORT_MIN_TIME_MS = Date.UTC(2000, 0, 1);
/** Readings per batch when an import is stored (the ingest API's batch limit). */
export const IMPORT_BATCH_SIZE = 10_000;
/** Most problems an import check lists; the rest are only counted. */
export const IMPORT_MAX_PROBLEMS = 10;

/** What kind of rule a line broke: its time, its power, or the file's shape. */
export type ImportProblemKind = 'time' | 'power' | 'format';

/** One bad line: its 1-based number in the file (the header is line 1) and why. */
export interface ImportProblem {
  line: number;
  kind: ImportProblemKind;
  reason: string;
}

/** A file that passed every check, ready to store. */
export interface CheckedImport {
  /** Epoch ms of each reading, strictly increasing. */
  timesMs: Float64Array;
  /** Mains power of each reading in W. */
  powersW: Float64Array;
  /** Dataset rows with `Aggregate` 0 (missing data in that layout), left out. */
  skippedMissing: number;
}

export type ImportCheck =
  | { ok: true; value: CheckedImport }
  | {
      ok: false;
      /** The first bad lines, in file order (at most IMPORT_MAX_PROBLEMS). */
      problems: ImportProblem[];
      /** How many lines are bad in all. */
      badLines: number;
      /** One sentence for a person: the first bad line and reason, and how many more. */
      message: string;
    };

export interface ImportCheckOptions {
  format: ImportFormat;
  /** Unit of the power column (default W). */
  unit?: ImportUnit;
  /** The clock that says what is in the future. */
  nowMs: number;
}

const EPOCH = /^\d+(\.\d+)?$/;
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * Epoch ms of a time cell, or a reason why it is none. `naiveIsUtc`: a time without a zone is
 * UTC (the dataset layout) instead of refused.
 */
export function parseImportTime(
  cell: string,
  naiveIsUtc: boolean,
): { ms: number } | { reason: string } {
  const s = cell.trim();
  const notTime = {
    reason: `time "${s}" is not a time; use ISO-8601 with a zone (2024-05-01T12:00:00Z) or epoch seconds or milliseconds`,
  };
  if (s === '') return { reason: 'the time is empty' };
  if (EPOCH.test(s)) {
    const v = Number(s);
    return { ms: Math.round(v < 1e11 ? v * 1000 : v) };
  }
  const m = ISO.exec(s);
  if (!m) return notTime;
  const [, y, mo, d, h, mi, sec = '0', frac = '', zone] = m;
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec)];
  const local = Date.UTC(fields[0]!, fields[1]!, fields[2]!, fields[3]!, fields[4]!, fields[5]!);
  const back = new Date(local);
  // Date.UTC rolls 2024-02-30 over to March; a time whose fields do not come back is none.
  if (
    back.getUTCFullYear() !== fields[0] ||
    back.getUTCMonth() !== fields[1] ||
    back.getUTCDate() !== fields[2] ||
    back.getUTCHours() !== fields[3] ||
    back.getUTCMinutes() !== fields[4] ||
    back.getUTCSeconds() !== fields[5]
  )
    return notTime;
  const ms = local + (frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0);
  if (zone === undefined) {
    if (naiveIsUtc) return { ms };
    return {
      reason: `time "${s}" has no zone; add one (Z for UTC, or the offset, e.g. +01:00) so it is not guessed`,
    };
  }
  if (zone === 'Z' || zone === 'z') return { ms };
  const sign = zone.startsWith('-') ? -1 : 1;
  const oh = Number(zone.slice(1, 3));
  const om = Number(zone.slice(3).replace(':', '') || '0');
  if (oh > 23 || om > 59) return notTime;
  return { ms: ms - sign * (oh * 60 + om) * 60_000 };
}

/** The cells of a CSV line: comma-separated, each trimmed and unquoted (no embedded commas). */
function cellsOf(line: string): string[] {
  return line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
}

const isoOf = (ms: number): string => new Date(ms).toISOString();

/**
 * Check a whole CSV file and read its readings. Every line is checked (not only up to the first
 * bad one), so a refusal can say how many lines need fixing. Blank lines are ignored.
 *
 * - `dataset`: a header with `Time` and `Aggregate` (any case; other columns are appliances and
 *   are not imported), every row with the header's number of fields; `Aggregate` 0 is missing
 *   data and is skipped (counted in `skippedMissing`), its time still checked.
 * - `time-power`: a header line with two fields (any names), then `time,power` rows.
 *
 * A line is bad when its time does not parse, is before 2000 or after now (plus 5 minutes), is
 * not later than the line before (backwards or repeated); or its power is empty, not a number, or
 * outside 0..100 kW after the unit is applied.
 */
export function checkImportCsv(text: string, options: ImportCheckOptions): ImportCheck {
  const scale = (options.unit ?? 'W') === 'kW' ? 1000 : 1;
  const naiveIsUtc = options.format === 'dataset';
  const latest = options.nowMs + IMPORT_MAX_FUTURE_MS;
  const problems: ImportProblem[] = [];
  let badLines = 0;
  const bad = (line: number, kind: ImportProblemKind, reason: string): void => {
    badLines++;
    if (problems.length < IMPORT_MAX_PROBLEMS) problems.push({ line, kind, reason });
  };

  let times = new Float64Array(1024);
  let powers = new Float64Array(1024);
  let count = 0;
  let skippedMissing = 0;
  let header: string[] | undefined;
  let timeCol = 0;
  let powerCol = 1;
  let prevMs = -Infinity;
  let prevLine = 0;
  let lineNo = 0;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;

  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const raw = text.slice(pos, end > pos && text.charCodeAt(end - 1) === 13 ? end - 1 : end);
    pos = end + 1;
    lineNo++;
    if (raw.trim() === '') continue;
    const cells = cellsOf(raw);

    if (!header) {
      header = cells;
      if (options.format === 'dataset') {
        const lower = cells.map((c) => c.toLowerCase());
        timeCol = lower.indexOf('time');
        powerCol = lower.indexOf('aggregate');
        if (timeCol < 0 || powerCol < 0) {
          bad(
            lineNo,
            'format',
            `the dataset layout needs a header with Time and Aggregate columns (Time,Aggregate,<Appliance>...), this one has: ${cells.join(', ')}; for a two-column file use the time-power format`,
          );
          break;
        }
      } else if (cells.length !== 2) {
        bad(
          lineNo,
          'format',
          `expected a header line with two fields (time,power), found ${cells.length}: ${raw.slice(0, 80)}; separate fields with commas`,
        );
        break;
      } else if ('ms' in parseImportTime(cells[0]!, true)) {
        bad(
          lineNo,
          'format',
          'the first line is a reading, not a header; add a header line such as time,power',
        );
        break;
      }
      continue;
    }

    if (cells.length !== header.length) {
      bad(
        lineNo,
        'format',
        `expected ${header.length} fields (${header.join(',')}), found ${cells.length}`,
      );
      continue;
    }
    let lineBad = false;
    const t = parseImportTime(cells[timeCol]!, naiveIsUtc);
    let ms = NaN;
    if ('reason' in t) {
      bad(lineNo, 'time', t.reason);
      lineBad = true;
    } else {
      ms = t.ms;
      const shown = `time ${cells[timeCol]} (${isoOf(ms)})`;
      if (ms < IMPORT_MIN_TIME_MS) {
        bad(lineNo, 'time', `${shown} is before 2000; check the clock or the epoch unit`);
        lineBad = true;
      } else if (ms > latest) {
        bad(
          lineNo,
          'time',
          `${shown} is in the future (now is ${isoOf(options.nowMs)}); check the times' zone`,
        );
        lineBad = true;
      } else if (ms === prevMs) {
        bad(lineNo, 'time', `${shown} repeats line ${prevLine}'s; give each time once`);
        lineBad = true;
      } else if (ms < prevMs) {
        bad(
          lineNo,
          'time',
          `${shown} is earlier than line ${prevLine}'s (${isoOf(prevMs)}); sort the file by time`,
        );
        lineBad = true;
      } else {
        prevMs = ms;
        prevLine = lineNo;
      }
    }
    const p = cells[powerCol]!;
    let watts = NaN;
    if (p === '') {
      bad(lineNo, 'power', 'the power is empty; leave missing readings out');
      lineBad = true;
    } else if (!NUMBER.test(p)) {
      bad(lineNo, 'power', `power "${p}" is not a number`);
      lineBad = true;
    } else {
      watts = Number(p) * scale;
      if (!(watts >= 0 && watts <= IMPORT_MAX_POWER_W)) {
        bad(
          lineNo,
          'power',
          `power ${p} ${options.unit ?? 'W'} is outside 0..${IMPORT_MAX_POWER_W / 1000} kW; ${
            watts < 0
              ? 'import the power drawn from the grid, not exported power'
              : scale === 1
                ? 'no home draws that much'
                : 'is the file in W? say unit=W'
          }`,
        );
        lineBad = true;
      }
    }
    if (lineBad || badLines > 0) continue;
    if (options.format === 'dataset' && watts === 0) {
      skippedMissing++;
      continue;
    }
    if (count === times.length) {
      const t2 = new Float64Array(count * 2);
      t2.set(times);
      times = t2;
      const p2 = new Float64Array(count * 2);
      p2.set(powers);
      powers = p2;
    }
    times[count] = ms;
    powers[count] = watts;
    count++;
  }

  if (badLines === 0) {
    if (!header) bad(1, 'format', 'the file is empty; expected a header line and readings');
    else if (count === 0)
      bad(
        lineNo,
        'format',
        skippedMissing > 0
          ? `every row (${skippedMissing}) has Aggregate 0, which is missing data: nothing to import`
          : 'the file has a header but no readings',
      );
  }
  if (badLines > 0) {
    const first = problems[0]!;
    const more = badLines - 1;
    const others = problems
      .slice(1)
      .map((q) => q.line)
      .join(', ');
    const message = `line ${first.line}: ${first.reason}${
      more > 0
        ? ` (and ${more} more bad line${more === 1 ? '' : 's'}: ${others}${more > problems.length - 1 ? ', ...' : ''})`
        : ''
    }; nothing was imported`;
    return { ok: false, problems, badLines, message };
  }
  return {
    ok: true,
    value: { timesMs: times.slice(0, count), powersW: powers.slice(0, count), skippedMissing },
  };
}
