/**
 * The ML package's error catalogue. Every error a user can cause carries a stable code, says
 * what was wrong and what to do, and (for data errors) names the file and line. Codes are never
 * reused; the server maps them to HTTP statuses.
 */
export const ERROR_CODES = {
  DATA_NOT_FOUND: 'no file matches the given path or glob',
  DATA_EMPTY: 'the file holds no data rows',
  DATA_MALFORMED: 'a line or value could not be parsed',
  DATA_MISSING_COLUMN: 'a required column is absent',
  DATA_TIME_ORDER: 'timestamps go backwards or repeat',
  DATA_NOT_FINITE: 'a value is NaN or infinite',
  DATA_UNSUPPORTED: 'the file format or encoding is not supported',
  DATA_MISMATCH: 'files or channels that must agree do not',
  APPLIANCE_UNKNOWN: 'an appliance name is not known',
  MODEL_SPEC_INVALID: 'a model specification could not be resolved',
  MODEL_FILE_INVALID: 'a saved model file is missing or malformed',
  MODEL_NOT_FITTED: 'a model was used before it was trained or loaded',
  CONFIG_INVALID: 'a configuration value is invalid',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

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
