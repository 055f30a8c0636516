/**
 * `homewizard-p1`: a HomeWizard Wi-Fi P1 Meter (HWE-P1), or a HomeWizard kWh meter, polled on
 * its local API v1, `GET /api/v1/data` (enable "Local API" in the HomeWizard Energy app; API v2
 * needs a bearer token and is not covered here). `active_power_w` is the net power in watts,
 * negative when exporting, and `active_power_l1_w`..`active_power_l3_w` the phases; data points
 * the meter does not provide are absent or null. See
 * https://api-documentation.homewizard.com/docs/v1/measurement (HWE-P1).
 */
import { type Payload, payloadObject } from '../payload.rules.js';
import {
  type Phase,
  type PowerPart,
  type SourceReading,
  numberFrom,
  toReading,
} from '../reading.rules.js';
import { type Outcome, unparseable } from '../source.errors.js';
import type { PolledSourceType } from '../source.types.js';
import { type PolledSettings, readPolled, readSettings } from '../settings.rules.js';

export type HomewizardP1Settings = PolledSettings;

export const homewizardP1: PolledSourceType<HomewizardP1Settings> = {
  type: 'homewizard-p1',
  transport: 'http',

  validate(raw) {
    return readSettings(raw, readPolled);
  },

  requestPath() {
    return '/api/v1/data';
  },

  parseResponse(_settings, body: Payload): Outcome<SourceReading> {
    const obj = payloadObject(body);
    if (!obj.ok) return obj;
    const total = numberFrom(obj.value['active_power_w']);
    if (total === undefined) return unparseable('the answer has no numeric active_power_w');
    const parts: PowerPart[] = [{ quantity: 'net', watts: total }];
    // Phases from L1 up to the last one given; a 1-phase meter gives L1 only.
    const phases = [1, 2, 3].map((n) => numberFrom(obj.value[`active_power_l${n}_w`]));
    const count = phases.findIndex((w) => w === undefined);
    const known = count < 0 ? phases : phases.slice(0, count);
    known.forEach((w, i) => parts.push({ quantity: 'net', phase: (i + 1) as Phase, watts: w! }));
    return toReading({ parts });
  },
};
