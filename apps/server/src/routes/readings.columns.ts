/** The readings as one array per series (`?shape=columns`), rounded like the point shape. */
import type { ReadingsColumns } from '@nilm/contracts';
import type { ReadingsResult } from '../services/readings.service.js';

/** `v` rounded to 1/`per` (10: 0.1 W, 1000: 0.001). */
const round = (v: number, per: number): number => Math.round(v * per) / per;

export function readingsColumns(
  buildingId: string,
  startMs: number,
  endMs: number,
  r: ReadingsResult,
): ReadingsColumns {
  const n = r.buckets.length;
  const power: Record<string, (number | null)[]> = {};
  const onProb: Record<string, (number | null)[]> = {};
  for (const a of r.appliances) {
    power[a] = new Array<number | null>(n).fill(null);
    onProb[a] = new Array<number | null>(n).fill(null);
  }
  const time: number[] = new Array<number>(n);
  const mains: (number | null)[] = new Array<number | null>(n);
  r.buckets.forEach((b, i) => {
    time[i] = b.ts;
    mains[i] = b.powerW === null ? null : round(b.powerW, 10);
    for (const [a, v] of Object.entries(b.appliances)) {
      power[a]![i] = round(v.powerW, 10);
      onProb[a]![i] = round(v.onProb, 1000);
    }
  });
  const out: ReadingsColumns = {
    building_id: buildingId,
    start: new Date(startMs).toISOString(),
    end: new Date(endMs).toISOString(),
    resolution_s: r.resolutionS,
    shape: 'columns',
    appliances: r.appliances,
    estimate_coverage: r.estimateCoverage === null ? null : round(r.estimateCoverage, 1000),
    time_ms: time,
    power_w: mains,
    appliance_power_w: power,
    appliance_on_prob: onProb,
  };
  if (r.grid.size > 0) {
    const w = (v: number | null | undefined): number | null =>
      v === null || v === undefined ? null : round(v, 10);
    const grid = r.buckets.map((b) => r.grid.get(b.ts));
    out.grid = {
      import_w: grid.map((g) => w(g?.importW)),
      export_w: grid.map((g) => w(g?.exportW)),
      production_w: grid.map((g) => w(g?.productionW)),
      phases_w: grid.map((g) => (g?.phasesW ? g.phasesW.map((v) => round(v, 10)) : null)),
    };
  }
  return out;
}
