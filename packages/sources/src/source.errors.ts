/**
 * The codes of the sources package: every way a setting or a payload can be wrong. Their meaning,
 * HTTP status and retry meaning are in the one error catalogue (`@nilm/contracts`
 * error.catalogue.ts, the `sources` causes); apps/server/src/errors.test.ts proves each code is
 * there. Parsers never throw: they return an {@link Outcome} whose failure carries a
 * {@link SourceError}, so a bad payload from a device is a value the caller records in the
 * source's status, never an exception that escapes.
 *
 * Retry meaning: a bad setting is the owner's to fix (422); a bad payload is the device's and the
 * next message may be fine, so the source stays connected.
 */
export type SourceErrorCode =
  | 'SOURCE_TYPE_UNKNOWN'
  | 'SOURCE_SETTING_INVALID'
  | 'SOURCE_PAYLOAD_UNPARSEABLE'
  | 'SOURCE_POWER_OUT_OF_RANGE'
  | 'SOURCE_PHASE_MISMATCH'
  | 'SOURCE_LINE_PROTOCOL_INVALID';

/** Where and why, beyond the message: the setting named, the line number, the values seen. */
export interface SourceErrorDetails {
  /** The setting that is wrong (SOURCE_SETTING_INVALID). */
  setting?: string;
  /** 1-based line number in a multi-line body (line protocol). */
  line?: number;
  /** The payload field or topic part the problem was found in. */
  field?: string;
  [key: string]: unknown;
}

/** A coded error: what was wrong (message) and where (details). A plain value, never thrown. */
export class SourceError extends Error {
  readonly code: SourceErrorCode;
  readonly details: SourceErrorDetails;

  constructor(code: SourceErrorCode, message: string, details: SourceErrorDetails = {}) {
    super(message);
    this.name = 'SourceError';
    this.code = code;
    this.details = details;
  }

  /** The setting this error names, for SOURCE_SETTING_INVALID (the API answers 422 naming it). */
  get setting(): string | undefined {
    return this.details.setting;
  }

  /** A JSON-safe form for a source's status and for API error bodies. */
  toJSON(): { code: SourceErrorCode; message: string; details: SourceErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** The result of every parser and validator in this package: a value or a coded error. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: SourceError };

/** A successful outcome. */
export function ok<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

/** A failed outcome with a new coded error. */
export function fail<T = never>(
  code: SourceErrorCode,
  message: string,
  details: SourceErrorDetails = {},
): Outcome<T> {
  return { ok: false, error: new SourceError(code, message, details) };
}

/** A SOURCE_PAYLOAD_UNPARSEABLE outcome with the reason. */
export function unparseable<T = never>(
  reason: string,
  details: SourceErrorDetails = {},
): Outcome<T> {
  return fail('SOURCE_PAYLOAD_UNPARSEABLE', reason, details);
}
