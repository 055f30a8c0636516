/**
 * The readings query with its answer shape, and the columnar answer: one array per series
 * instead of one object per point, for charts that draw series (about a third of the bytes of
 * the point shape, and no per-point objects to build on either side).
 */
import { Type, type Static } from 'typebox';
import { Id, RangeQuery } from './api.contracts.js';

export const ReadingsQuery = Type.Object(
  {
    ...RangeQuery.properties,
    shape: Type.Optional(
      Type.Union([Type.Literal('points'), Type.Literal('columns')], {
        description:
          "'points' (default): one object per time; 'columns': one array per series (ReadingsColumns)",
      }),
    ),
  },
  { additionalProperties: false },
);
export type ReadingsQuery = Static<typeof ReadingsQuery>;

const Nullable = Type.Array(Type.Union([Type.Number(), Type.Null()]));

export const ReadingsColumns = Type.Object({
  building_id: Id,
  start: Type.String(),
  end: Type.String(),
  resolution_s: Type.Integer(),
  shape: Type.Literal('columns'),
  appliances: Type.Array(Type.String()),
  estimate_coverage: Type.Union([Type.Number(), Type.Null()]),
  /** Bucket starts, epoch milliseconds; every other array has one entry per time. */
  time_ms: Type.Array(Type.Integer()),
  /** Mains (the home's consumption), null where the bucket has no reading. */
  power_w: Nullable,
  /** Per appliance: estimated power and on-probability, null where the bucket has no estimate. */
  appliance_power_w: Type.Record(Type.String(), Nullable),
  appliance_on_prob: Type.Record(Type.String(), Nullable),
  /**
   * Where any bucket has grid measurements: import, export and production per time (null: not
   * measured), and the phases per time (null where none).
   */
  grid: Type.Optional(
    Type.Object({
      import_w: Nullable,
      export_w: Nullable,
      production_w: Nullable,
      phases_w: Type.Array(Type.Union([Type.Array(Type.Number()), Type.Null()])),
    }),
  ),
});
export type ReadingsColumns = Static<typeof ReadingsColumns>;
