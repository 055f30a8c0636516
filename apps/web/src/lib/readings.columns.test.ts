// Proves the columnar readings answer is read as the server sends it (a real answer passes
// through unchanged, the newest estimates are found, a bucket's appliances are only those with
// an estimate) and that anything else (the point shape, a series of the wrong length, times out
// of order) is refused with an error that says what was wrong.
import { describe, expect, it } from 'vitest';
import { columnsOf } from '../test/readings.fixture.js';
import { appliancesAt, decodeReadings, latestEstimates } from './readings.columns.js';

const fridge = { power_w: 90, on_prob: 0.9 };
const kettle = { power_w: 2000, on_prob: 0.99 };
const res = columnsOf(
  [
    { time: '2026-01-01T00:00:00Z', power_w: 2300, appliances: { fridge, kettle } },
    { time: '2026-01-01T00:01:00Z', power_w: 100, appliances: { fridge } },
    { time: '2026-01-01T00:02:00Z', power_w: 120 },
  ],
  { appliances: ['fridge', 'kettle'] },
);
// The same answer as it comes off the wire.
const wire = (): Record<string, unknown> =>
  JSON.parse(JSON.stringify(res)) as Record<string, unknown>;

describe('decodeReadings', () => {
  it('passes a columnar answer through as it is', () => {
    expect(decodeReadings(wire())).toEqual(res);
    const withGrid = columnsOf([
      {
        time: '2026-01-01T00:00:00Z',
        power_w: 500,
        grid: { import_w: 600, export_w: 0, production_w: 100 },
      },
      { time: '2026-01-01T00:01:00Z', power_w: 400 },
    ]);
    expect(decodeReadings(JSON.parse(JSON.stringify(withGrid)))).toEqual(withGrid);
  });

  it('refuses the point shape and says so', () => {
    const points = { ...wire(), points: [] } as Record<string, unknown>;
    delete points.shape;
    expect(() => decodeReadings(points)).toThrow('shape is undefined');
    expect(() => decodeReadings([])).toThrow('not a JSON object');
  });

  it('refuses a series without one entry per time', () => {
    expect(() => decodeReadings({ ...wire(), power_w: [1, 2] })).toThrow(
      'power_w does not have one entry per time (3)',
    );
    const body = wire();
    body.appliance_on_prob = { fridge: [0.9, 0.8, null] };
    expect(() => decodeReadings(body)).toThrow('appliance_on_prob.kettle does not have one entry');
    expect(() =>
      decodeReadings({
        ...wire(),
        grid: {
          import_w: [1, 2, 3],
          export_w: [],
          production_w: [1, 2, 3],
          phases_w: [null, null, null],
        },
      }),
    ).toThrow('grid.export_w does not have one entry per time');
  });

  it('refuses times that are not ascending numbers', () => {
    const t = res.time_ms;
    expect(() => decodeReadings({ ...wire(), time_ms: [t[1], t[0], t[2]] })).toThrow(
      'time_ms[1] is not a number after time_ms[0]',
    );
    expect(() => decodeReadings({ ...wire(), time_ms: 'soon' })).toThrow('time_ms is not an array');
  });
});

describe('appliancesAt and latestEstimates', () => {
  it('lists only the appliances with an estimate in a bucket', () => {
    expect(appliancesAt(res, 0)).toEqual({ fridge, kettle });
    expect(appliancesAt(res, 1)).toEqual({ fridge });
    expect(appliancesAt(res, 2)).toEqual({});
  });

  it('finds the newest bucket with estimates, or none', () => {
    expect(latestEstimates(res)).toEqual({ fridge });
    expect(
      latestEstimates(columnsOf([{ time: '2026-01-01T00:00:00Z', power_w: 5 }])),
    ).toBeUndefined();
  });
});
