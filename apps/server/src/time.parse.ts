/** Times in requests: ISO-8601, epoch milliseconds, or relative to now (`now`, `-24h`, `-7d`). */
import { ApiError } from './errors.js';

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
  const v = value.trim();
  if (v === 'now' || v === 'now()') return nowMs;
  const rel = RELATIVE.exec(v);
  if (rel) return nowMs - Number(rel[1]) * UNIT_MS[rel[2]!]!;
  if (/^\d{10,13}$/.test(v)) return Number(v);
  if (ISO.test(v)) {
    // A date or date-time without a zone is read as UTC, like every stored time.
    const withZone = /T.*(Z|[+-]\d{2}:?\d{2})$/.test(v)
      ? v
      : v.includes('T')
        ? `${v}Z`
        : `${v}T00:00:00Z`;
    const t = Date.parse(withZone);
    if (Number.isFinite(t)) return t;
  }
  throw new ApiError(
    'VALIDATION_TIME',
    `${field}="${value}" is not a time; use ISO-8601 (2024-05-01T12:00:00Z), epoch milliseconds, or a relative time like -24h, -7d or now`,
    { field, value },
  );
}

/** Epoch ms of an ingest timestamp (ISO-8601 with zone, or epoch ms); NaN when invalid. */
export function parseReadingTime(ts: string | number): number {
  if (typeof ts === 'number') return Number.isFinite(ts) && Number.isInteger(ts) ? ts : NaN;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/.test(ts))
    return NaN;
  return Date.parse(ts);
}
