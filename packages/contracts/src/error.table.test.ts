// Proves that docs/api.md's error tables are the ones the catalogue renders (run
// `npx tsx scripts/error-table.ts` to write them), and that the catalogue is sound: codes are
// unique, a cause answers with an answer code and its status, and the statuses mean what they say.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ERROR_CATALOGUE,
  errorEntry,
  errorStatus,
  isAnswerCode,
  isErrorCode,
} from './error.catalogue.js';
import { renderErrorTables, withErrorTables } from './error.table.js';

const API_MD = join(import.meta.dirname, '..', '..', '..', 'docs', 'api.md');

describe('docs/api.md error tables', () => {
  it('are the tables the catalogue renders', () => {
    const doc = readFileSync(API_MD, 'utf8');
    // On failure: run `npx tsx scripts/error-table.ts` and commit docs/api.md.
    expect(withErrorTables(doc)).toBe(doc);
  });

  it('list every code once', () => {
    const tables = renderErrorTables();
    for (const e of ERROR_CATALOGUE) {
      expect(tables.split(`\`${e.code}\``).length - 1, e.code).toBeGreaterThanOrEqual(1);
    }
  });

  it('refuses a document without the markers', () => {
    expect(() => withErrorTables('# API\n')).toThrow(/markers/);
  });
});

describe('error catalogue', () => {
  it('holds each code once', () => {
    const codes = ERROR_CATALOGUE.map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('answers a cause with an answer code and that code status', () => {
    for (const e of ERROR_CATALOGUE) {
      expect(isAnswerCode(e.answer), e.code).toBe(true);
      expect(e.status, e.code).toBe(errorStatus(e.answer));
      expect(e.detail === undefined, e.code).toBe(e.answer === e.code);
    }
  });

  it('never answers a client error with a 5xx, nor a server fault with a 4xx', () => {
    for (const e of ERROR_CATALOGUE.filter((x) => x.detail === undefined)) {
      if (e.retry === 'fix') expect(e.status, e.code).toBeLessThan(500);
      if (e.retry === 'no') expect(e.status, e.code).toBeGreaterThanOrEqual(500);
    }
  });

  it('gives the statuses the API has always sent', () => {
    expect(errorEntry('AUTH_EXPIRED')).toMatchObject({
      answer: 'AUTH_INVALID',
      status: 401,
      detail: 'auth_code',
    });
    expect(errorEntry('AUTH_HASH_INVALID')).toMatchObject({ answer: 'INTERNAL', status: 500 });
    expect(errorEntry('AUTH_KEYS_UNAVAILABLE')).toMatchObject({ answer: 'NOT_READY', status: 503 });
    expect(errorEntry('DATA_MALFORMED')).toMatchObject({
      answer: 'VALIDATION_FAILED',
      status: 422,
      detail: 'nilm_code',
    });
    expect(errorEntry('MODEL_NOT_FITTED')).toMatchObject({ answer: 'MODEL_FAILED', status: 500 });
    expect(errorEntry('MODEL_SPEC_INVALID')).toMatchObject({
      answer: 'MODEL_NOT_FOUND',
      status: 404,
    });
    expect(errorStatus('VALIDATION_JSON')).toBe(400);
    expect(errorStatus('PRICE_API_FAILED')).toBe(502);
  });

  it('tells a catalogued code from anything else', () => {
    expect(isErrorCode('AUTH_EXPIRED')).toBe(true);
    expect(isErrorCode('FST_ERR_CTP_BODY_TOO_LARGE')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
    expect(isAnswerCode('AUTH_EXPIRED')).toBe(false);
  });
});
