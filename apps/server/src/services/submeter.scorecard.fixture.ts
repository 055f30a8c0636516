/**
 * Test support for the live scorecard: kettle minutes with known F1, MAE and energy against a
 * kettle sub-meter, stored in a building's estimates and sub-meter series. Only test files
 * import it.
 */
import type { EstimatePoint, MetadataStore, Reading, TimeSeriesStore } from '@nilm/stores';

const MIN = 60_000;

/** One minute: the sub-meter's power and/or the stored estimate (power, on-probability). */
export interface KettleMinute {
  ts: number;
  truthW?: number;
  estW?: number;
  prob?: number;
}

/**
 * 3000 compared minutes from `from`: the kettle boils (2000 W metered) in the first 100, and the
 * estimate catches `caught` of them (2000 W, on-probability 0.9; the rest 0 W, 0.1); 5 minutes
 * of 600 W estimated at 0.6 (on: false positives) and 5 at 0.4 (off, but in the MAE); the rest
 * 0 W both. So: truth on 100, tp = caught, fn = 100 - caught, fp = 5; absolute error
 * (100 - caught) * 2000 + 10 * 600 W-min; metered 200 000 W-min, estimated caught * 2000 + 6000.
 */
export function kettleSpan(from: number, caught: number): KettleMinute[] {
  return Array.from({ length: 3000 }, (_, i) => {
    const ts = from + i * MIN;
    if (i < 100)
      return i < caught
        ? { ts, truthW: 2000, estW: 2000, prob: 0.9 }
        : { ts, truthW: 2000, estW: 0, prob: 0.1 };
    if (i < 105) return { ts, truthW: 0, estW: 600, prob: 0.6 };
    if (i < 110) return { ts, truthW: 0, estW: 600, prob: 0.4 };
    return { ts, truthW: 0, estW: 0, prob: 0.05 };
  });
}

/**
 * Create building `id` (UTC) unless `create` is false, give it a kettle sub-meter source, and
 * store `minutes` as its kettle sub-meter readings and `tiny@1` estimates.
 */
export async function storeKettle(
  parts: { metadata: MetadataStore; timeseries: TimeSeriesStore },
  id: string,
  minutes: readonly KettleMinute[],
  create = true,
): Promise<void> {
  if (create)
    await parts.metadata.createBuilding({
      id,
      name: id,
      timezone: 'UTC',
      isDemo: false,
      modelRef: null,
    });
  await parts.metadata.createSource({
    id: `${id}-plug`,
    buildingId: id,
    name: 'Kettle plug',
    type: 'tasmota',
    role: 'submeter',
    appliance: 'kettle',
    settings: { topic: `tele/${id}/SENSOR` },
  });
  const metered: Reading[] = minutes
    .filter((m) => m.truthW !== undefined)
    .map((m) => ({ ts: m.ts, powerW: m.truthW! }));
  const estimates: EstimatePoint[] = minutes
    .filter((m) => m.estW !== undefined)
    .map((m) => ({ ts: m.ts, appliance: 'kettle', powerW: m.estW!, onProb: m.prob! }));
  await parts.timeseries.writeSubmeter(id, 'kettle', metered);
  await parts.timeseries.writeEstimates(id, 'tiny@1', estimates);
}
