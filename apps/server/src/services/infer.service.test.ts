// Proves /infer's window check: the model's exact length, powers in 0..MAX_POWER_W (the ingest
// limit, both ends allowed), and a refusal that names the first bad value and what to send.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors.js';
import { checkInferWindow } from './infer.service.js';
import { MAX_POWER_W } from './ingest.service.js';

const model = { window: 4, periodS: 60, card: { id: 'm', version: '1' } } as Parameters<
  typeof checkInferWindow
>[1];

function refusal(window: number[]): ApiError {
  try {
    checkInferWindow(window, model);
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('checkInferWindow', () => {
  it('takes a window of the model length with powers from 0 to MAX_POWER_W', () => {
    expect(() => checkInferWindow([0, 1.5, 2500, MAX_POWER_W], model)).not.toThrow();
  });

  it('refuses another length, naming the model and what it takes', () => {
    const e = refusal([1, 2, 3]);
    expect([e.code, e.message]).toEqual([
      'VALIDATION_WINDOW',
      'window has 3 values; model m@1 takes exactly 4 (one per 60 s)',
    ]);
  });

  it('refuses the first power outside 0..MAX_POWER_W or not finite', () => {
    expect(refusal([0, MAX_POWER_W + 0.5, -1, 0]).message).toBe(
      `window[1] = ${MAX_POWER_W + 0.5} is not a power in 0..${MAX_POWER_W} W`,
    );
    expect(refusal([0, 0, -1, 0]).code).toBe('VALIDATION_POWER');
    expect(refusal([0, 0, 0, Number.NaN]).message).toMatch(/^window\[3\] = NaN/);
  });
});
