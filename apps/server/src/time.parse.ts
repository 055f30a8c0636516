/** Times in requests: ISO-8601, epoch milliseconds, or relative to now (`now`, `-24h`, `-7d`). */
import { MAX_TS_MS } from '@nilm/stores';
import { ApiError } from './errors.js';

/** The largest epoch ms a JavaScript Date holds (ECMA-262 §21.4.1.22, TimeClip). */
const MAX_DATE_MS = 8.64e15;

const RELATIVE = /^-?(\d+)(s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Epoch ms for a query time; `field` names the parameter in the error. */
export function parseQueryTime(value: string, field: string, nowMs: number): number {
  const t = queryTime(value.trim(), nowMs);
  // Within a Date's range, so every time answered can be formatted (`-999999999w` cannot).
  if (Math.abs(t) <= MAX_DATE_MS) return t;
  throw new ApiError(
    'VALIDATION_TIME',
    `${field}="${value}" is not a time; use ISO-8601 (2024-05-01T12:00:00Z), epoch milliseconds, or a relative time like -24h, -7d or now`,
    { field, value },
  );
}

/** Epoch ms for a trimmed query time; NaN when it is none. */
function queryTime(v: string, nowMs: number): number {
  if (v === 'now' || v === 'now()') return nowMs;
  const rel = RELATIVE.exec(v);
  if (rel) return nowMs - Number(rel[1]) * UNIT_MS[rel[2]!]!;
  if (/^\d{10,13}$/.test(v)) return Number(v);
  if (!ISO.test(v)) return NaN;
  // A date or date-time without a zone is read as UTC, like every stored time.
  const withZone = /T.*(Z|[+-]\d{2}:?\d{2})$/.test(v)
    ? v
    : v.includes('T')
      ? `${v}Z`
      : `${v}T00:00:00Z`;
  return Date.parse(withZone);
}

/**
 * Epoch ms of an ingest timestamp (ISO-8601 with zone, or epoch ms); NaN when it is none, or when
 * no store could hold it: after April 2262 (`MAX_TS_MS`) or before what a Date can represent. A
 * value that is returned can always be formatted (`new Date(ts).toISOString()`) in an error
 * message; earlier times that are valid Dates come back as they are, for the caller's range check.
 */
export function parseReadingTime(ts: string | number): number {
  let ms: number;
  if (typeof ts === 'number') ms = Number.isInteger(ts) ? ts : NaN;
  else if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/.test(ts))
    ms = NaN;
  else ms = Date.parse(ts);
  return ms >= -MAX_DATE_MS && ms <= MAX_TS_MS ? ms : NaN;
}
