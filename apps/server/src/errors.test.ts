// Proves that every coded error the server can meet carries a code of the one error catalogue,
// and that the one mapping (answerOf) answers each as the catalogue says: a client error never
// with a 5xx (an auth setting that is broken is a 500 INTERNAL, never AUTH_INVALID), an ML
// program error with 500 and an ML input error with 422, a 5xx without the thrown message.
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  isErrorCode,
  MqttInputError,
  type MlErrorCode,
  type SourceErrorCode as CataloguedSourceCode,
} from '@nilm/contracts';
import { DataError, NilmError, type ErrorCode as MlCode } from '@nilm/ml';
import { QueueClosedError, QueueUnavailableError, UnrecoverableJobError } from '@nilm/queue';
import { SourceError, type SourceErrorCode } from '@nilm/sources';
import { ConflictError, LastOwnerError, StoreUnavailableError } from '@nilm/stores';
import { DeliveryError } from './alerts/alert.channels.js';
import { AuthError } from './auth/index.js';
import { ConfigError } from './config.js';
import { answerOf, ApiError } from './errors.js';
import { PriceProviderError } from './prices/octopus.provider.js';
import { StartError } from './storage.health.js';

const ML_CODES: readonly MlCode[] = [
  'DATA_NOT_FOUND',
  'DATA_EMPTY',
  'DATA_MALFORMED',
  'DATA_MISSING_COLUMN',
  'DATA_TIME_ORDER',
  'DATA_NOT_FINITE',
  'DATA_UNSUPPORTED',
  'DATA_MISMATCH',
  'APPLIANCE_UNKNOWN',
  'MODEL_SPEC_INVALID',
  'MODEL_FILE_INVALID',
  'MODEL_NOT_FITTED',
  'CONFIG_INVALID',
];
const SOURCE_CODES: readonly SourceErrorCode[] = [
  'SOURCE_TYPE_UNKNOWN',
  'SOURCE_SETTING_INVALID',
  'SOURCE_PAYLOAD_UNPARSEABLE',
  'SOURCE_POWER_OUT_OF_RANGE',
  'SOURCE_PHASE_MISMATCH',
  'SOURCE_LINE_PROTOCOL_INVALID',
];

describe('every coded error carries a catalogue code', () => {
  it('in the types: the ML package throws exactly its catalogued codes, the sources package catalogued ones', () => {
    expectTypeOf<MlCode>().toEqualTypeOf<MlErrorCode>();
    expectTypeOf<SourceErrorCode>().toExtend<CataloguedSourceCode>();
  });

  it('in every package and in the server', () => {
    const thrown: Array<{ code: unknown }> = [
      ...ML_CODES.map((c) => new NilmError(c, 'x')),
      ...SOURCE_CODES.map((c) => new SourceError(c, 'x')),
      new MqttInputError('MQTT_TOPIC', 'x'),
      new MqttInputError('MQTT_PAYLOAD', 'x'),
      new MqttInputError('MQTT_TOPIC_PATTERN', 'x'),
      new StoreUnavailableError('postgres', 'x'),
      new ConflictError('x'),
      new LastOwnerError('b', 'u'),
      new QueueClosedError('memory'),
      new QueueUnavailableError('x'),
      new UnrecoverableJobError('x'),
      new ConfigError('x'),
      new StartError('DISK_FULL', 'x'),
      new StartError('START_FAILED', 'x'),
      new PriceProviderError('x'),
      new DeliveryError('x'),
      new AuthError('AUTH_EXPIRED', 'x'),
      new ApiError('CONFLICT', 'x'),
    ];
    for (const e of thrown) expect(isErrorCode(e.code), String(e.code)).toBe(true);
  });
});

describe('answerOf', () => {
  it('answers an expired token 401 AUTH_INVALID naming the cause', () => {
    expect(answerOf(new AuthError('AUTH_EXPIRED', 'the token expired at 12:00'))).toEqual({
      status: 401,
      code: 'AUTH_INVALID',
      message: 'the token expired at 12:00',
      details: { auth_code: 'AUTH_EXPIRED' },
      fault: false,
    });
  });

  it('answers a broken auth setting 500 INTERNAL, never AUTH_INVALID', () => {
    const a = answerOf(new AuthError('AUTH_HASH_INVALID', 'hash of alice@example.com: bad salt'));
    expect(a).toMatchObject({ status: 500, code: 'INTERNAL', fault: true });
    expect(a?.message).not.toMatch(/alice/);
    expect(a?.details).toEqual({ auth_code: 'AUTH_HASH_INVALID' });
  });

  it('answers unreachable identity-provider keys 503 NOT_READY without the URL', () => {
    const a = answerOf(
      new AuthError(
        'AUTH_KEYS_UNAVAILABLE',
        'The signing keys could not be fetched from https://idp.internal:8443/jwks (ECONNREFUSED).',
      ),
    );
    expect(a).toMatchObject({ status: 503, code: 'NOT_READY', retryAfterS: 5, fault: false });
    expect(JSON.stringify(a)).not.toMatch(/idp\.internal|8443|ECONNREFUSED|https?:/);
  });

  it('answers ML input errors 422 and ML program errors 500', () => {
    expect(
      answerOf(new DataError('DATA_MALFORMED', 'bad value', { file: 'a.csv', line: 3 })),
    ).toEqual({
      status: 422,
      code: 'VALIDATION_FAILED',
      message: 'a.csv:3: bad value',
      details: { nilm_code: 'DATA_MALFORMED', file: 'a.csv', line: 3 },
      fault: false,
    });
    expect(answerOf(new NilmError('MODEL_NOT_FITTED', 'not fitted'))).toMatchObject({
      status: 500,
      code: 'MODEL_FAILED',
      details: { nilm_code: 'MODEL_NOT_FITTED' },
      fault: true,
    });
    expect(answerOf(new NilmError('CONFIG_INVALID', 'stride must be > 0'))).toMatchObject({
      status: 500,
      code: 'INTERNAL',
    });
    expect(answerOf(new NilmError('MODEL_SPEC_INVALID', 'no model x'))).toMatchObject({
      status: 404,
      code: 'MODEL_NOT_FOUND',
      message: 'no model x',
    });
  });

  it('keeps an ApiError as thrown, with Retry-After for a 503', () => {
    expect(answerOf(new ApiError('VALIDATION_POWER', 'too much', { index: 3 }))).toEqual({
      status: 422,
      code: 'VALIDATION_POWER',
      message: 'too much',
      details: { index: 3 },
      fault: false,
    });
    expect(answerOf(new ApiError('NOT_READY', 'starting'))).toMatchObject({ retryAfterS: 5 });
  });

  it('answers a queue outage 503 with the catalogue message, not the Redis address', () => {
    const a = answerOf(new QueueUnavailableError('redis 10.0.0.5:6379 did not answer'));
    expect(a).toMatchObject({ status: 503, code: 'QUEUE_UNAVAILABLE', retryAfterS: 5 });
    expect(a?.message).not.toMatch(/10\.0\.0\.5/);
  });

  it('leaves errors without a catalogue code to the caller', () => {
    expect(answerOf(new Error('boom'))).toBeUndefined();
    expect(answerOf(Object.assign(new Error('x'), { code: 'ENOSPC' }))).toBeUndefined();
    expect(answerOf({ code: 'CONFLICT' })).toBeUndefined();
  });
});
