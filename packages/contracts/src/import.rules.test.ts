// Proves the history import check: both layouts read with their own timestamps (ISO with zone,
// naive UTC in the dataset layout, epoch seconds and milliseconds), Aggregate 0 skipped as
// missing, kW scaled, and every kind of bad line refused with its line number and reason (and
// the count of the others), with nothing read from a refused file.
import { describe, expect, it } from 'vitest';
import { checkImportCsv, IMPORT_MAX_PROBLEMS, parseImportTime } from './import.rules.js';

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);
const T0 = Date.UTC(2014, 8, 3, 0, 0, 0);

function ok(text: string, format: 'dataset' | 'time-power', unit?: 'W' | 'kW') {
  const r = checkImportCsv(text, { format, unit, nowMs: NOW });
  if (!r.ok) throw new Error(`expected the file to pass: ${r.message}`);
  return r.value;
}

function refused(text: string, format: 'dataset' | 'time-power', unit?: 'W' | 'kW') {
  const r = checkImportCsv(text, { format, unit, nowMs: NOW });
  if (r.ok) throw new Error('expected the file to be refused');
  return r;
}

describe('parseImportTime', () => {
  it('reads epoch seconds and milliseconds by size, and ISO-8601 with any zone form', () => {
    expect(parseImportTime('1409702400', false)).toEqual({ ms: T0 });
    expect(parseImportTime('1409702400000', false)).toEqual({ ms: T0 });
    expect(parseImportTime('1409702400.25', false)).toEqual({ ms: T0 + 250 });
    expect(parseImportTime('2014-09-03T00:00:00Z', false)).toEqual({ ms: T0 });
    expect(parseImportTime('2014-09-03 01:00:00+01:00', false)).toEqual({ ms: T0 });
    expect(parseImportTime('2014-09-02T19:00-0500', false)).toEqual({ ms: T0 });
    expect(parseImportTime('2014-09-03T02:00:00.500+02', false)).toEqual({ ms: T0 + 500 });
    expect(parseImportTime('"2014-09-03T00:00:00.123456Z"'.slice(1, -1), false)).toEqual({
      ms: T0 + 123,
    });
  });

  it('reads a time without a zone as UTC only when told to, and refuses impossible dates', () => {
    expect(parseImportTime('2014-09-03 00:00:00', true)).toEqual({ ms: T0 });
    expect(parseImportTime('2014-09-03 00:00:00', false)).toEqual({
      reason: expect.stringMatching(/has no zone/),
    });
    for (const s of ['2014-02-30T00:00:00Z', '2014-09-03T24:00:00Z', 'yesterday', '0x10', '-5'])
      expect(parseImportTime(s, true)).toEqual({ reason: expect.stringMatching(/is not a time/) });
    expect(parseImportTime(' ', true)).toEqual({ reason: 'the time is empty' });
  });
});

describe('checkImportCsv', () => {
  it('reads the dataset layout: Time and Aggregate only, naive UTC, Aggregate 0 skipped', () => {
    const v = ok(
      [
        'Time,Aggregate,Kettle,Dishwasher',
        '2014-09-03 00:00:00,117.0,0.0,0.0',
        '2014-09-03 00:01:00,0,0.0,0.0',
        '',
        '2014-09-03 00:02:00,2500.5,2380.0,0.0',
      ].join('\r\n'),
      'dataset',
    );
    expect([...v.timesMs]).toEqual([T0, T0 + 120_000]);
    expect([...v.powersW]).toEqual([117, 2500.5]);
    expect(v.skippedMissing).toBe(1);
  });

  it('reads a time,power file in kW with any header names, quotes and a byte-order mark', () => {
    const v = ok(
      '\ufeff"timestamp","kw"\n1409702400,0.117\n"2014-09-03T00:01:00Z",0\n1409702520000,2.5\n',
      'time-power',
      'kW',
    );
    expect([...v.timesMs]).toEqual([T0, T0 + 60_000, T0 + 120_000]);
    expect([...v.powersW]).toEqual([117, 0, 2500]);
    expect(v.skippedMissing).toBe(0);
  });

  it('names the line and reason of each kind of bad line, and reads nothing', () => {
    const cases: Array<[string, RegExp]> = [
      ['yesterday,100', /^line 3: time "yesterday" is not a time/],
      ['2014-09-03T00:01:00,100', /^line 3: time "2014-09-03T00:01:00" has no zone/],
      ['1409702460,abc', /^line 3: power "abc" is not a number/],
      ['1409702460,', /^line 3: the power is empty/],
      [
        '1409702460,-5',
        /^line 3: power -5 W is outside 0\.\.100 kW; import the power drawn from the grid/,
      ],
      [
        '1409702460,100001',
        /^line 3: power 100001 W is outside 0\.\.100 kW; no home draws that much/,
      ],
      [
        '1409702340,100',
        /^line 3: time 1409702340 \(2014-09-02T23:59:00\.000Z\) is earlier than line 2's/,
      ],
      ['1409702400,100', /^line 3: time 1409702400 .* repeats line 2's/],
      [
        '2026-12-04T12:06:00Z,100',
        /^line 3: time .* is in the future \(now is 2026-12-04T12:00:00\.000Z\)/,
      ],
      ['946684799,100', /^line 3: .* is before 2000/],
      ['1409702460,100,7', /^line 3: expected 2 fields \(time,power\), found 3/],
    ];
    for (const [line, reason] of cases) {
      const r = refused(`time,power\n1409702400,100\n${line}\n1409702520,100\n`, 'time-power');
      expect(r.message).toMatch(reason);
      expect(r.message).toMatch(/; nothing was imported$/);
      expect(r.badLines).toBe(1);
      expect(r.problems[0]!.line).toBe(3);
    }
  });

  it('says 101 kW in kW files is out of range, and checks every line, counting the rest', () => {
    expect(refused('time,power\n1409702400,101\n', 'time-power', 'kW').message).toMatch(
      /^line 2: power 101 kW is outside 0\.\.100 kW; is the file in W\? say unit=W/,
    );
    const rows = ['Time,Aggregate'];
    for (let i = 0; i < 30; i++) rows.push(`2014-09-03 00:${String(i).padStart(2, '0')}:00,x`);
    const r = refused(rows.join('\n'), 'dataset');
    expect(r.badLines).toBe(30);
    expect(r.problems).toHaveLength(IMPORT_MAX_PROBLEMS);
    expect(r.problems.map((p) => p.kind)).toEqual(Array(IMPORT_MAX_PROBLEMS).fill('power'));
    expect(r.message).toMatch(
      /^line 2: power "x" is not a number \(and 29 more bad lines: 3, 4, .*, 11, \.\.\.\)/,
    );
  });

  it('refuses a file with no usable header or no readings', () => {
    expect(refused('', 'dataset').message).toMatch(/^line 1: the file is empty/);
    expect(refused('time,power\n', 'time-power').message).toMatch(/header but no readings/);
    expect(refused('Time,Mains\n2014-09-03 00:00:00,1\n', 'dataset').message).toMatch(
      /^line 1: the dataset layout needs a header with Time and Aggregate.*this one has: Time, Mains; for a two-column file use the time-power format/,
    );
    expect(refused('1409702400,100\n1409702460,100\n', 'time-power').message).toMatch(
      /^line 1: the first line is a reading, not a header/,
    );
    expect(refused('time;power\n', 'time-power').message).toMatch(
      /found 1.*separate fields with commas/,
    );
    expect(
      refused('Time,Aggregate\n2014-09-03 00:00:00,0\n2014-09-03 00:01:00,0.0\n', 'dataset')
        .message,
    ).toMatch(/^line 3: every row \(2\) has Aggregate 0, which is missing data/);
  });
});
