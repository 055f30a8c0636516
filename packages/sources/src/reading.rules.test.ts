// Proves the reading rules: the -100 kW..100 kW range, the sign convention (net = import -
// export), phases summed or checked against the total within the tolerance, kW to W, number and
// time parsing, JSON pointers and payload decoding; several as plain-loop properties.
import { describe, expect, it } from 'vitest';
import { jsonPointerProblem, resolveJsonPointer } from './json.pointer.js';
import { payloadJson, payloadNumber, payloadText } from './payload.rules.js';
import { ReadingAssembler } from './reading.assembler.js';
import { epochMsFromIso, numberFrom, toReading, toWatts } from './reading.rules.js';

/** A small deterministic generator (mulberry32), so the property loops are reproducible. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('toReading', () => {
  it('accepts -100 kW and 100 kW and refuses a watt beyond, naming the part', () => {
    expect(toReading({ parts: [{ quantity: 'net', watts: -100_000 }] })).toEqual({
      ok: true,
      value: { netW: -100_000 },
    });
    const out = toReading({ parts: [{ quantity: 'net', phase: 2, watts: 100_001 }] });
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.error.code).toBe('SOURCE_POWER_OUT_OF_RANGE');
    expect(out.error.message).toBe(
      'net L2 power 100001 W lies outside -100 kW..100 kW; check the unit (W or kW) setting',
    );
  });

  it('refuses a net power derived from phases that lies out of range', () => {
    const parts = [1, 2, 3].map((p) => ({
      quantity: 'net' as const,
      phase: p as 1 | 2 | 3,
      watts: 40_000,
    }));
    const out = toReading({ parts });
    expect(out.ok || out.error.message).toBe(
      'net power 120000 W lies outside -100 kW..100 kW; check the unit (W or kW) setting',
    );
  });

  it('refuses a non-finite value and an empty message', () => {
    const nan = toReading({ parts: [{ quantity: 'net', watts: Number.NaN }] });
    expect(nan.ok || nan.error.code).toBe('SOURCE_PAYLOAD_UNPARSEABLE');
    const empty = toReading({ parts: [], ignored: 'wifi status' });
    expect(empty.ok || empty.error.message).toBe('wifi status');
  });

  it('signs net as import - export: solar export is negative', () => {
    expect(
      toReading({
        parts: [
          { quantity: 'import', watts: 0 },
          { quantity: 'export', watts: 2140 },
        ],
      }),
    ).toEqual({
      ok: true,
      value: { importW: 0, exportW: 2140, netW: -2140 },
    });
  });

  it('accepts phases that add up within the tolerance and refuses those that do not (property)', () => {
    const next = random(42);
    for (let i = 0; i < 500; i++) {
      const phases = [0, 1, 2].map(() => Math.round((next() * 60_000 - 30_000) * 10) / 10);
      const sum = phases.reduce((a, b) => a + b, 0);
      const parts = phases.map((w, k) => ({
        quantity: 'net' as const,
        phase: (k + 1) as 1 | 2 | 3,
        watts: w,
      }));
      const exact = toReading({
        parts: [{ quantity: 'net', watts: sum }, ...parts],
        phaseCount: 3,
      });
      expect(exact.ok && exact.value.phasesW).toEqual(phases);
      const allowed = Math.max(15, 0.02 * phases.reduce((a, b) => a + Math.abs(b), 0));
      const off = toReading({ parts: [{ quantity: 'net', watts: sum + allowed + 1 }, ...parts] });
      if (Math.abs(sum + allowed + 1) <= 100_000)
        expect(off.ok || off.error.code).toBe('SOURCE_PHASE_MISMATCH');
      const within = toReading({
        parts: [{ quantity: 'net', watts: sum + allowed * 0.9 }, ...parts],
      });
      if (Math.abs(sum + allowed) <= 100_000) expect(within.ok).toBe(true);
    }
  });

  it('derives net from the phases when no total is measured', () => {
    const parts = [
      { quantity: 'net' as const, phase: 1 as const, watts: -8.4 },
      { quantity: 'net' as const, phase: 2 as const, watts: 340.31 },
    ];
    expect(toReading({ parts })).toEqual({
      ok: true,
      value: { netW: 331.91, phasesW: [-8.4, 340.31] },
    });
  });

  it('reports no phases when one of the expected phases is missing or there is a gap', () => {
    const l1 = { quantity: 'net' as const, phase: 1 as const, watts: 100 };
    const l3 = { quantity: 'net' as const, phase: 3 as const, watts: 50 };
    expect(toReading({ parts: [{ quantity: 'net', watts: 400 }, l1], phaseCount: 3 })).toEqual({
      ok: true,
      value: { netW: 400 },
    });
    expect(toReading({ parts: [{ quantity: 'net', watts: 150 }, l1, l3] })).toEqual({
      ok: true,
      value: { netW: 150 },
    });
  });
});

describe('units and parsing', () => {
  it('converts kW to W (property over the range)', () => {
    for (let kw = -100; kw <= 100; kw += 0.137) {
      const r = toReading({ parts: [{ quantity: 'net', watts: toWatts(kw, 'kW') }] });
      expect(r.ok && r.value.netW).toBe(Math.round(kw * 1000 * 1000) / 1000 || 0);
    }
    expect(toWatts(0.623, 'W')).toBe(0.623);
  });

  it('reads numbers from numbers and numeric strings only', () => {
    expect([
      numberFrom(' 313\n'),
      numberFrom('-8.40'),
      numberFrom('6e2'),
      numberFrom(0.5),
      numberFrom('.5'),
    ]).toEqual([313, -8.4, 600, 0.5, 0.5]);
    for (const v of ['', 'nan', 'Infinity', '12 W', '0x10', null, true, [], {}, Number.NaN])
      expect(numberFrom(v)).toBeUndefined();
  });

  it('reads ISO times that state a zone and leaves local times to the caller', () => {
    expect(epochMsFromIso('2022-06-24T13:02:29Z')).toBe(1_656_075_749_000);
    expect(epochMsFromIso('2023-06-29T13:23:35+02:00')).toBe(Date.parse('2023-06-29T11:23:35Z'));
    expect(epochMsFromIso('2019-10-16T23:00:00')).toBeUndefined();
    expect(epochMsFromIso(1_656_075_749)).toBeUndefined();
  });

  it('decodes payload bytes, refusing invalid UTF-8 and reporting bad JSON', () => {
    expect(payloadText(new TextEncoder().encode('\uFEFF313'))).toEqual({ ok: true, value: '313' });
    const bad = payloadText(new Uint8Array([0xff, 0xfe, 0x31]));
    expect(bad.ok || bad.error.message).toBe('the payload is not valid UTF-8 text');
    expect(payloadNumber(new TextEncoder().encode('-8.40'))).toEqual({ ok: true, value: -8.4 });
    const json = payloadJson('{"a":');
    expect(json.ok || json.error.message.startsWith('the payload is not valid JSON')).toBe(true);
    const big = payloadText('x'.repeat(300 * 1024));
    expect(big.ok || big.error.message).toBe('the payload is larger than 256 KiB');
  });

  it('resolves RFC 6901 pointers, escapes included', () => {
    const doc = { foo: ['bar', 'baz'], '': 0, 'a/b': 1, 'm~n': 8, ENERGY: { Power: [52, 5] } };
    expect(resolveJsonPointer(doc, '')).toBe(doc);
    expect(resolveJsonPointer(doc, '/foo/0')).toBe('bar');
    expect(resolveJsonPointer(doc, '/')).toBe(0);
    expect(resolveJsonPointer(doc, '/a~1b')).toBe(1);
    expect(resolveJsonPointer(doc, '/m~0n')).toBe(8);
    expect(resolveJsonPointer(doc, '/ENERGY/Power/1')).toBe(5);
    expect(resolveJsonPointer(doc, '/foo/01')).toBeUndefined();
    expect(resolveJsonPointer(doc, '/foo/-')).toBeUndefined();
    expect(resolveJsonPointer(doc, '/nope/x')).toBeUndefined();
    expect(resolveJsonPointer(doc, '/toString')).toBeUndefined();
    expect(jsonPointerProblem('ENERGY/Power')).toBe(
      "must be empty or start with '/' (as in '/ENERGY/Power')",
    );
  });
});

describe('ReadingAssembler', () => {
  it('forgets parts older than the window and reads nothing when none is fresh', () => {
    const a = new ReadingAssembler({ windowMs: 1_000 });
    a.add({ parts: [{ quantity: 'import', watts: 313 }] }, 0);
    a.add({ parts: [{ quantity: 'export', watts: 0 }] }, 900);
    expect(a.read(950)).toEqual({ ok: true, value: { importW: 313, exportW: 0, netW: 313 } });
    expect(a.read(1_500)).toEqual({ ok: true, value: { exportW: 0 } });
    expect(a.read(5_000)).toBeUndefined();
  });

  it('lets a complete message replace what was known, time included', () => {
    const a = new ReadingAssembler();
    a.add({ ts: 1, parts: [{ quantity: 'production', watts: 2000 }] }, 0);
    a.add({ parts: [{ quantity: 'net', watts: -150 }], complete: true }, 10);
    expect(a.read(20)).toEqual({ ok: true, value: { netW: -150 } });
    a.clear();
    expect(a.read(30)).toBeUndefined();
  });
});
