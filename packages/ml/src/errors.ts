/**
 * The codes the ML package throws. Their meaning, HTTP status and retry meaning are in the one
 * error catalogue (`@nilm/contracts` error.catalogue.ts, the `ml` causes and `CONFIG_INVALID`);
 * apps/server/src/errors.test.ts proves each code is there. Every error a user can cause says
 * what was wrong and what to do, and (for data errors) names the file and line.
 */
export type ErrorCode =
  | 'DATA_NOT_FOUND'
  | 'DATA_EMPTY'
  | 'DATA_MALFORMED'
  | 'DATA_MISSING_COLUMN'
  | 'DATA_TIME_ORDER'
  | 'DATA_NOT_FINITE'
  | 'DATA_UNSUPPORTED'
  | 'DATA_MISMATCH'
  | 'APPLIANCE_UNKNOWN'
  | 'MODEL_SPEC_INVALID'
  | 'MODEL_FILE_INVALID'
  | 'MODEL_NOT_FITTED'
  | 'CONFIG_INVALID';

/** Where in the input an error was found. */
export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: string;
}

/** Base error of the package: a stable code, a message that says what to do, and details. */
export class NilmError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'NilmError';
    this.code = code;
    this.details = details;
  }
}

/** An error in input data; the message starts with `file:line` when those are known. */
export class DataError extends NilmError {
  readonly location: ErrorLocation;

  constructor(code: ErrorCode, message: string, location: ErrorLocation = {}) {
    const where = location.file
      ? `${location.file}${location.line !== undefined ? `:${location.line}` : ''}: `
      : '';
    super(code, `${where}${message}`, { ...location });
    this.name = 'DataError';
    this.location = location;
  }
}
