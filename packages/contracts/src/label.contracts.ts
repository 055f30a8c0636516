/**
 * The labels and sub-meters API's request and response schemas (issue 13.2, 13.3): spans of a
 * building's time an owner marked as "this was the <appliance>" (kind `on`) or "nothing of
 * <appliance> here" (kind `off`), at `/buildings/{id}/labels`, and a sub-meter's power beside
 * the model's estimate for its appliance, at `/buildings/{id}/submeters/{appliance}/readings`,
 * and the live scorecard of estimate against sub-meter at `/buildings/{id}/submeters/scorecard`.
 */
import { Type, type Static } from 'typebox';
import { Id, Resolution } from './api.contracts.js';

/** An appliance name: one of the vocabulary (kettle, washing_machine, ...) or an alias of one. */
const ApplianceName = Type.String({ minLength: 1, maxLength: 128 });
/** A time: ISO-8601 with a zone, epoch milliseconds, or relative (`now`, `-2h`). */
const Time = Type.String({ minLength: 1, maxLength: 40 });

/** The longest span one label may cover (docs/api.md): a week. */
export const MAX_LABEL_SPAN_MS = 7 * 86_400_000;

/** `on`: the appliance ran for the whole span; `off`: it did not run at any moment of it. */
export const LabelKind = Type.Union([Type.Literal('on'), Type.Literal('off')]);

export const LabelBody = Type.Object(
  {
    appliance: ApplianceName,
    kind: LabelKind,
    start: Time,
    end: Time,
    note: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
export type LabelBody = Static<typeof LabelBody>;

export const Label = Type.Object({
  id: Type.String(),
  building_id: Id,
  /** The canonical name (an alias sent is stored as the name it stands for). */
  appliance: Type.String(),
  kind: LabelKind,
  start: Type.String(),
  end: Type.String(),
  note: Type.Union([Type.String(), Type.Null()]),
  /** The user who added it. */
  created_by: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String(),
});
export type Label = Static<typeof Label>;

export const LabelList = Type.Object({ labels: Type.Array(Label) });
export type LabelList = Static<typeof LabelList>;

/** Labels overlapping [from, to), of one appliance when given. */
export const LabelQuery = Type.Object(
  {
    from: Type.Optional(Time),
    to: Type.Optional(Time),
    appliance: Type.Optional(ApplianceName),
  },
  { additionalProperties: false },
);
export type LabelQuery = Static<typeof LabelQuery>;

export const LabelParams = Type.Object({
  id: Id,
  labelId: Type.String({ minLength: 1, maxLength: 64 }),
});

export const SubmeterParams = Type.Object({ id: Id, appliance: ApplianceName });

export const SubmeterQuery = Type.Object(
  {
    start: Time,
    end: Type.Optional(Time),
    resolution: Type.Optional(Resolution),
  },
  { additionalProperties: false },
);
export type SubmeterQuery = Static<typeof SubmeterQuery>;

export const SubmeterReadings = Type.Object({
  building_id: Id,
  appliance: Type.String(),
  start: Type.String(),
  end: Type.String(),
  resolution_s: Type.Integer(),
  /**
   * One point per bucket with either value: `power_w`, the sub-meter's mean power (what the
   * appliance drew); `estimate_w`, the model's mean estimate for the appliance; null where none.
   */
  points: Type.Array(
    Type.Object({
      time: Type.String(),
      power_w: Type.Union([Type.Number(), Type.Null()]),
      estimate_w: Type.Union([Type.Number(), Type.Null()]),
    }),
  ),
});
export type SubmeterReadings = Static<typeof SubmeterReadings>;

/** One span of the live scorecard: the stored estimate against the sub-meter, minute by minute. */
const ScoreSpan = Type.Object({
  start: Type.String(),
  end: Type.String(),
  /** F1 of on/off; null when neither was ever on, or the appliance has no on/off rule. */
  f1: Type.Union([Type.Number(), Type.Null()]),
  /** Mean absolute error in W; null without compared minutes. */
  mae_w: Type.Union([Type.Number(), Type.Null()]),
  energy_true_kwh: Type.Number(),
  energy_estimated_kwh: Type.Number(),
  /** (estimated - true) / true energy; null when the appliance used none. */
  energy_error: Type.Union([Type.Number(), Type.Null()]),
  /** Minutes with both an estimate and a sub-meter reading. */
  minutes: Type.Integer(),
  /** `minutes` over the span's minutes (0 to 1). */
  coverage: Type.Number(),
});

export const SubmeterScorecard = Type.Object({
  building_id: Id,
  /** `id@version` of the building's model, or null when it could not be loaded. */
  model: Type.Union([Type.String(), Type.Null()]),
  /** The end of both spans: now, to the minute. */
  end: Type.String(),
  /** One per appliance with a sub-meter source, in name order. */
  appliances: Type.Array(
    Type.Object({
      appliance: Type.String(),
      label: Type.String(),
      /** The model card's threshold on the on-probability (0.5 where the model has no head). */
      on_prob_threshold: Type.Number(),
      last_7_days: ScoreSpan,
      last_30_days: ScoreSpan,
      /** The last 7 days against the 23 days before them (docs/api.md has the rules). */
      drift: Type.Object({
        status: Type.Union([
          Type.Literal('ok'),
          Type.Literal('drifted'),
          Type.Literal('too_little_data'),
        ]),
        before: Type.Object({
          f1: Type.Union([Type.Number(), Type.Null()]),
          mae_w: Type.Union([Type.Number(), Type.Null()]),
          minutes: Type.Integer(),
        }),
        reasons: Type.Array(
          Type.Object({
            kind: Type.Union([Type.Literal('f1'), Type.Literal('mae'), Type.Literal('energy')]),
            /** F1 or MAE of the 23 days before; the metered kWh of the week for `energy`. */
            before: Type.Number(),
            /** The week's F1 or MAE; its estimated kWh for `energy`. */
            now: Type.Number(),
          }),
        ),
        /** A sentence for people when drifted, else null. */
        message: Type.Union([Type.String(), Type.Null()]),
      }),
    }),
  ),
});
export type SubmeterScorecard = Static<typeof SubmeterScorecard>;
