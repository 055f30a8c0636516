/**
 * The fine-tune API's schemas (issue 13.4, 13.5): jobs at `/buildings/{id}/finetune` that teach
 * the building's model from its sub-meters and labels, and the models they make, pinned to the
 * building (`<base id>+<building>@<n>`), at `/buildings/{id}/models`, each with a scorecard that
 * compares it with its base on the building's held-out minutes.
 */
import { Type, type Static } from 'typebox';
import { Id } from './api.contracts.js';

const ApplianceName = Type.String({ minLength: 1, maxLength: 128 });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) =>
  Type.Union([t, Type.Null()]);

/** The epochs a fine-tune may ask for (the web form offers exactly these). */
export const FINETUNE_EPOCHS = { min: 1, max: 50 } as const;

export const FinetuneBody = Type.Object(
  {
    /** The heads to teach: ones the model has, or new appliances (a head is added). */
    appliances: Type.Optional(
      Type.Array(ApplianceName, {
        minItems: 1,
        maxItems: 4,
        description: 'Appliances of the vocabulary to teach (a head is added for a new one)',
      }),
    ),
    /**
     * Found devices the owner named (their ids) to teach a head each, named as the device's
     * estimates are; it learns from the device's runs (0 W between them) and from sub-meters and
     * labels of that name. Give appliances, devices or both: four heads at most in all.
     */
    devices: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
        minItems: 1,
        maxItems: 4,
        description:
          "Ids of named found devices to teach a head each (named as the device's estimates); it learns from the device's runs, 0 W between them, and from sub-meters and labels of that name",
      }),
    ),
    /** The model to start from; default the building's model (its own, else the active one). */
    base: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    epochs: Type.Optional(
      Type.Integer({ minimum: FINETUNE_EPOCHS.min, maximum: FINETUNE_EPOCHS.max }),
    ),
    /** A bound on the training time, at most 300 s. */
    max_seconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 300 })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 })),
  },
  { additionalProperties: false },
);
export type FinetuneBody = Static<typeof FinetuneBody>;

export const FinetuneStatus = Type.Union([
  Type.Literal('queued'),
  Type.Literal('running'),
  Type.Literal('done'),
  Type.Literal('failed'),
  Type.Literal('cancelled'),
]);

export const FinetuneJob = Type.Object({
  id: Type.String(),
  building_id: Id,
  base: Type.String(),
  appliances: Type.Array(Type.String()),
  status: FinetuneStatus,
  /** Epochs and steps done of how many, and the mean training loss so far. */
  progress: Nullable(
    Type.Object({
      epoch: Type.Integer(),
      epochs: Type.Integer(),
      step: Type.Integer(),
      steps: Type.Integer(),
      loss: Nullable(Type.Number()),
    }),
  ),
  /** The model it made, when done. */
  model: Nullable(Type.String()),
  error: Nullable(Type.String()),
  attempts: Type.Integer(),
  created_at: Type.String(),
  updated_at: Type.String(),
});
export type FinetuneJob = Static<typeof FinetuneJob>;

export const FinetuneJobList = Type.Object({ jobs: Type.Array(FinetuneJob) });
export type FinetuneJobList = Static<typeof FinetuneJobList>;

export const FinetuneJobParams = Type.Object({
  id: Id,
  jobId: Type.String({ minLength: 1, maxLength: 64 }),
});

const Score = Type.Object({
  f1: Nullable(Type.Number()),
  mae_w: Nullable(Type.Number()),
  energy_true_kwh: Type.Number(),
  energy_pred_kwh: Type.Number(),
  energy_error: Nullable(Type.Number()),
  minutes: Type.Integer(),
});
const Part = Type.Object({ minutes: Type.Integer(), from: Type.String(), to: Type.String() });

export const Scorecard = Type.Object({
  /** The minutes scored: the newest fifth of the known ones, never trained on. */
  held_out: Part,
  trained_on: Part,
  appliances: Type.Record(Type.String(), Type.Object({ base: Score, tuned: Score })),
});
export type Scorecard = Static<typeof Scorecard>;

export const PinnedModelStatus = Type.Union([
  Type.Literal('candidate'),
  Type.Literal('active'),
  Type.Literal('discarded'),
]);

export const PinnedModel = Type.Object({
  ref: Type.String(),
  building_id: Id,
  n: Type.Integer(),
  base: Type.String(),
  status: PinnedModelStatus,
  /** The heads it trained, and those it added to its base. */
  heads: Type.Array(Type.String()),
  added: Type.Array(Type.String()),
  appliances: Type.Array(Type.String()),
  training_seconds: Nullable(Type.Number()),
  scorecard: Scorecard,
  job_id: Nullable(Type.String()),
  created_at: Type.String(),
});
export type PinnedModel = Static<typeof PinnedModel>;

export const PinnedModelList = Type.Object({ models: Type.Array(PinnedModel) });
export type PinnedModelList = Static<typeof PinnedModelList>;

export const PinnedModelParams = Type.Object({
  id: Id,
  ref: Type.String({ minLength: 1, maxLength: 300 }),
});
