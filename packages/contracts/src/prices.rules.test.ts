// Proves the dynamic price CSV rules: slots from starts (15/30/60 minutes) or an end column,
// gaps kept as gaps, negative prices, and each bad file refused at its first bad line.
import { describe, expect, it } from 'vitest';
import { checkPriceCsv } from './prices.rules.js';

const T = Date.UTC(2026, 0, 1);
const MIN = 60_000;

describe('checkPriceCsv', () => {
  it('reads half hours in any order, with a BOM, CRLF and a gap kept as a gap', () => {
    const r = checkPriceCsv(
      '\uFEFFPrice_per_kWh,Start\r\n0.2,2026-01-01T01:00:00Z\r\n-0.01,2026-01-01T00:00:00Z\r\n0.3,2026-01-01T00:30:00+00:00\r\n\r\n0.25,2026-01-01T02:30:00Z\r\n',
    );
    expect(r).toEqual({
      ok: true,
      slotMinutes: 30,
      slots: [
        { startMs: T, endMs: T + 30 * MIN, pricePerKwh: -0.01 },
        { startMs: T + 30 * MIN, endMs: T + 60 * MIN, pricePerKwh: 0.3 },
        { startMs: T + 60 * MIN, endMs: T + 90 * MIN, pricePerKwh: 0.2 },
        { startMs: T + 150 * MIN, endMs: T + 180 * MIN, pricePerKwh: 0.25 },
      ],
    });
  });
  it('takes slot ends from an end column (hourly prices, epoch seconds)', () => {
    const r = checkPriceCsv(`start,end,price_per_kwh\n${T / 1000},${T / 1000 + 3600},0.2`);
    expect(r).toEqual({
      ok: true,
      slotMinutes: 60,
      slots: [{ startMs: T, endMs: T + 60 * MIN, pricePerKwh: 0.2 }],
    });
  });
  it.each([
    ['start,price_per_kwh\n2026-01-01T00:00:00Z,0.2', 2, /one row cannot say how long/],
    ['start,price_per_kwh\n2026-01-01T00:00:00Z,0.2,9', 2, /has 3 cells where the header has 2/],
    [
      'start,end,price_per_kwh\n2026-01-01T01:00:00Z,2026-01-01T00:00:00Z,0.2',
      2,
      /not after start/,
    ],
    [
      'start,price_per_kwh\n2026-01-01T00:00:00Z,-11\n2026-01-01T00:30:00Z,0.2',
      2,
      /between -10 and 100/,
    ],
    ['start,price_per_kwh', 2, /no prices/],
  ])('refuses %j at line %i', (text, line, reason) => {
    const r = checkPriceCsv(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.line).toBe(line);
    expect(r.message).toMatch(reason);
    expect(r.message).toMatch(new RegExp(`^line ${line}: `));
  });
});
