// Proves Compare's windows follow the building's calendar (weeks from Monday, months from the 1st,
// like-for-like days and hours, summer-time weeks, 29 February) and that its numbers and one-line
// summary give changes only where both windows have data, never a gap read as a drop.
import type { EnergyResponse } from '@nilm/contracts';
import { describe, expect, it } from 'vitest';
import {
  changeSentence,
  compareEnergy,
  compareWindows,
  pctText,
  windowNames,
  windowText,
  type CompareWindows,
} from './compare.js';

type Period = EnergyResponse['periods'][number];

function period(p: Partial<Period>): Period {
  return {
    start: '2026-11-30T00:00:00.000Z',
    end: '2026-12-05T07:41:00.000Z',
    total_kwh: 0,
    appliances: {},
    other_kwh: 0,
    pending_kwh: 0,
    baseload_kwh: 0,
    coverage: 1,
    estimate_coverage: 1,
    ...p,
  };
}

const week = (now: string, tz: string) => compareWindows('week', new Date(now), tz);

describe('compareWindows', () => {
  it('compares Monday to now (less 2 minutes for readings in flight) with the same hours of last week', () => {
    // Saturday 5 December 2026, 07:43:30 UTC.
    expect(week('2026-12-05T07:43:30Z', 'UTC')).toEqual({
      mode: 'week',
      now: { start: '2026-11-30T00:00:00.000Z', end: '2026-12-05T07:41:00.000Z' },
      before: { start: '2026-11-23T00:00:00.000Z', end: '2026-11-28T07:41:00.000Z' },
    });
  });

  it('keeps the local day and time of day across a spring-forward week (London, 29 March 2026)', () => {
    // Sunday 16:00 BST, after the clocks went forward at 01:00 UTC. This week began on Monday
    // 00:00 GMT; last week's same stretch ends at Sunday 15:58 GMT, so it is one hour longer.
    const w = week('2026-03-29T15:00:00Z', 'Europe/London')!;
    expect(w.now).toEqual({ start: '2026-03-23T00:00:00.000Z', end: '2026-03-29T14:58:00.000Z' });
    expect(w.before).toEqual({
      start: '2026-03-16T00:00:00.000Z',
      end: '2026-03-22T15:58:00.000Z',
    });
    // The week after: Monday 00:00 BST is 23:00 UTC on Sunday; last week's Wednesday 12:58 was GMT.
    const after = week('2026-04-01T12:00:00Z', 'Europe/London')!;
    expect(after.now.start).toBe('2026-03-29T23:00:00.000Z');
    expect(after.before).toEqual({
      start: '2026-03-23T00:00:00.000Z',
      end: '2026-03-25T12:58:00.000Z',
    });
  });

  it('starts last week at midnight BST when the clocks went back in between (25 October 2026)', () => {
    const w = week('2026-10-26T10:00:00Z', 'Europe/London')!;
    expect(w.now).toEqual({ start: '2026-10-26T00:00:00.000Z', end: '2026-10-26T09:58:00.000Z' });
    expect(w.before).toEqual({
      start: '2026-10-18T23:00:00.000Z',
      end: '2026-10-19T08:58:00.000Z',
    });
  });

  it('compares this month so far with the same days of the month a year before, in the zone', () => {
    // Berlin is UTC+1 in December: 1 December starts at 23:00 UTC on 30 November.
    const w = compareWindows('month', new Date('2026-12-05T07:43:30Z'), 'Europe/Berlin')!;
    expect(w.now).toEqual({ start: '2026-11-30T23:00:00.000Z', end: '2026-12-05T07:41:00.000Z' });
    expect(w.before).toEqual({
      start: '2025-11-30T23:00:00.000Z',
      end: '2025-12-05T07:41:00.000Z',
    });
    expect(windowNames(w, 'Europe/Berlin')).toEqual({
      mode: 'month',
      now: 'this month so far',
      before: '1–5 December 2025',
    });
    expect(windowText(w.before, 'Europe/Berlin')).toBe('Mon 1 Dec 00:00 – Fri 5 Dec 08:41');
  });

  it('compares all of February a year before on 29 February', () => {
    const w = compareWindows('month', new Date('2028-02-29T12:00:00Z'), 'UTC')!;
    expect(w.before).toEqual({
      start: '2027-02-01T00:00:00.000Z',
      end: '2027-03-01T00:00:00.000Z',
    });
    expect(windowNames(w, 'UTC').before).toBe('February 2027');
  });

  it('has nothing to compare in the first minutes of a week', () => {
    expect(week('2026-11-30T00:02:30Z', 'UTC')).toBeUndefined();
    expect(week('2026-11-30T00:03:00Z', 'UTC')?.now.end).toBe('2026-11-30T00:01:00.000Z');
  });
});

const weekWindows = week('2026-12-05T07:43:30Z', 'UTC') as CompareWindows;
const weekNames = windowNames(weekWindows, 'UTC');
const labels = new Map([['washing_machine', 'Washer']]);

describe('compareEnergy', () => {
  const before = period({
    total_kwh: 20,
    appliances: { kettle: 1.2, fridge: 3, washing_machine: 2 },
    other_kwh: 6,
    baseload_kwh: 8,
  });
  const now = period({
    total_kwh: 21,
    appliances: { kettle: 2.4, fridge: 3.2, heater: 0.6 },
    other_kwh: 7,
    baseload_kwh: 7.95,
  });

  it('gives kWh, change and % per appliance, Other, Baseload and Total, and what changed most', () => {
    const c = compareEnergy(now, before, labels);
    expect(c.rows.map((r) => r.label)).toEqual([
      'Fridge',
      'Kettle',
      'Heater',
      'Washer',
      'Other',
      'Baseload (always on)',
      'Total',
    ]);
    const kettle = c.rows.find((r) => r.key === 'kettle')!;
    expect(kettle.nowKwh).toBe(2.4);
    expect(kettle.beforeKwh).toBe(1.2);
    expect(kettle.changeKwh).toBeCloseTo(1.2, 10);
    expect(kettle.changePct).toBeCloseTo(1, 10);
    // Gone this week: 0 now, a real drop; new this week: no percentage.
    expect(c.rows.find((r) => r.key === 'washing_machine')).toMatchObject({
      nowKwh: 0,
      beforeKwh: 2,
      changeKwh: -2,
      changePct: -1,
    });
    expect(c.rows.find((r) => r.key === 'heater')).toMatchObject({ changePct: null });
    expect(c.rows.at(-1)).toMatchObject({ key: 'total', changeKwh: 1, changePct: 0.05 });
    // The washer's 2 kWh drop is the largest change of a group (Total never counts).
    expect(c.biggest?.key).toBe('washing_machine');
    expect(changeSentence(c, weekNames)).toBe(
      'Washer used 2.0 kWh less than last week so far (−100 %).',
    );
    expect(changeSentence(compareEnergy(now, { ...before, appliances: {} }), weekNames)).toBe(
      'Fridge used 3.2 kWh more than last week so far (new).',
    );
  });

  it('says a month a year before by its days, and baseload as always-on use', () => {
    const month = compareWindows('month', new Date('2026-12-05T07:43:30Z'), 'UTC')!;
    const c = compareEnergy(
      period({ baseload_kwh: 10, total_kwh: 10 }),
      period({ baseload_kwh: 8, total_kwh: 10 }),
    );
    expect(changeSentence(c, windowNames(month, 'UTC'))).toBe(
      'Always-on use was 2.0 kWh higher than in 1–5 December 2025 (+25 %).',
    );
  });

  it('ignores changes under 0.1 kWh when naming what changed most', () => {
    const c = compareEnergy(
      period({ appliances: { kettle: 0.55 }, total_kwh: 5 }),
      period({ appliances: { kettle: 0.5 }, total_kwh: 5 }),
    );
    expect(c.biggest).toBeUndefined();
    expect(c.rows[0]!.changeKwh).toBeCloseTo(0.05, 10);
    expect(changeSentence(c, weekNames)).toBe(
      'Nothing changed by 0.1 kWh or more against last week so far.',
    );
  });

  it('shows no change, not a drop, when the previous period has no data or is missing', () => {
    for (const missing of [period({ coverage: 0, estimate_coverage: null }), undefined]) {
      const c = compareEnergy(now, missing, labels);
      expect(c.before.state).toBe('none');
      expect(c.rows.find((r) => r.key === 'kettle')).toMatchObject({
        nowKwh: 2.4,
        beforeKwh: null,
        changeKwh: null,
        changePct: null,
      });
      expect(c.rows.at(-1)).toMatchObject({ nowKwh: 21, beforeKwh: null, changeKwh: null });
      expect(c.biggest).toBeUndefined();
      expect(changeSentence(c, weekNames)).toBe(
        'There are no readings for last week so far, so there is nothing to compare.',
      );
    }
  });

  it('shows the numbers of a partly covered period but no change', () => {
    const c = compareEnergy(now, { ...before, coverage: 0.4 });
    expect(c.before.state).toBe('partial');
    expect(c.rows.find((r) => r.key === 'kettle')).toMatchObject({
      beforeKwh: 1.2,
      changeKwh: null,
    });
    expect(changeSentence(c, weekNames)).toBe(
      'Readings cover only 40 % of last week so far, so no change is given.',
    );
    expect(changeSentence(compareEnergy(period({ coverage: 0 }), before), weekNames)).toBe(
      'There are no readings for this week so far, so there is nothing to compare.',
    );
  });

  it('compares Total and Baseload but not appliances while estimates are still being made', () => {
    const c = compareEnergy(now, { ...before, estimate_coverage: 0.5 });
    expect(c.rows.find((r) => r.key === 'kettle')!.changeKwh).toBeNull();
    expect(c.rows.find((r) => r.key === 'other')!.changeKwh).toBeNull();
    expect(c.rows.at(-1)!.changeKwh).toBe(1);
    expect(c.biggest).toBeUndefined();
    expect(changeSentence(c, weekNames)).toBe(
      'Nothing changed by 0.1 kWh or more against last week so far (appliances are not compared while their estimates are still being made).',
    );
  });

  it('writes percentages with a sign', () => {
    expect([pctText(0.354), pctText(-0.2), pctText(0), pctText(null)]).toEqual([
      '+35 %',
      '−20 %',
      '±0 %',
      'new',
    ]);
  });
});
