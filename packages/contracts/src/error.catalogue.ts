/**
 * The one error catalogue, as Fastify keeps its `FST_ERR_*`: every coded error anywhere in the
 * project (server, auth, ML, sources, MQTT, stores, queue, configuration) carries one of these
 * codes, and the web app reads the same codes. Codes are stable: never renamed, never reused.
 *
 * Two kinds of entry:
 * - an **answer** is a code the HTTP API sends as `error.code`, with its status;
 * - a **cause** is a more precise code a layer below the API throws (a token's `AUTH_EXPIRED`, a
 *   data file's `DATA_MALFORMED`); the API answers with the cause's `answer` code and status and
 *   names the cause in `error.details[detail]` (`auth_code`, `nilm_code`, ...).
 *
 * `retry` is the retry meaning, for clients, the CLI and the job queue alike (BullMQ's rule: bad
 * input is unrecoverable, a transient fault is retried):
 * - `fix`: the same request fails again; change the input, the credentials or the role first;
 * - `later`: a transient fault; send it again after a wait (`Retry-After` when the answer has one);
 * - `no`: a fault of the server, its setup or its program; retrying cannot help until the
 *   operator acts (the server logs the error).
 *
 * docs/api.md's error tables are rendered from this module (error.table.ts; a test fails when they
 * differ).
 */

/** What retrying means for an error; see the file comment. */
export type RetryMeaning = 'fix' | 'later' | 'no';

/** An HTTP status the API answers with for a catalogued code. */
export type ErrorStatus =
  400 | 401 | 403 | 404 | 408 | 409 | 413 | 415 | 422 | 429 | 431 | 500 | 502 | 503;

interface AnswerSpec {
  status: ErrorStatus;
  retry: RetryMeaning;
  /** The default message: what went wrong and what to do. A thrown error's own message says more. */
  message: string;
}

/** The codes the HTTP API answers with (`error.code`). */
const ANSWERS = {
  VALIDATION_JSON: {
    status: 400,
    retry: 'fix',
    message: 'the body is not valid JSON; send a JSON document',
  },
  BAD_REQUEST: {
    status: 400,
    retry: 'fix',
    message: 'the request is not HTTP/1.1 that the server can read',
  },
  AUTH_REQUIRED: {
    status: 401,
    retry: 'fix',
    message: 'sign in first: send Authorization: Bearer <token>',
  },
  AUTH_INVALID: {
    status: 401,
    retry: 'fix',
    message: 'the credentials could not be verified (details.auth_code says why); sign in again',
  },
  AUTH_BAD_CREDENTIALS: {
    status: 401,
    retry: 'fix',
    message: 'the e-mail or password is wrong',
  },
  AUTHZ_FORBIDDEN: {
    status: 403,
    retry: 'fix',
    message: 'you can see the building, but your role does not allow this',
  },
  NOT_FOUND: { status: 404, retry: 'fix', message: 'no such route or resource' },
  BUILDING_NOT_FOUND: {
    status: 404,
    retry: 'fix',
    message: 'no such building (also answered for a building you have no access to)',
  },
  MODEL_NOT_FOUND: {
    status: 404,
    retry: 'fix',
    message: 'no such model in the registry; list the models with GET /api/v1/models',
  },
  REQUEST_TIMEOUT: {
    status: 408,
    retry: 'later',
    message: 'the request did not arrive in time; send it again',
  },
  CONFLICT: {
    status: 409,
    retry: 'fix',
    message: 'this conflicts with what is stored (a name or id already taken, a last owner)',
  },
  BODY_TOO_LARGE: {
    status: 413,
    retry: 'fix',
    message: 'the body is larger than the server accepts; send smaller batches',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    retry: 'fix',
    message: 'the body has the wrong media type; send Content-Type: application/json',
  },
  VALIDATION_FAILED: {
    status: 422,
    retry: 'fix',
    message: 'the request is not valid; the message names the field',
  },
  VALIDATION_TIME: {
    status: 422,
    retry: 'fix',
    message: 'a time is not ISO-8601, epoch milliseconds or relative (now, -24h, -7d)',
  },
  VALIDATION_POWER: {
    status: 422,
    retry: 'fix',
    message: 'a power value is out of range; send import power in watts',
  },
  VALIDATION_PHASES: {
    status: 422,
    retry: 'fix',
    message: "a reading's phases_w is out of range or does not add up to its power_w",
  },
  VALIDATION_WINDOW: {
    status: 422,
    retry: 'fix',
    message: 'the time window is empty, reversed or longer than allowed',
  },
  RATE_LIMITED: {
    status: 429,
    retry: 'later',
    message:
      'too many requests (per user, per device token, else per address); wait for Retry-After',
  },
  AUTH_FAILURES_LIMITED: {
    status: 429,
    retry: 'later',
    message:
      'too many failed authentications from your address; refused before any token is checked',
  },
  LOGIN_BACKOFF: {
    status: 429,
    retry: 'later',
    message: 'too many wrong passwords in a row for this account; wait, then try again',
  },
  STREAM_LIMIT: {
    status: 429,
    retry: 'later',
    message: 'too many open live streams (for you, or on this server); close one first',
  },
  HEADERS_TOO_LARGE: {
    status: 431,
    retry: 'fix',
    message: 'the request headers are too large; send fewer or shorter headers',
  },
  INTERNAL: {
    status: 500,
    retry: 'no',
    message: 'an internal error occurred; it has been logged',
  },
  MODEL_FAILED: {
    status: 500,
    retry: 'no',
    message:
      'the model could not run (a saved model file is broken, or a program error); it has been logged',
  },
  PRICE_API_FAILED: {
    status: 502,
    retry: 'later',
    message:
      'the price API failed (unreachable, too slow, an error status, an answer that is not rates)',
  },
  STORE_UNAVAILABLE: {
    status: 503,
    retry: 'later',
    message: 'a store is unavailable (details.store names it); retry later',
  },
  QUEUE_UNAVAILABLE: {
    status: 503,
    retry: 'later',
    message: 'the job queue is unavailable; retry later',
  },
  NOT_READY: {
    status: 503,
    retry: 'later',
    message:
      'the server is not ready (starting, or its identity provider is unreachable); retry shortly',
  },
} as const satisfies Record<string, AnswerSpec>;

/** A code the HTTP API answers with. */
export type AnswerCode = keyof typeof ANSWERS;

interface CauseSpec {
  /** The code the API answers with when this cause reaches a response. */
  answer: AnswerCode;
  retry: RetryMeaning;
  message: string;
}

/** The details key that names a cause of each group in an error answer. */
const CAUSE_DETAIL = {
  auth: 'auth_code',
  ml: 'nilm_code',
  sources: 'source_code',
  mqtt: 'mqtt_code',
  system: 'cause_code',
} as const;

/** Causes, by the layer that throws them. */
const CAUSES = {
  auth: {
    AUTH_MISSING: {
      answer: 'AUTH_REQUIRED',
      retry: 'fix',
      message: 'no Authorization header was sent',
    },
    AUTH_MALFORMED: {
      answer: 'AUTH_INVALID',
      retry: 'fix',
      message: 'the header is not exactly `Bearer <token>` or the token is not a JWT',
    },
    AUTH_ALG_NOT_ALLOWED: {
      answer: 'AUTH_INVALID',
      retry: 'fix',
      message: 'the token is signed with an algorithm this server does not accept for it',
    },
    AUTH_UNKNOWN_KEY: {
      answer: 'AUTH_INVALID',
      retry: 'fix',
      message: 'no trusted key matches the token `kid`',
    },
    AUTH_INVALID_SIGNATURE: {
      answer: 'AUTH_INVALID',
      retry: 'fix',
      message: 'the token signature does not verify',
    },
    AUTH_EXPIRED: {
      answer: 'AUTH_INVALID',
      retry: 'fix',
      message: 'the token `exp` is in the past; sign in again',
    },
    AUTH_NOT_YET_VALID: {
      answer: 'AUTH_INVALID',
      retry: 'fix',
      message: 'the token `nbf` or `iat` is in the future beyond the clock tolerance',
    },
    AUTH_WRONG_ISSUER: {
      answer: 'AUTH_INVALID',
      retry: 'fix',
      message: 'the token `iss` is not the configured issuer',
    },
    AUTH_WRONG_AUDIENCE: {
      answer: 'AUTH_INVALID',
      retry: 'fix',
      message: 'the token `aud` does not include the configured audience',
    },
    AUTH_CLAIM_INVALID: {
      answer: 'AUTH_INVALID',
      retry: 'fix',
      message: 'a required claim (`sub`, `exp`) is missing or a time claim is not a number',
    },
    AUTH_KEYS_UNAVAILABLE: {
      answer: 'NOT_READY',
      retry: 'later',
      message: "the identity provider's signing keys could not be fetched and are not cached",
    },
    AUTH_NOT_CONFIGURED: {
      answer: 'NOT_READY',
      retry: 'no',
      message: 'no token verification source is configured; every token is refused',
    },
    AUTH_CONFIG_INVALID: {
      answer: 'INTERNAL',
      retry: 'no',
      message: 'an auth setting is invalid',
    },
    AUTH_LOCAL_KEY_INVALID: {
      answer: 'INTERNAL',
      retry: 'no',
      message: 'the local signing key file is unreadable, malformed or not private (0600)',
    },
    AUTH_HASH_INVALID: {
      answer: 'INTERNAL',
      retry: 'no',
      message: 'a stored password hash is malformed',
    },
  },
  ml: {
    DATA_NOT_FOUND: {
      answer: 'VALIDATION_FAILED',
      retry: 'fix',
      message: 'no file matches the given path or glob',
    },
    DATA_EMPTY: {
      answer: 'VALIDATION_FAILED',
      retry: 'fix',
      message: 'the file holds no data rows',
    },
    DATA_MALFORMED: {
      answer: 'VALIDATION_FAILED',
      retry: 'fix',
      message: 'a line or value could not be parsed',
    },
    DATA_MISSING_COLUMN: {
      answer: 'VALIDATION_FAILED',
      retry: 'fix',
      message: 'a required column is absent',
    },
    DATA_TIME_ORDER: {
      answer: 'VALIDATION_FAILED',
      retry: 'fix',
      message: 'timestamps go backwards or repeat',
    },
    DATA_NOT_FINITE: {
      answer: 'VALIDATION_FAILED',
      retry: 'fix',
      message: 'a value is NaN or infinite',
    },
    DATA_UNSUPPORTED: {
      answer: 'VALIDATION_FAILED',
      retry: 'fix',
      message: 'the file format or encoding is not supported',
    },
    DATA_MISMATCH: {
      answer: 'VALIDATION_FAILED',
      retry: 'fix',
      message: 'files or channels that must agree do not',
    },
    APPLIANCE_UNKNOWN: {
      answer: 'VALIDATION_FAILED',
      retry: 'fix',
      message: 'an appliance name is not known to the model',
    },
    MODEL_SPEC_INVALID: {
      answer: 'MODEL_NOT_FOUND',
      retry: 'fix',
      message: 'a model specification could not be resolved',
    },
    MODEL_FILE_INVALID: {
      answer: 'MODEL_FAILED',
      retry: 'no',
      message: 'a saved model file is missing or malformed',
    },
    MODEL_NOT_FITTED: {
      answer: 'MODEL_FAILED',
      retry: 'no',
      message: 'a model was used before it was trained or loaded (a program error)',
    },
  },
  sources: {
    SOURCE_TYPE_UNKNOWN: {
      answer: 'VALIDATION_FAILED',
      retry: 'fix',
      message: 'the source type is not one this version knows',
    },
    SOURCE_SETTING_INVALID: {
      answer: 'VALIDATION_FAILED',
      retry: 'fix',
      message: 'a setting is missing or not valid for this source type (details.setting names it)',
    },
    SOURCE_PAYLOAD_UNPARSEABLE: {
      answer: 'VALIDATION_FAILED',
      retry: 'fix',
      message: "the payload is not in the device's documented format",
    },
    SOURCE_POWER_OUT_OF_RANGE: {
      answer: 'VALIDATION_FAILED',
      retry: 'fix',
      message: 'a power value lies outside -100 kW..100 kW',
    },
    SOURCE_PHASE_MISMATCH: {
      answer: 'VALIDATION_FAILED',
      retry: 'fix',
      message: 'the per-phase powers do not add up to the total',
    },
    SOURCE_LINE_PROTOCOL_INVALID: {
      answer: 'VALIDATION_FAILED',
      retry: 'fix',
      message: 'a line of InfluxDB line protocol could not be parsed',
    },
    SOURCE_CONSUMPTION_UNKNOWN: {
      answer: 'VALIDATION_FAILED',
      retry: 'fix',
      message: 'no reading held the power the source is set to take',
    },
    SOURCE_SECRET_UNREADABLE: {
      answer: 'INTERNAL',
      retry: 'no',
      message: "a stored secret cannot be read with this server's key; enter it again",
    },
    SOURCE_AUTH_REFUSED: {
      answer: 'VALIDATION_FAILED',
      retry: 'fix',
      message: 'the device or service refused the credentials; enter them again',
    },
    SOURCE_SUBSCRIBE_REFUSED: {
      answer: 'VALIDATION_FAILED',
      retry: 'fix',
      message: 'the device or service refused the subscription; check the entity or topic',
    },
    SOURCE_UNREACHABLE: {
      answer: 'INTERNAL',
      retry: 'later',
      message: 'the device or service cannot be reached; the server keeps trying',
    },
  },
  mqtt: {
    MQTT_TOPIC_PATTERN: {
      answer: 'VALIDATION_FAILED',
      retry: 'fix',
      message: 'an MQTT topic pattern cannot be used',
    },
    MQTT_TOPIC: {
      answer: 'VALIDATION_FAILED',
      retry: 'fix',
      message: 'a message arrived on a topic that names no building',
    },
    MQTT_PAYLOAD: {
      answer: 'VALIDATION_FAILED',
      retry: 'fix',
      message: 'an MQTT payload is not a reading',
    },
  },
  system: {
    CONFIG_INVALID: {
      answer: 'INTERNAL',
      retry: 'no',
      message: 'a configuration value or option is invalid; the message names it',
    },
    STORE_CONFLICT_LAST_OWNER: {
      answer: 'CONFLICT',
      retry: 'fix',
      message: 'the change would leave a building without an owner; make someone else owner first',
    },
    QUEUE_CLOSED: {
      answer: 'QUEUE_UNAVAILABLE',
      retry: 'later',
      message: 'the job queue is shutting down and takes no new jobs',
    },
    JOB_UNRECOVERABLE: {
      answer: 'INTERNAL',
      retry: 'fix',
      message: "a job's input can never succeed: it fails without retry",
    },
    DISK_FULL: {
      answer: 'STORE_UNAVAILABLE',
      retry: 'no',
      message: "the server's disk is full; the operator must free space",
    },
    START_FAILED: {
      answer: 'INTERNAL',
      retry: 'no',
      message: 'the server could not start; the message says why',
    },
    ALERT_DELIVERY_FAILED: {
      answer: 'INTERNAL',
      retry: 'later',
      message: 'an alert could not be delivered on a channel',
    },
  },
} as const satisfies Record<keyof typeof CAUSE_DETAIL, Record<string, CauseSpec>>;

type CauseGroup = keyof typeof CAUSES;

/** Codes the auth layer throws (`AuthError`). */
export type AuthErrorCode = keyof typeof CAUSES.auth;
/** Codes the ML package throws (`NilmError`, `DataError`). */
export type MlErrorCode = keyof typeof CAUSES.ml | 'CONFIG_INVALID';
/** Codes of the sources package's parsers and of a source's status. */
export type SourceErrorCode = keyof typeof CAUSES.sources;
/** Codes of the MQTT topic and payload rules. */
export type MqttErrorCode = keyof typeof CAUSES.mqtt;
/** A cause code: thrown below the API, answered with its `answer` code. */
export type CauseCode = { [G in CauseGroup]: keyof (typeof CAUSES)[G] }[CauseGroup];
/** Every code in the catalogue. */
export type ErrorCode = AnswerCode | CauseCode;

/** One catalogue entry, resolved: the status and answer code are a cause's answer's. */
export interface ErrorEntry {
  code: ErrorCode;
  /** The code the API answers with: the code itself for an answer, else the cause's answer. */
  answer: AnswerCode;
  status: ErrorStatus;
  retry: RetryMeaning;
  message: string;
  /** For a cause: the `error.details` key that names it (`auth_code`, `nilm_code`, ...). */
  detail?: (typeof CAUSE_DETAIL)[CauseGroup];
}

function resolve(): ReadonlyMap<string, ErrorEntry> {
  const out = new Map<string, ErrorEntry>();
  for (const [code, a] of Object.entries(ANSWERS) as Array<[AnswerCode, AnswerSpec]>)
    out.set(code, { code, answer: code, status: a.status, retry: a.retry, message: a.message });
  for (const group of Object.keys(CAUSES) as CauseGroup[]) {
    for (const [code, c] of Object.entries(CAUSES[group]) as Array<[CauseCode, CauseSpec]>) {
      // A code in two places would be two meanings for one code: refuse at load.
      if (out.has(code)) throw new Error(`error code ${code} is catalogued twice`);
      out.set(code, {
        code,
        answer: c.answer,
        status: ANSWERS[c.answer].status,
        retry: c.retry,
        message: c.message,
        detail: CAUSE_DETAIL[group],
      });
    }
  }
  return out;
}

const ENTRIES = resolve();

/** Every catalogue entry: answers first (by status), then causes by layer. */
export const ERROR_CATALOGUE: readonly ErrorEntry[] = [...ENTRIES.values()];

/** True when `code` is a catalogued code. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && ENTRIES.has(code);
}

/** True when `code` is one the API answers with. */
export function isAnswerCode(code: unknown): code is AnswerCode {
  return typeof code === 'string' && Object.hasOwn(ANSWERS, code);
}

/** The catalogue entry of a code. */
export function errorEntry(code: ErrorCode): ErrorEntry {
  return ENTRIES.get(code)!;
}

/** The HTTP status the API answers with for `code`. */
export function errorStatus(code: ErrorCode): ErrorStatus {
  return errorEntry(code).status;
}
