/**
 * The whole MetadataStore, written once over a tiny SQL client so PGlite and PostgreSQL run
 * the same statements. Every statement is parameterised; no value is ever spliced into SQL.
 */
import {
  ConflictError,
  LastOwnerError,
  type ApplianceSetting,
  type Building,
  type BuildingSource,
  type DeviceToken,
  type Member,
  type MemberRole,
  type MetadataStore,
  type SourceRole,
  type Tariff,
  type User,
  type UserRole,
} from './metadata.store.js';
import { runMigrations, type SqlClient, type SqlExecutor } from './metadata.migrations.js';
import {
  assertPendingQueries,
  backlogRows,
  resolutionRows,
  type PendingMarks,
  type PendingQuery,
  type PendingRange,
  type PendingResolution,
} from './estimate.backlog.js';
import { createSqlAlertStore } from './sql.alert.store.js';
import { createSqlPriceStore } from './sql.price.store.js';
import { createSqlDeviceStore } from './sql.device.store.js';
import { createSqlLabelStore } from './sql.label.store.js';
import { createSqlFinetuneStore } from './sql.finetune.store.js';
import { createSqlWatermarkStore } from './sql.watermark.store.js';

export type { SqlClient, SqlExecutor } from './metadata.migrations.js';

export interface SqlMetadataStoreOptions {
  /** Short name for logs and /ready, e.g. 'pglite' or 'postgres'. */
  kind: string;
  client: SqlClient;
  /** Clock for createdAt / revokedAt, epoch ms; Date.now unless a test fixes time. */
  now?: () => number;
}

// bigint columns arrive as number (PGlite) or string (node-postgres); Number() takes both.
type Int8 = number | string | bigint;

interface UserRow {
  id: string;
  email: string | null;
  role: UserRole;
  password_hash: string | null;
  created_at: Int8;
}

interface BuildingRow {
  id: string;
  name: string;
  timezone: string;
  is_demo: boolean;
  model_ref: string | null;
  created_at: Int8;
}

interface MemberRow {
  building_id: string;
  user_id: string;
  role: MemberRole;
}

interface DeviceTokenRow {
  id: string;
  building_id: string;
  name: string;
  token_hash: string;
  created_at: Int8;
  revoked_at: Int8 | null;
  last_used_at: Int8 | null;
}

interface ApplianceRow {
  building_id: string;
  appliance: string;
  label: string;
  enabled: boolean;
}

interface BacklogRow {
  building_id: string;
  bucket: Int8;
  from_ms: Int8;
  to_ms: Int8;
  seq: Int8;
  audit: boolean;
}

/**
 * Backlog rows per INSERT: a year-long import marks 8,760 hour buckets; 4 parameters each
 * stays far below PostgreSQL's 65,535.
 */
const MARK_ROWS_PER_STATEMENT = 1000;
/**
 * Queries per statement of listPendingMany, ranges per statement of resolvePendingMany, ids per
 * statement of getBuildingsMany.
 */
const ROWS_PER_LOOKUP = 1000;

interface SourceRow {
  id: string;
  building_id: string;
  name: string;
  type: string;
  role: SourceRole;
  appliance: string | null;
  settings: unknown;
  created_at: Int8;
  last_value_w: number | string | null;
  last_seen_at: Int8 | null;
  last_error: string | null;
  last_error_code: string | null;
  last_error_at: Int8 | null;
  last_phases_w: unknown;
}

const SOURCE_COLUMNS =
  'id, building_id, name, type, role, appliance, settings, created_at, last_value_w, last_seen_at, last_error, last_error_code, last_error_at, last_phases_w';

const BACKLOG_COLUMNS = 'building_id, bucket, from_ms, to_ms, seq, audit';
const USER_COLUMNS = 'id, email, role, password_hash, created_at';
const BUILDING_COLUMNS = 'id, name, timezone, is_demo, model_ref, created_at';
const TOKEN_COLUMNS = 'id, building_id, name, token_hash, created_at, revoked_at, last_used_at';

// The only columns updateBuilding may touch; patch keys outside this map are ignored, and
// column names come from here, never from the caller.
const BUILDING_PATCH_COLUMNS = {
  name: 'name',
  timezone: 'timezone',
  modelRef: 'model_ref',
} as const;

/** PostgreSQL's unique_violation, raised by both PGlite and the server. */
const UNIQUE_VIOLATION = '23505';

/** Build a MetadataStore on any SqlClient (PGlite, node-postgres, ...). */
export function createSqlMetadataStore(options: SqlMetadataStoreOptions): MetadataStore {
  const { kind, client } = options;
  const now = options.now ?? Date.now;

  async function getBuilding(id: string): Promise<Building | null> {
    const rows = await client.query<BuildingRow>(
      `SELECT ${BUILDING_COLUMNS} FROM buildings WHERE id = $1`,
      [id],
    );
    return rows.length === 0 ? null : toBuilding(rows[0]);
  }

  async function getBuildingsMany(ids: readonly string[]): Promise<Array<Building | null>> {
    const found = new Map<string, Building>();
    for (let i = 0; i < ids.length; i += ROWS_PER_LOOKUP) {
      const rows = await client.query<BuildingRow>(
        `SELECT ${BUILDING_COLUMNS} FROM buildings WHERE id = ANY($1::text[])`,
        [[...new Set(ids.slice(i, i + ROWS_PER_LOOKUP))]],
      );
      for (const r of rows) found.set(r.id, toBuilding(r));
    }
    return ids.map((id) => found.get(id) ?? null);
  }

  async function listPendingMany(queries: ReadonlyArray<PendingQuery>): Promise<PendingRange[][]> {
    assertPendingQueries(queries);
    const answer: PendingRange[][] = queries.map(() => []);
    for (let i = 0; i < queries.length; i += ROWS_PER_LOOKUP) {
      const params: unknown[] = [];
      const values = queries.slice(i, i + ROWS_PER_LOOKUP).map(({ buildingId, limit }, k) => {
        params.push(buildingId, limit);
        return `($${params.length - 1}::text, $${params.length}::bigint, ${i + k})`;
      });
      // Each query's own LIMIT, as listPending's, through a lateral subquery per query.
      const rows = await client.query<BacklogRow & { k: number }>(
        `SELECT q.k, e.* FROM (VALUES ${values.join(', ')}) AS q (building_id, lim, k)
         CROSS JOIN LATERAL (
           SELECT ${BACKLOG_COLUMNS} FROM estimate_backlog b WHERE b.building_id = q.building_id
           ORDER BY audit, to_ms DESC LIMIT q.lim) e
         ORDER BY q.k, e.audit, e.to_ms DESC`,
        params,
      );
      for (const r of rows) answer[Number(r.k)]!.push(toPendingRange(r));
    }
    return answer;
  }

  async function resolvePendingMany(entries: ReadonlyArray<PendingResolution>): Promise<void> {
    // Checked and merged before any SQL (one row per range): a bad entry resolves nothing.
    const rows = resolutionRows(entries);
    for (let i = 0; i < rows.length; i += ROWS_PER_LOOKUP) {
      const params: unknown[] = [];
      const values = rows.slice(i, i + ROWS_PER_LOOKUP).map((row) => {
        params.push(...row);
        const k = params.length;
        return `($${k - 3}::text, $${k - 2}::bigint, $${k - 1}::bigint, $${k}::bigint)`;
      });
      // A range is deleted when done whole or cut at or before its start, else shrunk to end
      // at the cut; either only while its seq is the one listed. Each range is named once, so
      // the two statements touch different rows, and each row's change stands alone: no
      // transaction needed. Plain DELETE and UPDATE of the backlog, so a read cache over the
      // client (sql.read.cache.ts) keeps its reads.
      const d = `(VALUES ${values.join(', ')}) AS d (building_id, bucket, seq, cut)`;
      const same = 'e.building_id = d.building_id AND e.bucket = d.bucket AND e.seq = d.seq';
      await client.query(
        `DELETE FROM estimate_backlog e USING ${d}
         WHERE ${same} AND (d.cut IS NULL OR e.from_ms >= d.cut)`,
        params,
      );
      if (rows.slice(i, i + ROWS_PER_LOOKUP).some((row) => row[3] !== null))
        await client.query(
          `UPDATE estimate_backlog e SET to_ms = d.cut FROM ${d}
           WHERE ${same} AND d.cut IS NOT NULL AND e.from_ms < d.cut`,
          params,
        );
    }
  }

  async function markPendingMany(entries: ReadonlyArray<PendingMarks>): Promise<void> {
    // Validated and merged before any SQL: a bad time refuses the whole call unmarked.
    const rows = backlogRows(entries);
    const at = now();
    // Rows ordered by building then bucket in every statement (the ORDER BY uses "C", the
    // order backlogRows sorts in), so concurrent marks take their row locks in one order and
    // cannot deadlock. The statements are not one transaction: each is durable alone, a mark
    // is idempotent, and no lock is held from one statement to the next.
    for (let i = 0; i < rows.length; i += MARK_ROWS_PER_STATEMENT) {
      const part = rows.slice(i, i + MARK_ROWS_PER_STATEMENT);
      const params: unknown[] = [at];
      const values = part.map(([buildingId, bucket, from, to]) => {
        params.push(buildingId, bucket, from, to);
        const k = params.length;
        return `($${k - 3}::text, $${k - 2}::bigint, $${k - 1}::bigint, $${k}::bigint)`;
      });
      // The join drops the rows of a building that does not exist (deleted meanwhile).
      await client.query(
        `INSERT INTO estimate_backlog (building_id, bucket, from_ms, to_ms, seq, audit, marked_at)
         SELECT b.id, v.bucket, v.from_ms, v.to_ms, nextval('estimate_backlog_seq'), false, $1
         FROM (VALUES ${values.join(', ')}) AS v (building_id, bucket, from_ms, to_ms)
         JOIN buildings b ON b.id = v.building_id
         ORDER BY v.building_id COLLATE "C", v.bucket
         ON CONFLICT (building_id, bucket) DO UPDATE
           SET from_ms = least(estimate_backlog.from_ms, EXCLUDED.from_ms),
               to_ms = greatest(estimate_backlog.to_ms, EXCLUDED.to_ms),
               seq = EXCLUDED.seq`,
        params,
      );
    }
  }

  return {
    kind,
    ...createSqlAlertStore(client, now),
    ...createSqlPriceStore(client),
    ...createSqlDeviceStore(client, now),
    ...createSqlLabelStore(client, now),
    ...createSqlFinetuneStore(client, now),
    ...createSqlWatermarkStore(client),

    async migrate() {
      await runMigrations(client, undefined, now);
    },

    async upsertUser(user) {
      // created_at is written on insert only: re-login of an external user keeps its history.
      const rows = await conflictAware(
        client.query<UserRow>(
          `INSERT INTO users (id, email, role, password_hash, created_at)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (id) DO UPDATE
             SET email = EXCLUDED.email, role = EXCLUDED.role, password_hash = EXCLUDED.password_hash
           RETURNING ${USER_COLUMNS}`,
          [user.id, user.email, user.role, user.passwordHash, now()],
        ),
        `email ${String(user.email)} already belongs to another user`,
      );
      return toUser(rows[0]);
    },

    async getUser(id) {
      const rows = await client.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [
        id,
      ]);
      return rows.length === 0 ? null : toUser(rows[0]);
    },

    async getUserByEmail(email) {
      const rows = await client.query<UserRow>(
        `SELECT ${USER_COLUMNS} FROM users WHERE lower(email) = lower($1)`,
        [email],
      );
      return rows.length === 0 ? null : toUser(rows[0]);
    },

    async listUsers() {
      const rows = await client.query<UserRow>(
        `SELECT ${USER_COLUMNS} FROM users ORDER BY created_at, id`,
      );
      return rows.map(toUser);
    },

    async createBuilding(b) {
      const rows = await conflictAware(
        // With its watermark row in the same statement: unfilled, as the time series may hold
        // points under this id from before (its first read scans once).
        client.query<BuildingRow>(
          `WITH b AS (
             INSERT INTO buildings (id, name, timezone, is_demo, model_ref, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING ${BUILDING_COLUMNS}
           ), w AS (INSERT INTO building_watermarks (building_id) SELECT id FROM b)
           SELECT ${BUILDING_COLUMNS} FROM b`,
          [b.id, b.name, b.timezone, b.isDemo, b.modelRef, now()],
        ),
        `building ${b.id} already exists; choose another id`,
      );
      return toBuilding(rows[0]);
    },

    getBuilding,
    getBuildingsMany,

    async listBuildings(forUserId) {
      const rows =
        forUserId === undefined
          ? await client.query<BuildingRow>(
              `SELECT ${BUILDING_COLUMNS} FROM buildings ORDER BY created_at, id`,
            )
          : await client.query<BuildingRow>(
              `SELECT ${BUILDING_COLUMNS} FROM buildings b
               WHERE EXISTS (
                 SELECT 1 FROM building_members m WHERE m.building_id = b.id AND m.user_id = $1
               )
               ORDER BY created_at, id`,
              [forUserId],
            );
      return rows.map(toBuilding);
    },

    async updateBuilding(id, patch) {
      const sets: string[] = [];
      const params: unknown[] = [id];
      for (const [key, column] of Object.entries(BUILDING_PATCH_COLUMNS)) {
        const value = patch[key as keyof typeof BUILDING_PATCH_COLUMNS];
        if (value === undefined) continue;
        params.push(value);
        sets.push(`${column} = $${params.length}`);
      }
      if (sets.length === 0) return getBuilding(id);
      const rows = await client.query<BuildingRow>(
        `UPDATE buildings SET ${sets.join(', ')} WHERE id = $1 RETURNING ${BUILDING_COLUMNS}`,
        params,
      );
      return rows.length === 0 ? null : toBuilding(rows[0]);
    },

    async deleteBuilding(id) {
      // Members, device tokens and appliance settings go with it (ON DELETE CASCADE).
      const rows = await client.query('DELETE FROM buildings WHERE id = $1 RETURNING id', [id]);
      return rows.length > 0;
    },

    async setMember(m) {
      const upsert = (on: SqlExecutor) =>
        on.query<MemberRow>(
          `INSERT INTO building_members (building_id, user_id, role) VALUES ($1, $2, $3)
           ON CONFLICT (building_id, user_id) DO UPDATE SET role = EXCLUDED.role
           RETURNING building_id, user_id, role`,
          [m.buildingId, m.userId, m.role],
        );
      // Making someone owner never takes an owner away, so it needs neither lock nor check.
      const rows =
        m.role === 'owner'
          ? await upsert(client)
          : await client.transaction(async (tx) => {
              await keepAnotherOwner(tx, m.buildingId, m.userId);
              return upsert(tx);
            });
      return toMember(rows[0]);
    },

    async removeMember(buildingId, userId) {
      const rows = await client.transaction(async (tx) => {
        await keepAnotherOwner(tx, buildingId, userId);
        return tx.query(
          'DELETE FROM building_members WHERE building_id = $1 AND user_id = $2 RETURNING user_id',
          [buildingId, userId],
        );
      });
      return rows.length > 0;
    },

    async getMemberRole(buildingId, userId) {
      const rows = await client.query<{ role: MemberRole }>(
        'SELECT role FROM building_members WHERE building_id = $1 AND user_id = $2',
        [buildingId, userId],
      );
      return rows.length === 0 ? null : rows[0].role;
    },

    async listMembers(buildingId) {
      const rows = await client.query<MemberRow>(
        `SELECT building_id, user_id, role FROM building_members
         WHERE building_id = $1 ORDER BY user_id`,
        [buildingId],
      );
      return rows.map(toMember);
    },

    async listMembersWithEmail(buildingId) {
      const rows = await client.query<MemberRow & { email: string | null }>(
        `SELECT m.building_id, m.user_id, m.role, u.email FROM building_members m
         LEFT JOIN users u ON u.id = m.user_id
         WHERE m.building_id = $1 ORDER BY m.user_id`,
        [buildingId],
      );
      return rows.map((r) => ({ ...toMember(r), email: r.email ?? null }));
    },

    async createDeviceToken(t) {
      const rows = await conflictAware(
        client.query<DeviceTokenRow>(
          `INSERT INTO device_tokens (id, building_id, name, token_hash, created_at)
           VALUES ($1, $2, $3, $4, $5)
           RETURNING ${TOKEN_COLUMNS}`,
          [t.id, t.buildingId, t.name, t.tokenHash, now()],
        ),
        `device token ${t.id} or its hash already exists; generate a new token`,
      );
      return toDeviceToken(rows[0]);
    },

    async listDeviceTokens(buildingId) {
      const rows = await client.query<DeviceTokenRow>(
        `SELECT ${TOKEN_COLUMNS} FROM device_tokens WHERE building_id = $1 ORDER BY created_at, id`,
        [buildingId],
      );
      return rows.map(toDeviceToken);
    },

    async findDeviceToken(tokenHash) {
      const rows = await client.query<DeviceTokenRow>(
        `SELECT ${TOKEN_COLUMNS} FROM device_tokens WHERE token_hash = $1 AND revoked_at IS NULL`,
        [tokenHash],
      );
      return rows.length === 0 ? null : toDeviceToken(rows[0]);
    },

    async revokeDeviceToken(buildingId, id) {
      // The first revocation time is kept; revoking again reports false (nothing changed).
      const rows = await client.query(
        `UPDATE device_tokens SET revoked_at = $3
         WHERE building_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING id`,
        [buildingId, id, now()],
      );
      return rows.length > 0;
    },

    async touchDeviceToken(id, at) {
      // GREATEST ignores NULL, and a late, older touch (requests finishing out of order)
      // never moves last_used_at back.
      await client.query(
        'UPDATE device_tokens SET last_used_at = GREATEST(last_used_at, $2) WHERE id = $1',
        [id, at],
      );
    },

    async setAppliance(a) {
      const rows = await client.query<ApplianceRow>(
        `INSERT INTO building_appliances (building_id, appliance, label, enabled)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (building_id, appliance) DO UPDATE
           SET label = EXCLUDED.label, enabled = EXCLUDED.enabled
         RETURNING building_id, appliance, label, enabled`,
        [a.buildingId, a.appliance, a.label, a.enabled],
      );
      return toAppliance(rows[0]);
    },

    async listAppliances(buildingId) {
      const rows = await client.query<ApplianceRow>(
        `SELECT building_id, appliance, label, enabled FROM building_appliances
         WHERE building_id = $1 ORDER BY appliance`,
        [buildingId],
      );
      return rows.map(toAppliance);
    },

    async getAppliancesPresent(buildingId) {
      const rows = await client.query<{ appliances: unknown }>(
        'SELECT appliances FROM building_appliances_present WHERE building_id = $1',
        [buildingId],
      );
      return rows.length === 0 ? null : toNames(rows[0].appliances);
    },

    async setAppliancesPresent(buildingId, appliances) {
      const names = [...new Set(appliances)].sort();
      const rows = await client.query<{ appliances: unknown }>(
        `INSERT INTO building_appliances_present (building_id, appliances, updated_at)
         VALUES ($1, $2, $3)
         ON CONFLICT (building_id) DO UPDATE
           SET appliances = EXCLUDED.appliances, updated_at = EXCLUDED.updated_at
         RETURNING appliances`,
        [buildingId, JSON.stringify(names), now()],
      );
      return toNames(rows[0].appliances);
    },

    async getTariff(buildingId) {
      const rows = await client.query<{ tariff: unknown }>(
        'SELECT tariff FROM building_tariffs WHERE building_id = $1',
        [buildingId],
      );
      return rows.length === 0 ? null : toTariff(rows[0].tariff);
    },

    async setTariff(buildingId, tariff) {
      // Only the contract's fields are stored, so nothing a caller tacks on is kept.
      const doc: Tariff = {
        currency: tariff.currency,
        pricePerKwh: tariff.pricePerKwh,
        bands: tariff.bands.map((b) => ({
          name: b.name,
          start: b.start,
          end: b.end,
          pricePerKwh: b.pricePerKwh,
        })),
        ...(tariff.standingChargePerDay !== undefined && {
          standingChargePerDay: tariff.standingChargePerDay,
        }),
        ...(tariff.exportPricePerKwh !== undefined && {
          exportPricePerKwh: tariff.exportPricePerKwh,
        }),
        ...(tariff.dynamic !== undefined && { dynamic: dynamicOf(tariff.dynamic) }),
      };
      const rows = await client.query<{ tariff: unknown }>(
        `INSERT INTO building_tariffs (building_id, tariff, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (building_id) DO UPDATE
           SET tariff = EXCLUDED.tariff, updated_at = EXCLUDED.updated_at
         RETURNING tariff`,
        [buildingId, JSON.stringify(doc), now()],
      );
      return toTariff(rows[0].tariff);
    },

    // markPendingMany of one entry: one marked building per call measured no slower on PGlite
    // than markPending's former single-building statement (within the noise of a shared host).
    markPending: (buildingId, timesMs) => markPendingMany([{ buildingId, timesMs }]),
    markPendingMany,

    async listPending(buildingId, limit) {
      const rows = await client.query<BacklogRow>(
        `SELECT ${BACKLOG_COLUMNS} FROM estimate_backlog WHERE building_id = $1
         ORDER BY audit, to_ms DESC LIMIT $2`,
        [buildingId, limit],
      );
      return rows.map(toPendingRange);
    },
    listPendingMany,

    // One or two statements, where it was a transaction of one or two per range.
    resolvePending: (buildingId, done) => resolvePendingMany([{ buildingId, done }]),
    resolvePendingMany,

    async buildingsWithPending(limit) {
      const rows = await client.query<{ building_id: string }>(
        `SELECT building_id FROM estimate_backlog GROUP BY building_id
         ORDER BY min(marked_at), building_id LIMIT $1`,
        [limit],
      );
      return rows.map((r) => r.building_id);
    },

    async backlogSummary(buildingId) {
      const rows = await client.query<{
        ranges: Int8;
        pending_ms: Int8 | null;
        from_ms: Int8 | null;
        to_ms: Int8 | null;
        audit: boolean | null;
      }>(
        `SELECT count(*) AS ranges,
                sum(to_ms - from_ms) FILTER (WHERE NOT audit) AS pending_ms,
                min(from_ms) FILTER (WHERE NOT audit) AS from_ms,
                max(to_ms) FILTER (WHERE NOT audit) AS to_ms,
                bool_or(audit) AS audit
         FROM estimate_backlog WHERE building_id = $1`,
        [buildingId],
      );
      const r = rows[0];
      return {
        ranges: Number(r.ranges),
        pendingMs: Number(r.pending_ms ?? 0),
        fromMs: epochMs(r.from_ms),
        toMs: epochMs(r.to_ms),
        audit: r.audit === true,
      };
    },

    async createSource(src) {
      const rows = await conflictAware(
        client.query<SourceRow>(
          `INSERT INTO building_sources
             (id, building_id, name, type, role, appliance, settings, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${SOURCE_COLUMNS}`,
          [
            src.id,
            src.buildingId,
            src.name,
            src.type,
            src.role,
            src.appliance ?? null,
            JSON.stringify(src.settings),
            now(),
          ],
        ),
        `source ${src.id} already exists`,
      );
      return toSource(rows[0]);
    },

    async getSource(id) {
      const rows = await client.query<SourceRow>(
        `SELECT ${SOURCE_COLUMNS} FROM building_sources WHERE id = $1`,
        [id],
      );
      return rows.length === 0 ? null : toSource(rows[0]);
    },

    async listSources(buildingId) {
      const rows =
        buildingId === undefined
          ? await client.query<SourceRow>(
              `SELECT ${SOURCE_COLUMNS} FROM building_sources ORDER BY created_at, id`,
            )
          : await client.query<SourceRow>(
              `SELECT ${SOURCE_COLUMNS} FROM building_sources WHERE building_id = $1
               ORDER BY created_at, id`,
              [buildingId],
            );
      return rows.map(toSource);
    },

    async updateSource(id, patch) {
      const rows = await client.query<SourceRow>(
        `UPDATE building_sources
         SET name = coalesce($2, name), role = coalesce($3, role),
             settings = coalesce($4::jsonb, settings),
             appliance = CASE WHEN $5::boolean THEN $6 ELSE appliance END
         WHERE id = $1 RETURNING ${SOURCE_COLUMNS}`,
        [
          id,
          patch.name ?? null,
          patch.role ?? null,
          patch.settings === undefined ? null : JSON.stringify(patch.settings),
          patch.role !== undefined || patch.appliance !== undefined,
          patch.appliance ?? null,
        ],
      );
      return rows.length === 0 ? null : toSource(rows[0]);
    },

    async deleteSource(id) {
      const rows = await client.query<{ id: string }>(
        'DELETE FROM building_sources WHERE id = $1 RETURNING id',
        [id],
      );
      return rows.length > 0;
    },

    async recordSourceEvent(id, event) {
      if (event.kind === 'value') {
        await client.query(
          `UPDATE building_sources SET last_value_w = $2, last_seen_at = $3, last_phases_w = $4
           WHERE id = $1`,
          [id, event.valueW, event.at, event.phasesW ? JSON.stringify(event.phasesW) : null],
        );
      } else {
        await client.query(
          `UPDATE building_sources SET last_error = $2, last_error_code = $3, last_error_at = $4
           WHERE id = $1`,
          [id, event.message, event.code, event.at],
        );
      }
    },

    async claimSourcePoll(id, holder, nowMs, untilMs) {
      // One statement: PostgreSQL re-checks the WHERE of a row another claim just updated, so
      // two processes racing for a free lease cannot both win.
      const rows = await client.query<{ id: string }>(
        `UPDATE building_sources SET poll_holder = $2, poll_lease_until = $4
         WHERE id = $1 AND (poll_holder IS NULL OR poll_holder = $2 OR poll_lease_until <= $3)
         RETURNING id`,
        [id, holder, nowMs, untilMs],
      );
      return rows.length > 0;
    },

    async releaseSourcePoll(id, holder) {
      await client.query(
        `UPDATE building_sources SET poll_holder = NULL, poll_lease_until = NULL
         WHERE id = $1 AND poll_holder = $2`,
        [id, holder],
      );
    },

    async ping() {
      await client.query('SELECT 1');
    },

    async close() {
      await client.close();
    },
  };
}

/**
 * Inside a member-changing transaction: reject with LastOwnerError when `userId` is the only
 * owner of `buildingId`, before the change is written. The building row is locked first, so
 * changes that may take an owner away from one building run one after another: without it, two
 * owners demoting each other at once under READ COMMITTED would each still see the other as
 * owner and both succeed (write skew). NO KEY UPDATE rather than UPDATE, so the KEY SHARE
 * locks of foreign-key checks (a token or member inserted meanwhile) are not blocked.
 */
async function keepAnotherOwner(
  tx: SqlExecutor,
  buildingId: string,
  userId: string,
): Promise<void> {
  await tx.query('SELECT id FROM buildings WHERE id = $1 FOR NO KEY UPDATE', [buildingId]);
  const owners = await tx.query<{ user_id: string }>(
    "SELECT user_id FROM building_members WHERE building_id = $1 AND role = 'owner'",
    [buildingId],
  );
  if (owners.length === 1 && owners[0].user_id === userId) {
    throw new LastOwnerError(buildingId, userId);
  }
}

/** Turn PostgreSQL's unique violation into the contract's ConflictError; pass the rest on. */
async function conflictAware<T>(pending: Promise<T>, message: string): Promise<T> {
  try {
    return await pending;
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError(message);
    throw err;
  }
}

function isUniqueViolation(err: unknown): boolean {
  return (
    typeof err === 'object' && err !== null && (err as { code?: unknown }).code === UNIQUE_VIOLATION
  );
}

function epochMs(v: Int8): number;
function epochMs(v: Int8 | null): number | null;
function epochMs(v: Int8 | null): number | null {
  return v === null ? null : Number(v);
}

function toUser(r: UserRow): User {
  return {
    id: r.id,
    email: r.email,
    role: r.role,
    passwordHash: r.password_hash,
    createdAt: epochMs(r.created_at),
  };
}

function toBuilding(r: BuildingRow): Building {
  return {
    id: r.id,
    name: r.name,
    timezone: r.timezone,
    isDemo: r.is_demo,
    modelRef: r.model_ref,
    createdAt: epochMs(r.created_at),
  };
}

function toMember(r: MemberRow): Member {
  return { buildingId: r.building_id, userId: r.user_id, role: r.role };
}

function toDeviceToken(r: DeviceTokenRow): DeviceToken {
  return {
    id: r.id,
    buildingId: r.building_id,
    name: r.name,
    tokenHash: r.token_hash,
    createdAt: epochMs(r.created_at),
    revokedAt: epochMs(r.revoked_at),
    lastUsedAt: epochMs(r.last_used_at),
  };
}

function toAppliance(r: ApplianceRow): ApplianceSetting {
  return {
    buildingId: r.building_id,
    appliance: r.appliance,
    label: r.label,
    enabled: r.enabled,
  };
}

function toSource(r: SourceRow): BuildingSource {
  return {
    id: r.id,
    buildingId: r.building_id,
    name: r.name,
    type: r.type,
    role: r.role,
    appliance: r.appliance,
    settings: (typeof r.settings === 'string' ? JSON.parse(r.settings) : r.settings) as Record<
      string,
      unknown
    >,
    createdAt: epochMs(r.created_at),
    lastValueW: r.last_value_w === null ? null : Number(r.last_value_w),
    lastSeenAt: epochMs(r.last_seen_at),
    lastError: r.last_error,
    lastErrorCode: r.last_error_code,
    lastErrorAt: epochMs(r.last_error_at),
    lastPhasesW:
      r.last_phases_w === null
        ? null
        : ((typeof r.last_phases_w === 'string'
            ? JSON.parse(r.last_phases_w)
            : r.last_phases_w) as number[]),
  };
}

function toPendingRange(r: BacklogRow): PendingRange {
  return {
    buildingId: r.building_id,
    bucket: Number(r.bucket),
    fromMs: Number(r.from_ms),
    toMs: Number(r.to_ms),
    seq: String(r.seq),
    audit: r.audit,
  };
}

/** jsonb arrives parsed (PGlite, node-postgres); a string is parsed, for drivers that do not. */
/** A jsonb list of names (drivers give it parsed; a text column would give a string). */
function toNames(v: unknown): string[] {
  const list: unknown = typeof v === 'string' ? JSON.parse(v) : v;
  if (!Array.isArray(list) || !list.every((x) => typeof x === 'string'))
    throw new Error(`building_appliances_present holds ${JSON.stringify(v)}, not a list of names`);
  return list;
}

/** Only a dynamic source's own fields are stored. */
function dynamicOf(d: Tariff['dynamic']): Tariff['dynamic'] {
  if (!d) return null;
  return d.source === 'octopus'
    ? { source: 'octopus', product: d.product, tariff: d.tariff }
    : { source: 'csv' };
}

function toTariff(v: unknown): Tariff {
  return (typeof v === 'string' ? JSON.parse(v) : v) as Tariff;
}
