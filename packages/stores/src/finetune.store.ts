/**
 * The fine-tune part of the metadata store (issue 13.4, 13.5): a building's fine-tune jobs, which
 * any worker may claim and run (a lease says who runs one and until when, so a job whose worker
 * died is taken over), and the models they produce, pinned to the building
 * (`<base>+<building>@<n>`), with the scorecard that compares each with its base on the
 * building's held-out data. Models live here, not in the file registry, so every API and worker
 * process sees the same ones. Every implementation passes `finetune.conformance.ts`.
 */

export type FinetuneStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** Where a running job is: epochs and steps done of how many, and the mean training loss. */
export interface FinetuneProgress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number | null;
}

export interface NewFinetuneJob {
  buildingId: string;
  /** The model it starts from (a registry ref, or another pinned model of the building). */
  baseRef: string;
  /** The heads it trains (canonical appliance names). */
  appliances: string[];
  /** The fine-tune settings as given (validated by the service). */
  settings: Record<string, unknown>;
  createdBy: string | null;
}

export interface FinetuneJob extends NewFinetuneJob {
  id: string;
  status: FinetuneStatus;
  progress: FinetuneProgress | null;
  /** The pinned model it made (when done). */
  resultRef: string | null;
  /** Why it failed, for the owner. */
  error: string | null;
  /** Runs started (a taken-over job counts again). */
  attempts: number;
  leaseOwner: string | null;
  leaseUntil: number | null;
  createdAt: number;
  updatedAt: number;
}

export type PinnedModelStatus = 'candidate' | 'active' | 'discarded';

export interface NewPinnedModel {
  buildingId: string;
  baseRef: string;
  /** The model card (JSON), with `id` `<base id>+<building>` and `version` the number. */
  card: Record<string, unknown>;
  /** The ONNX model bytes. */
  onnx: Uint8Array;
  /** Per appliance, the base's and the fine-tuned model's scores on held-out data. */
  scorecard: Record<string, unknown>;
  jobId: string | null;
}

export interface PinnedModel extends Omit<NewPinnedModel, 'onnx'> {
  /** `<base id>+<building>@<n>`. */
  ref: string;
  /** 1, 2, ... per building, in order of creation. */
  n: number;
  status: PinnedModelStatus;
  createdAt: number;
}

export interface FinetuneStore {
  /**
   * Queue a job. Rejects with `ConflictError` when the building already has one queued or
   * running (one at a time per building), and when the building does not exist.
   */
  createFinetuneJob(job: NewFinetuneJob): Promise<FinetuneJob>;
  getFinetuneJob(buildingId: string, jobId: string): Promise<FinetuneJob | null>;
  /** The building's jobs, newest first, at most `limit` (default 50). */
  listFinetuneJobs(buildingId: string, limit?: number): Promise<FinetuneJob[]>;
  /**
   * Claim the oldest job that is queued, or running with its lease expired (`now` past
   * `leaseUntil`), of `buildingId` when given, else of any building: it becomes running, held by
   * `owner` until `now + leaseMs`, attempts + 1. Two claimers never get the same job.
   */
  claimFinetuneJob(opts: {
    owner: string;
    now: number;
    leaseMs: number;
    buildingId?: string;
  }): Promise<FinetuneJob | null>;
  /**
   * Record progress and extend the lease, only while `owner` holds it (false otherwise: the job
   * was taken over or cancelled, and its runner should stop).
   */
  reportFinetuneProgress(
    jobId: string,
    owner: string,
    progress: FinetuneProgress,
    leaseUntil: number,
  ): Promise<boolean>;
  /**
   * Finish a job `owner` holds: done with the model it made (stored with it, in one
   * transaction, numbered next for the building) or failed with the reason. False when `owner`
   * no longer holds it (nothing stored).
   */
  finishFinetuneJob(
    jobId: string,
    owner: string,
    outcome: { model: Omit<NewPinnedModel, 'jobId'> } | { error: string },
    now: number,
  ): Promise<{ finished: boolean; model?: PinnedModel }>;
  /** Cancel a queued or running job; false when it had already ended. */
  cancelFinetuneJob(buildingId: string, jobId: string, now: number): Promise<boolean>;

  /** The building's pinned models, newest first (without their bytes). */
  listPinnedModels(buildingId: string): Promise<PinnedModel[]>;
  /** One pinned model by ref, with its bytes; null when there is none. */
  getPinnedModel(ref: string): Promise<(PinnedModel & { onnx: Uint8Array }) | null>;
  /**
   * Set a pinned model's status. `active` makes every other of the building's models that was
   * active a candidate again (one active at a time). Returns the model, or null when the
   * building has no model with this ref.
   */
  setPinnedModelStatus(
    buildingId: string,
    ref: string,
    status: PinnedModelStatus,
  ): Promise<PinnedModel | null>;
}
