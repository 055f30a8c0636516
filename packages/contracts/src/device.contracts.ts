/**
 * The found-devices API's request and response schemas (issue 13.1, 13.6): unnamed devices that
 * discovery found in a building's mains (`/buildings/{id}/devices`), a discovery pass run now
 * (`.../devices/discover`), and what an owner makes of a device: a name and appliance type
 * (PATCH), a merge into another, a dismissal.
 */
import { Type, type Static } from 'typebox';
import { Id } from './api.contracts.js';

/** A time: ISO-8601 with a zone, epoch milliseconds, or relative (`now`, `-30d`). */
const Time = Type.String({ minLength: 1, maxLength: 40 });

/** The longest span one discovery pass may look at (docs/api.md): 92 days. */
export const MAX_DISCOVERY_SPAN_MS = 92 * 86_400_000;
/** The span a pass looks at when none is given: the last 30 days. */
export const DEFAULT_DISCOVERY_SPAN_MS = 30 * 86_400_000;

export const FoundDeviceStatus = Type.Union([
  Type.Literal('found'),
  Type.Literal('named'),
  Type.Literal('dismissed'),
  Type.Literal('merged'),
]);

export const FoundDevice = Type.Object({
  id: Type.String(),
  building_id: Id,
  /** "Device A", "Device B", ...: kept for the device's life, never reused in the building. */
  label: Type.String(),
  status: FoundDeviceStatus,
  /** The device it was merged into (status merged), else null. */
  merged_into: Type.Union([Type.String(), Type.Null()]),
  name: Type.Union([Type.String(), Type.Null()]),
  /** An appliance name of the vocabulary (kettle, fridge, ...), or null. */
  appliance: Type.Union([Type.String(), Type.Null()]),
  /** Typical power step of a run, W. */
  power_w: Type.Number(),
  /** Typical run length, minutes. */
  run_minutes: Type.Number(),
  /** Minutes between starts of a periodic device (a fridge compressor), else null. */
  period_minutes: Type.Union([Type.Number(), Type.Null()]),
  runs: Type.Integer(),
  runs_per_day: Type.Number(),
  /** Energy of its runs per day with readings, times 30. */
  energy_per_month_kwh: Type.Number(),
  /** Share of runs starting in each hour of the building's day (24 values, 0 = midnight). */
  hour_profile: Type.Array(Type.Number(), { minItems: 24, maxItems: 24 }),
  /** A few runs near the typical one, to draw on the mains chart. */
  examples: Type.Array(
    Type.Object({ start: Type.String(), end: Type.String(), mean_w: Type.Number() }),
  ),
  /** The span the latest pass that saw it looked at. */
  span: Type.Object({ start: Type.String(), end: Type.String() }),
  found_at: Type.String(),
  updated_at: Type.String(),
});
export type FoundDevice = Static<typeof FoundDevice>;

export const FoundDeviceList = Type.Object({ devices: Type.Array(FoundDevice) });
export type FoundDeviceList = Static<typeof FoundDeviceList>;

export const DiscoverBody = Type.Object(
  {
    /** Start of the span; default: 30 days before `end`. */
    start: Type.Optional(Time),
    /** End of the span; default: now. */
    end: Type.Optional(Time),
  },
  { additionalProperties: false },
);
export type DiscoverBody = Static<typeof DiscoverBody>;

export const DiscoverResponse = Type.Object({
  building_id: Id,
  start: Type.String(),
  end: Type.String(),
  /** Days with readings in the span. */
  covered_days: Type.Number(),
  /** The residual's always-on level, W (not a device). */
  baseload_w: Type.Number(),
  /** Smallest power step counted, W. */
  threshold_w: Type.Number(),
  /** On-off runs found before grouping. */
  runs_found: Type.Integer(),
  created: Type.Integer(),
  updated: Type.Integer(),
  devices: Type.Array(FoundDevice),
});
export type DiscoverResponse = Static<typeof DiscoverResponse>;

export const DevicePatchBody = Type.Object(
  {
    /** Owner-given name; null clears it. */
    name: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 80 }), Type.Null()])),
    /** An appliance name of the vocabulary or an alias of one; null clears it. */
    appliance: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 128 }), Type.Null()]),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type DevicePatchBody = Static<typeof DevicePatchBody>;

export const DeviceMergeBody = Type.Object(
  { into: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);
export type DeviceMergeBody = Static<typeof DeviceMergeBody>;
