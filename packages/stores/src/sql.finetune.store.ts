/**
 * The fine-tune part of the metadata store (finetune.store.ts) over the shared SQL client, so
 * PGlite and PostgreSQL run the same statements.
 *
 * One job at a time per building is a partial unique index over the queued and running jobs, so
 * two creates at once cannot both pass a check. A claim picks its job with `FOR UPDATE SKIP
 * LOCKED`: a second claimer skips the row the first holds and takes the next one (or none), and
 * a row another claim just committed is checked again against the claim's condition. Finishing
 * locks the job row, so a claim, a cancel and a finish of one job run one after another. A pinned
 * model is numbered max + 1 of its building without a lock of its own: only the holder of the
 * building's one open job finishes, and the next job can only be created once that finish has
 * committed (the unique index waits for it); the unique (building, n) stops a mistake anyway.
 */
import { randomUUID } from 'node:crypto';
import type {
  FinetuneJob,
  FinetuneProgress,
  FinetuneStatus,
  FinetuneStore,
  PinnedModel,
  PinnedModelStatus,
} from './finetune.store.js';
import { ConflictError } from './metadata.store.js';
import type { SqlClient } from './metadata.migrations.js';

type Int8 = number | string | bigint;

interface JobRow {
  id: string;
  building_id: string;
  base_ref: string;
  appliances: unknown;
  settings: unknown;
  created_by: string | null;
  status: FinetuneStatus;
  progress: unknown;
  result_ref: string | null;
  error: string | null;
  attempts: number;
  lease_owner: string | null;
  lease_until: Int8 | null;
  created_at: Int8;
  updated_at: Int8;
}

interface ModelRow {
  ref: string;
  building_id: string;
  n: number;
  base_ref: string;
  card: unknown;
  scorecard: unknown;
  job_id: string | null;
  status: PinnedModelStatus;
  created_at: Int8;
  onnx?: Uint8Array;
}

const JOB_COLUMNS =
  'id, building_id, base_ref, appliances, settings, created_by, status, progress, result_ref, error, attempts, lease_owner, lease_until, created_at, updated_at';
const MODEL_COLUMNS = 'ref, building_id, n, base_ref, card, scorecard, job_id, status, created_at';

/** The jobs a claim may take: queued, or running with the lease run out by `now` ($2). */
const CLAIMABLE = `(status = 'queued' OR (status = 'running' AND lease_until < $2))`;

const DEFAULT_LIST_LIMIT = 50;

/** PostgreSQL's unique_violation and foreign_key_violation, raised by both PGlite and the server. */
const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

/** jsonb arrives parsed (PGlite, node-postgres) or, through some drivers, as text. */
const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

const errorCode = (err: unknown): unknown =>
  typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;

function toJob(r: JobRow): FinetuneJob {
  return {
    id: r.id,
    buildingId: r.building_id,
    baseRef: r.base_ref,
    appliances: json<string[]>(r.appliances),
    settings: json<Record<string, unknown>>(r.settings),
    createdBy: r.created_by,
    status: r.status,
    progress: r.progress === null ? null : json<FinetuneProgress>(r.progress),
    resultRef: r.result_ref,
    error: r.error,
    attempts: Number(r.attempts),
    leaseOwner: r.lease_owner,
    leaseUntil: r.lease_until === null ? null : Number(r.lease_until),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

function toModel(r: ModelRow): PinnedModel {
  return {
    ref: r.ref,
    buildingId: r.building_id,
    n: Number(r.n),
    baseRef: r.base_ref,
    card: json<Record<string, unknown>>(r.card),
    scorecard: json<Record<string, unknown>>(r.scorecard),
    jobId: r.job_id,
    status: r.status,
    createdAt: Number(r.created_at),
  };
}

/**
 * The ref of a building's `n`th pinned model: `<base id>+<building>@<n>`, where the base id is
 * the card's `id` up to its first `+`. The fine-tune sets that id to `<base id>+<building>`
 * (its base may itself be a pinned model, whose id already has the building: the base id stays
 * the registry's). Rejects a card whose id is not exactly that for this building.
 */
function pinnedRef(card: Record<string, unknown>, buildingId: string, n: number): string {
  const id = card.id;
  const base = typeof id === 'string' ? id.split('+')[0] : '';
  if (base === '' || id !== `${base}+${buildingId}`) {
    throw new Error(
      `the model card's id must be '<base id>+${buildingId}' for building ${buildingId}, ` +
        `not ${JSON.stringify(id)}`,
    );
  }
  return `${base}+${buildingId}@${n}`;
}

/** Build the fine-tune store on a SqlClient; `now` stamps what the interface gives no time for. */
export function createSqlFinetuneStore(client: SqlClient, now: () => number): FinetuneStore {
  const oneJob = async (sql: string, params: unknown[]): Promise<FinetuneJob | null> => {
    const rows = await client.query<JobRow>(sql, params);
    return rows.length === 0 ? null : toJob(rows[0]);
  };

  return {
    async createFinetuneJob(job) {
      const at = now();
      try {
        const rows = await client.query<JobRow>(
          `INSERT INTO finetune_jobs
             (id, building_id, base_ref, appliances, settings, created_by, status, attempts,
              created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, $7, $7)
           RETURNING ${JOB_COLUMNS}`,
          [
            randomUUID(),
            job.buildingId,
            job.baseRef,
            JSON.stringify(job.appliances),
            JSON.stringify(job.settings),
            job.createdBy,
            at,
          ],
        );
        return toJob(rows[0]);
      } catch (err) {
        const code = errorCode(err);
        if (code === UNIQUE_VIOLATION) {
          throw new ConflictError(
            `building ${job.buildingId} already has a fine-tune job queued or running; ` +
              'wait for it to end or cancel it',
          );
        }
        if (code === FOREIGN_KEY_VIOLATION) {
          throw new ConflictError(`building ${job.buildingId} does not exist`);
        }
        throw err;
      }
    },

    getFinetuneJob: (buildingId, jobId) =>
      oneJob(`SELECT ${JOB_COLUMNS} FROM finetune_jobs WHERE building_id = $1 AND id = $2`, [
        buildingId,
        jobId,
      ]),

    async listFinetuneJobs(buildingId, limit = DEFAULT_LIST_LIMIT) {
      if (!Number.isInteger(limit) || limit < 1) {
        throw new RangeError(`limit must be a whole number of at least 1, not ${limit}`);
      }
      const rows = await client.query<JobRow>(
        `SELECT ${JOB_COLUMNS} FROM finetune_jobs WHERE building_id = $1
         ORDER BY seq DESC LIMIT $2`,
        [buildingId, limit],
      );
      return rows.map(toJob);
    },

    claimFinetuneJob: ({ owner, now: at, leaseMs, buildingId }) =>
      // The outer condition repeats the inner one so the UPDATE never writes a row that stopped
      // being claimable between the pick and the write.
      oneJob(
        `UPDATE finetune_jobs
         SET status = 'running', lease_owner = $1, lease_until = $3, attempts = attempts + 1,
             updated_at = $2
         WHERE ${CLAIMABLE} AND id = (
           SELECT id FROM finetune_jobs
           WHERE ${CLAIMABLE} AND ($4::text IS NULL OR building_id = $4)
           ORDER BY seq LIMIT 1
           FOR UPDATE SKIP LOCKED)
         RETURNING ${JOB_COLUMNS}`,
        [owner, at, at + leaseMs, buildingId ?? null],
      ),

    async reportFinetuneProgress(jobId, owner, progress, leaseUntil) {
      const rows = await client.query<{ id: string }>(
        `UPDATE finetune_jobs SET progress = $3, lease_until = $4, updated_at = $5
         WHERE id = $1 AND status = 'running' AND lease_owner = $2
         RETURNING id`,
        [jobId, owner, JSON.stringify(progress), leaseUntil, now()],
      );
      return rows.length > 0;
    },

    finishFinetuneJob: (jobId, owner, outcome, at) =>
      client.transaction(async (tx) => {
        const held = await tx.query<JobRow>(
          `SELECT ${JOB_COLUMNS} FROM finetune_jobs
           WHERE id = $1 AND status = 'running' AND lease_owner = $2
           FOR UPDATE`,
          [jobId, owner],
        );
        if (held.length === 0) return { finished: false };
        const job = toJob(held[0]);
        if ('error' in outcome) {
          await tx.query(
            `UPDATE finetune_jobs SET status = 'failed', error = $2, updated_at = $3 WHERE id = $1`,
            [jobId, outcome.error, at],
          );
          return { finished: true };
        }
        const m = outcome.model;
        if (m.buildingId !== job.buildingId) {
          throw new Error(
            `job ${jobId} belongs to building ${job.buildingId}, not to ${m.buildingId}`,
          );
        }
        const [{ next }] = await tx.query<{ next: number }>(
          'SELECT (COALESCE(max(n), 0) + 1)::int AS next FROM building_models WHERE building_id = $1',
          [job.buildingId],
        );
        const ref = pinnedRef(m.card, job.buildingId, Number(next));
        const rows = await tx.query<ModelRow>(
          `INSERT INTO building_models
             (ref, building_id, n, base_ref, card, onnx, scorecard, job_id, status, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'candidate', $9)
           RETURNING ${MODEL_COLUMNS}`,
          [
            ref,
            job.buildingId,
            Number(next),
            m.baseRef,
            JSON.stringify(m.card),
            m.onnx,
            JSON.stringify(m.scorecard),
            jobId,
            at,
          ],
        );
        await tx.query(
          `UPDATE finetune_jobs SET status = 'done', result_ref = $2, updated_at = $3 WHERE id = $1`,
          [jobId, ref, at],
        );
        return { finished: true, model: toModel(rows[0]) };
      }),

    async cancelFinetuneJob(buildingId, jobId, at) {
      const rows = await client.query<{ id: string }>(
        `UPDATE finetune_jobs SET status = 'cancelled', updated_at = $3
         WHERE building_id = $1 AND id = $2 AND status IN ('queued', 'running')
         RETURNING id`,
        [buildingId, jobId, at],
      );
      return rows.length > 0;
    },

    async listPinnedModels(buildingId) {
      const rows = await client.query<ModelRow>(
        `SELECT ${MODEL_COLUMNS} FROM building_models WHERE building_id = $1 ORDER BY n DESC`,
        [buildingId],
      );
      return rows.map(toModel);
    },

    async getPinnedModel(ref) {
      const rows = await client.query<Required<ModelRow>>(
        `SELECT ${MODEL_COLUMNS}, onnx FROM building_models WHERE ref = $1`,
        [ref],
      );
      if (rows.length === 0) return null;
      // node-postgres gives a Buffer: hand back a plain Uint8Array over the same memory.
      const b = rows[0].onnx;
      return { ...toModel(rows[0]), onnx: new Uint8Array(b.buffer, b.byteOffset, b.byteLength) };
    },

    setPinnedModelStatus: (buildingId, ref, status) =>
      client.transaction(async (tx) => {
        // The building's row lock puts two activations one after the other, so the second
        // demotes what the first made active instead of colliding with it.
        await tx.query('SELECT id FROM buildings WHERE id = $1 FOR NO KEY UPDATE', [buildingId]);
        const found = await tx.query<{ ref: string }>(
          'SELECT ref FROM building_models WHERE building_id = $1 AND ref = $2',
          [buildingId, ref],
        );
        if (found.length === 0) return null;
        if (status === 'active') {
          await tx.query(
            `UPDATE building_models SET status = 'candidate'
             WHERE building_id = $1 AND status = 'active' AND ref <> $2`,
            [buildingId, ref],
          );
        }
        const rows = await tx.query<ModelRow>(
          `UPDATE building_models SET status = $3 WHERE building_id = $1 AND ref = $2
           RETURNING ${MODEL_COLUMNS}`,
          [buildingId, ref, status],
        );
        return toModel(rows[0]);
      }),
  };
}
