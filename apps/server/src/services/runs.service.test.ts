// Proves runs are found minute by minute with hand-computed spans, energies and peaks: a gap or an off minute ends a run, runs at the range's edges are cut there, a probability equal to the threshold counts as on; and that the service limits the range, names unknown appliances and caps the list while counting every run.
import type { InferenceEngine } from '@nilm/ml';
import type { MetadataStore, TimeSeriesStore } from '@nilm/stores';
import { describe, expect, it } from 'vitest';
import type { ApiError } from '../errors.js';
import { detectRuns, MAX_RUNS, RunsService, summariseRuns, type RunPoint } from './runs.service.js';

const MIN = 60_000;
const t0 = Date.UTC(2026, 0, 1);
const at = (min: number, powerW: number, onProb: number): RunPoint => ({
  ts: t0 + min * MIN,
  powerW,
  onProb,
});

describe('detectRuns', () => {
  it('finds runs with their span, energy and peak (2 kW + 3 kW for a minute each = 1/12 kWh)', () => {
    const runs = detectRuns(
      [at(0, 5, 0.1), at(1, 2000, 0.9), at(2, 3000, 0.8), at(3, 4, 0.2), at(4, 1500, 0.7)],
      0.5,
    );
    expect(runs).toHaveLength(2);
    expect(runs[0]).toMatchObject({ startMs: t0 + MIN, endMs: t0 + 3 * MIN, minutes: 2 });
    expect(runs[0]!.energyKwh).toBeCloseTo(5000 / 60 / 1000, 12);
    expect(runs[0]!.peakW).toBe(3000);
    // The last point is on: the run is cut at the end of the data, one minute long.
    expect(runs[1]).toMatchObject({ startMs: t0 + 4 * MIN, endMs: t0 + 5 * MIN, minutes: 1 });
    expect(runs[1]!.energyKwh).toBeCloseTo(0.025, 12);
  });

  it('ends a run at a missing minute, even when both sides are on', () => {
    const runs = detectRuns([at(0, 100, 0.9), at(1, 100, 0.9), at(3, 200, 0.9)], 0.5);
    expect(runs.map((r) => [r.startMs - t0, r.minutes])).toEqual([
      [0, 2],
      [3 * MIN, 1],
    ]);
  });

  it('starts a run at the first point when the range opens mid-run', () => {
    const runs = detectRuns([at(10, 2500, 0.99), at(11, 2500, 0.95), at(12, 0, 0.01)], 0.5);
    expect(runs).toEqual([
      {
        startMs: t0 + 10 * MIN,
        endMs: t0 + 12 * MIN,
        minutes: 2,
        energyKwh: runs[0]!.energyKwh,
        peakW: 2500,
      },
    ]);
    expect(runs[0]!.energyKwh).toBeCloseTo(5000 / 60 / 1000, 12);
  });

  it('counts a probability equal to the threshold as on, and one just below as off', () => {
    expect(detectRuns([at(0, 10, 0.42)], 0.42)).toHaveLength(1);
    expect(detectRuns([at(0, 10, 0.4199999)], 0.42)).toEqual([]);
  });

  it('uses the model step for spans and energy', () => {
    const [run] = detectRuns(
      [at(0, 600, 1), { ts: t0 + 30_000, powerW: 600, onProb: 1 }],
      0.5,
      30_000,
    );
    expect(run).toMatchObject({ startMs: t0, endMs: t0 + MIN, minutes: 1 });
    expect(run!.energyKwh).toBeCloseTo(0.01, 12);
  });

  it('finds nothing in no points or only off points', () => {
    expect(detectRuns([], 0.5)).toEqual([]);
    expect(detectRuns([at(0, 0, 0), at(1, 0, 0.49)], 0.5)).toEqual([]);
  });
});

describe('summariseRuns', () => {
  it('gives the median length and the mean energy', () => {
    const runs = detectRuns(
      [at(0, 1200, 1), at(1, 1200, 1), at(2, 0, 0), at(3, 600, 1), at(4, 0, 0), at(5, 60, 1)],
      0.5,
    );
    // Lengths 2, 1, 1 minutes; energies 0.04, 0.01, 0.001 kWh.
    const s = summariseRuns(runs);
    expect(s.count).toBe(3);
    expect(s.typicalMinutes).toBe(1);
    expect(s.meanEnergyKwh).toBeCloseTo(0.051 / 3, 12);
    expect(summariseRuns(runs.slice(0, 2)).typicalMinutes).toBe(1.5);
    expect(summariseRuns([])).toEqual({ count: 0, typicalMinutes: null, meanEnergyKwh: null });
  });
});

describe('RunsService', () => {
  /** A service over fakes: a one-appliance model (threshold 0.6) and the given estimates. */
  function service(points: RunPoint[]) {
    const calls: unknown[][] = [];
    const timeseries = {
      readEstimates: (...args: unknown[]) => {
        calls.push(args);
        return Promise.resolve(points.map((p) => ({ ...p, appliance: 'kettle' })));
      },
    } as unknown as TimeSeriesStore;
    const engine = {
      model: () =>
        Promise.resolve({
          periodS: 60,
          card: {
            id: 'm',
            version: '1',
            appliances: [
              { name: 'kettle', label: 'Kettle', on_threshold_w: 1000, on_prob_threshold: 0.6 },
            ],
          },
        }),
    } as unknown as InferenceEngine;
    const metadata = {
      listAppliances: () => Promise.resolve([]),
      getAppliancesPresent: () => Promise.resolve(null),
    } as unknown as MetadataStore;
    return { svc: new RunsService({ timeseries, engine, metadata }), calls };
  }
  const home = { id: 'home', modelRef: null };

  it("reads only the appliance's estimates and applies the model's threshold", async () => {
    const { svc, calls } = service([at(0, 2000, 0.59), at(1, 2000, 0.6)]);
    const r = await svc.runs(home, 'kettle', t0, t0 + 60 * MIN);
    expect(calls).toEqual([['home', t0, t0 + 60 * MIN, 'kettle']]);
    expect(r).toMatchObject({ threshold: 0.6, count: 1, typicalMinutes: 1, truncated: false });
    expect(r.runs[0]!.startMs).toBe(t0 + MIN);
  });

  it('refuses a range over 31 days or an empty one, and an appliance the model lacks', async () => {
    const { svc, calls } = service([]);
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: ApiError) => `${e.status} ${e.code}`,
      );
    expect(await code(svc.runs(home, 'kettle', t0, t0 + 31 * 86_400_000 + 1))).toBe(
      '422 VALIDATION_TIME',
    );
    expect(await code(svc.runs(home, 'kettle', t0, t0))).toBe('422 VALIDATION_TIME');
    await expect(svc.runs(home, 'toaster', t0, t0 + MIN)).rejects.toThrow(
      /does not estimate "toaster"/,
    );
    expect(await code(svc.runs(home, 'toaster', t0, t0 + MIN))).toBe('404 NOT_FOUND');
    expect(calls).toEqual([]);
    expect((await svc.runs(home, 'kettle', t0, t0 + 31 * 86_400_000)).count).toBe(0);
  });

  it('lists the newest runs when there are too many, still counting all of them', async () => {
    const n = MAX_RUNS + 3;
    const points = Array.from({ length: 2 * n }, (_, i) => at(i, i % 2 ? 0 : 1200, i % 2 ? 0 : 1));
    const { svc } = service(points);
    const r = await svc.runs(home, 'kettle', t0, t0 + 2 * n * MIN);
    expect(r.count).toBe(n);
    expect(r.truncated).toBe(true);
    expect(r.runs).toHaveLength(MAX_RUNS);
    expect(r.runs[0]!.startMs).toBe(t0 + 6 * MIN);
    expect(r.runs.at(-1)!.startMs).toBe(t0 + 2 * (n - 1) * MIN);
    expect(r.meanEnergyKwh).toBeCloseTo(0.02, 12);
  });
});
