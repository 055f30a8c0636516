/**
 * Synthetic mixing for training, as a seeded plan over a list of houses: for each house, a few
 * copies whose mains get real activations (from traces or other houses' sub-meters,
 * `synthetic.mixer.ts`) and generated loads (`load.generators.ts`) of appliances the house does
 * not meter, each labelled exactly. The originals are kept; a copy that received nothing is
 * dropped. The same plan, seed and houses give the same series.
 */
import type { Activation } from './activations.extractor.js';
import { headOf, type ApplianceGroups } from './appliance.groups.js';
import { applianceSpec } from './appliances.js';
import {
  generateEvCharger,
  generateHeatPump,
  generateStorageHeaters,
  generateWaterHeater,
  gridOf,
} from './load.generators.js';
import type { Series } from './series.js';
import { addLoad, mixActivations } from './synthetic.mixer.js';
import { SeededRandom } from './window.sampler.js';

/** Loads the parametric generators make, by the appliance they label. */
export const GENERATED_LOADS = [
  'ev_charger',
  'heat_pump',
  'water_heater',
  'storage_heater',
] as const;
export type GeneratedLoad = (typeof GENERATED_LOADS)[number];

export interface MixPlan {
  seed: number;
  /** Mixed copies per house (each item drawn independently for each copy). */
  copies: number;
  activations: ReadonlyArray<{
    appliance: string;
    pool: readonly Activation[];
    /** Activations added per day of the house's valid mains (at least one). */
    perDay: number;
    /** Share of copies that get this appliance. */
    share: number;
    /** Amplitude augmentation of each added activation (synthetic.mixer.ts `scale`). */
    scale?: readonly [number, number];
  }>;
  generators: ReadonlyArray<{ load: GeneratedLoad; share: number }>;
}

/** Whether `s` meters the appliance, or any appliance of the same head. */
function meters(s: Series, appliance: string, groups: ApplianceGroups): boolean {
  const head = headOf(groups, appliance);
  const members = groups[head] ?? [head];
  return members.some((m) => s.appliances[m]) || !!s.appliances[appliance];
}

function generate(load: GeneratedLoad, s: Series, seed: number): Float32Array {
  const grid = gridOf(s);
  switch (load) {
    case 'ev_charger':
      return generateEvCharger(grid, seed).power;
    case 'heat_pump':
      return generateHeatPump(grid, seed).power;
    case 'water_heater':
      return generateWaterHeater(grid, seed).power;
    case 'storage_heater':
      return generateStorageHeaters(grid, seed).power;
  }
}

/** The houses plus their mixed copies (see the file comment). */
export function mixHouses(
  houses: readonly Series[],
  plan: MixPlan,
  groups: ApplianceGroups = {},
): Series[] {
  const out: Series[] = [...houses];
  houses.forEach((house, h) => {
    let valid = 0;
    for (const v of house.mains) if (Number.isFinite(v)) valid++;
    const days = (valid * house.periodS) / 86_400;
    for (let c = 0; c < plan.copies; c++) {
      const rng = new SeededRandom(plan.seed * 1_000_003 + h * 101 + c);
      let s = house;
      const added: string[] = [];
      for (const item of plan.activations) {
        const name = applianceSpec(item.appliance).name;
        const draw = rng.next();
        const seed = rng.uint32();
        if (draw >= item.share || item.pool.length === 0 || meters(s, name, groups)) continue;
        const count = Math.max(1, Math.round(item.perDay * days));
        const r = mixActivations(s, item.pool, {
          seed,
          count,
          gapSamples: 5,
          ...(item.scale && { scale: item.scale }),
        });
        if (r.placed.length === 0) continue;
        s = r.series;
        added.push(`${r.placed.length} ${name}`);
      }
      for (const g of plan.generators) {
        const draw = rng.next();
        const seed = rng.uint32();
        if (draw >= g.share || meters(s, g.load, groups)) continue;
        s = addLoad(s, g.load, generate(g.load, s, seed));
        added.push(g.load);
      }
      if (added.length === 0) continue;
      out.push({ ...s, source: `${house.source} + mix ${c + 1} (${added.join(', ')})` });
    }
  });
  return out;
}
