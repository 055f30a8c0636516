/**
 * Heads that stand for several sub-metered appliances: a model's `fridge_freezer` head learns
 * the cold appliances (fridge, freezer, fridge-freezer), `tumble_dryer` the dryers (tumble
 * dryer, washer-dryer), `electric_heater` electric space heating (heaters, heat pump, storage
 * heaters), `cooker` cooking (cooker, oven, hob). Training and scoring sum the members'
 * sub-meters into the head's channel the same way, so the head is judged on what it learned.
 */
import { NilmError } from '../errors.js';
import { canonicalAppliance } from './appliances.js';
import type { Series } from './series.js';

/** Head name -> the canonical appliances whose power it estimates (the head's own name included). */
export type ApplianceGroups = Readonly<Record<string, readonly string[]>>;

/** Canonical names throughout; each appliance in at most one group. */
export function normaliseGroups(
  groups: Readonly<Record<string, readonly string[]>>,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const owner = new Map<string, string>();
  for (const [head, members] of Object.entries(groups)) {
    const h = canonicalAppliance(head);
    const list = [...new Set([h, ...members.map(canonicalAppliance)])];
    for (const m of list) {
      const other = owner.get(m);
      if (other !== undefined && other !== h)
        throw new NilmError(
          'CONFIG_INVALID',
          `appliance "${m}" is in the groups of both "${other}" and "${h}"; give it to one head`,
        );
      owner.set(m, h);
    }
    out[h] = list;
  }
  return out;
}

/** The head an appliance's power goes to: its group's head, or itself. */
export function headOf(groups: ApplianceGroups, appliance: string): string {
  for (const [head, members] of Object.entries(groups))
    if (members.includes(appliance)) return head;
  return appliance;
}

/**
 * A series with each group's members summed into the head's channel (NaN where a present
 * member is missing); members other than the head are removed. A series with no member of a
 * group is left without that head's channel (its loss is masked in training, it is not scored).
 */
export function groupAppliances(s: Series, groups: ApplianceGroups): Series {
  const appliances: Record<string, Float32Array> = { ...s.appliances };
  for (const [head, members] of Object.entries(groups)) {
    const present = members.filter((m) => s.appliances[m]);
    if (present.length === 0) continue;
    if (present.length === 1 && present[0] === head) continue;
    const sum = new Float32Array(s.mains.length);
    for (const m of present) {
      const ch = s.appliances[m]!;
      for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + ch[i]!;
      delete appliances[m];
    }
    appliances[head] = sum;
  }
  return { ...s, appliances };
}
