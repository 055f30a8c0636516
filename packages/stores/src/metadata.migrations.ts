/**
 * The metadata schema as ordered, numbered migrations, and the one runner that applies them.
 * The SQL is plain PostgreSQL that PGlite (PostgreSQL compiled to WASM) runs unchanged, so the
 * embedded and the server deployments share one dialect and one schema history.
 *
 * Rules for adding a migration: append with the next version number, never edit or reorder a
 * released one (databases in the field have already applied it), one statement per string
 * (PGlite's extended protocol refuses several statements in one query).
 *
 * The SQL client interface lives here, not beside the SQL store, because the runner is the
 * lowest layer that needs it; `sql.metadata.store.ts` re-exports it.
 */

/** Something that runs one parameterised statement ($1, $2 ...) and returns its rows. */
export interface SqlExecutor {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

/** The tiny database client both metadata stores are built on. */
export interface SqlClient extends SqlExecutor {
  /** Run `fn` in one transaction: commit when it resolves, roll back when it rejects. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface Migration {
  /** Strictly increasing, starting at 1. */
  version: number;
  name: string;
  /** Run in order inside the migration transaction. */
  statements: readonly string[];
}

/**
 * Key of the transaction-scoped advisory lock that serialises migrators ('nilm' in ASCII).
 * Every process that migrates this schema must use the same key.
 */
export const MIGRATION_LOCK_KEY = 0x6e696c6d;

// Timestamps are bigint epoch milliseconds, the unit of the store interface, so no time zone
// conversion happens anywhere between the database and the API.
export const METADATA_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'users',
    statements: [
      `CREATE TABLE users (
        id text PRIMARY KEY,
        email text,
        role text NOT NULL CONSTRAINT users_role_check CHECK (role IN ('admin', 'user')),
        password_hash text,
        created_at bigint NOT NULL
      )`,
      // Case-insensitive: people type their address with varying case, and one address must
      // not map to two accounts. NULLs (users without an email) do not collide.
      `CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email))`,
    ],
  },
  {
    version: 2,
    name: 'buildings and members',
    statements: [
      // The id appears in URLs, MQTT topics and time-series tags, hence the narrow alphabet.
      `CREATE TABLE buildings (
        id text PRIMARY KEY CONSTRAINT buildings_id_format CHECK (id ~ '^[a-zA-Z0-9_-]{1,64}$'),
        name text NOT NULL,
        timezone text NOT NULL,
        is_demo boolean NOT NULL DEFAULT false,
        model_ref text,
        created_at bigint NOT NULL
      )`,
      `CREATE TABLE building_members (
        building_id text NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,
        user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        role text NOT NULL
          CONSTRAINT building_members_role_check CHECK (role IN ('owner', 'member', 'viewer')),
        PRIMARY KEY (building_id, user_id)
      )`,
      // listBuildings(userId) looks members up by user; the primary key only serves building.
      `CREATE INDEX building_members_user_id_idx ON building_members (user_id)`,
    ],
  },
  {
    version: 3,
    name: 'device tokens',
    statements: [
      // The hash format check stops a caller from storing the secret itself by mistake.
      `CREATE TABLE device_tokens (
        id text PRIMARY KEY,
        building_id text NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,
        name text NOT NULL,
        token_hash text NOT NULL
          CONSTRAINT device_tokens_token_hash_key UNIQUE
          CONSTRAINT device_tokens_token_hash_format CHECK (token_hash ~ '^[0-9a-f]{64}$'),
        created_at bigint NOT NULL,
        revoked_at bigint,
        last_used_at bigint
      )`,
      `CREATE INDEX device_tokens_building_id_idx ON device_tokens (building_id)`,
    ],
  },
  {
    version: 4,
    name: 'building appliances',
    statements: [
      `CREATE TABLE building_appliances (
        building_id text NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,
        appliance text NOT NULL,
        label text NOT NULL,
        enabled boolean NOT NULL,
        PRIMARY KEY (building_id, appliance)
      )`,
    ],
  },
  {
    version: 5,
    name: 'building tariffs',
    statements: [
      // Its own table rather than a column on buildings: a building without a row has never had
      // a tariff set (the API then answers its default). The tariff is read and written whole,
      // never queried inside, so one jsonb document; the API validates its shape.
      `CREATE TABLE building_tariffs (
        building_id text PRIMARY KEY REFERENCES buildings (id) ON DELETE CASCADE,
        tariff jsonb NOT NULL,
        updated_at bigint NOT NULL
      )`,
    ],
  },
  {
    version: 6,
    name: 'estimate backlog',
    statements: [
      // What the worker has left to estimate (estimate.backlog.ts): one row per building and
      // hour bucket that received readings since it was last estimated. `seq` changes on every
      // mark, so a worker resolves a row only if nothing was marked while it worked.
      `CREATE SEQUENCE estimate_backlog_seq`,
      `CREATE TABLE estimate_backlog (
        building_id text NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,
        bucket bigint NOT NULL,
        from_ms bigint NOT NULL,
        to_ms bigint NOT NULL,
        seq bigint NOT NULL,
        audit boolean NOT NULL DEFAULT false,
        marked_at bigint NOT NULL,
        PRIMARY KEY (building_id, bucket)
      )`,
      // The reconcile loop asks which buildings wait longest; this keeps that off the table scan.
      `CREATE INDEX estimate_backlog_marked_at_idx ON estimate_backlog (marked_at)`,
      // Buildings from before the backlog may hold readings that never got estimates (history
      // that arrived while live data flowed): each gets one audit range over all of time.
      `INSERT INTO estimate_backlog (building_id, bucket, from_ms, to_ms, seq, audit, marked_at)
       SELECT id, -1, 0, 9223372036854, nextval('estimate_backlog_seq'), true,
              (extract(epoch FROM now()) * 1000)::bigint
       FROM buildings`,
    ],
  },
  {
    version: 7,
    name: 'building sources',
    statements: [
      // A meter configured for a building (a Shelly on MQTT, a HomeWizard polled over HTTP, a
      // line-protocol uploader), with what it last did, shown to owners. Settings are the
      // source type's own (validated by @nilm/sources before they get here).
      `CREATE TABLE building_sources (
        id text PRIMARY KEY,
        building_id text NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,
        name text NOT NULL,
        type text NOT NULL,
        role text NOT NULL CONSTRAINT building_sources_role_check CHECK (role IN ('mains', 'production')),
        settings jsonb NOT NULL,
        created_at bigint NOT NULL,
        last_value_w double precision,
        last_seen_at bigint,
        last_error text,
        last_error_code text,
        last_error_at bigint
      )`,
      `CREATE INDEX building_sources_building_id_idx ON building_sources (building_id)`,
    ],
  },
  {
    version: 8,
    name: 'building appliances present',
    statements: [
      // Which appliances a building says it has (canonical names), read and written whole. No
      // row: never said, and every head of the model counts as present. A list rather than a
      // flag per appliance, so a head a newer model adds is absent until someone ticks it.
      `CREATE TABLE building_appliances_present (
        building_id text PRIMARY KEY REFERENCES buildings (id) ON DELETE CASCADE,
        appliances jsonb NOT NULL,
        updated_at bigint NOT NULL
      )`,
    ],
  },
  {
    version: 9,
    name: 'dynamic prices',
    statements: [
      // A building's dynamic prices (per half hour or hour), uploaded or fetched; they override
      // the tariff's bands and flat price in the minutes they cover. One row per slot, read by
      // window, so pricing a report reads only its span.
      `CREATE TABLE price_slots (
        building_id text NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,
        start_ms bigint NOT NULL,
        end_ms bigint NOT NULL,
        price_per_kwh double precision NOT NULL,
        PRIMARY KEY (building_id, start_ms),
        CONSTRAINT price_slots_span_check CHECK (end_ms > start_ms)
      )`,
      // What the last fetch from a price API did, shown to owners beside the prices.
      `CREATE TABLE price_fetches (
        building_id text PRIMARY KEY REFERENCES buildings (id) ON DELETE CASCADE,
        provider text NOT NULL,
        attempted_at bigint NOT NULL,
        succeeded_at bigint,
        error text,
        slots integer NOT NULL,
        gaps integer NOT NULL
      )`,
    ],
  },
  {
    version: 10,
    name: 'alerts',
    statements: [
      // A building's alert rules and channels, validated by the API and kept whole.
      `CREATE TABLE alert_settings (
        building_id text PRIMARY KEY REFERENCES buildings (id) ON DELETE CASCADE,
        rules jsonb NOT NULL,
        channels jsonb NOT NULL,
        updated_at bigint NOT NULL
      )`,
      // An alert raised. The unique dedupe key per building is what keeps two workers, or one
      // restarted mid-pass, from raising the same alert twice.
      `CREATE TABLE alert_events (
        id text PRIMARY KEY,
        building_id text NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,
        kind text NOT NULL,
        dedupe_key text NOT NULL,
        title text NOT NULL,
        message text NOT NULL,
        at bigint NOT NULL,
        data jsonb NOT NULL,
        created_at bigint NOT NULL,
        CONSTRAINT alert_events_dedupe UNIQUE (building_id, dedupe_key)
      )`,
      `CREATE INDEX alert_events_building_idx ON alert_events (building_id, created_at DESC)`,
      // The outbox: one row per alert and channel, written with the alert in one transaction.
      `CREATE TABLE alert_deliveries (
        id text PRIMARY KEY,
        alert_id text NOT NULL REFERENCES alert_events (id) ON DELETE CASCADE,
        channel text NOT NULL,
        status text NOT NULL CONSTRAINT alert_deliveries_status_check
          CHECK (status IN ('pending', 'sent', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at bigint,
        lease_until bigint,
        last_error text,
        sent_at bigint,
        CONSTRAINT alert_deliveries_once UNIQUE (alert_id, channel)
      )`,
      `CREATE INDEX alert_deliveries_due_idx ON alert_deliveries (next_attempt_at)
        WHERE status = 'pending'`,
      // A browser's Web Push subscription; the endpoint is unique to the browser.
      `CREATE TABLE push_subscriptions (
        endpoint text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        p256dh text NOT NULL,
        auth text NOT NULL,
        created_at bigint NOT NULL
      )`,
      `CREATE INDEX push_subscriptions_user_idx ON push_subscriptions (user_id)`,
      // Values generated once for the whole deployment (the VAPID key pair), shared by every
      // process: the first insert wins.
      `CREATE TABLE server_values (
        name text PRIMARY KEY,
        value text NOT NULL,
        created_at bigint NOT NULL
      )`,
    ],
  },
  {
    version: 11,
    name: 'source poll lease and phases',
    statements: [
      // Which API process polls a polled source (a HomeWizard, a Shelly over HTTP, IoTaWatt)
      // and until when: with several processes exactly one polls, and another takes over once
      // a dead holder's lease has run out.
      `ALTER TABLE building_sources ADD COLUMN poll_holder text`,
      `ALTER TABLE building_sources ADD COLUMN poll_lease_until bigint`,
      // Signed power per phase (L1 first) with the last value, for a three-phase home's status.
      `ALTER TABLE building_sources ADD COLUMN last_phases_w jsonb`,
    ],
  },
  {
    version: 12,
    name: 'found devices',
    statements: [
      // Unnamed devices that discovery found in a building's mains (issue 13.1). A row keeps
      // its id and label (Device A, B, ...) across re-runs: discovery updates the row whose
      // signature matches instead of adding another, and a dismissed or merged one stays so.
      `CREATE TABLE found_devices (
        id text PRIMARY KEY,
        building_id text NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,
        label text NOT NULL,
        status text NOT NULL,
        merged_into text REFERENCES found_devices (id) ON DELETE SET NULL,
        name text,
        appliance text,
        signature jsonb NOT NULL,
        stats jsonb NOT NULL,
        found_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        UNIQUE (building_id, label)
      )`,
    ],
  },
  {
    version: 13,
    name: 'labels and sub-meters',
    statements: [
      // Spans an owner marked as "this was the <appliance>" (on) or "nothing of it here" (off),
      // issue 13.2. The API checks the appliance and the span; the store keeps an on and an off
      // of one appliance from overlapping.
      `CREATE TABLE building_labels (
        id text PRIMARY KEY,
        building_id text NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,
        appliance text NOT NULL,
        kind text NOT NULL CONSTRAINT building_labels_kind_check CHECK (kind IN ('on', 'off')),
        start_ms bigint NOT NULL,
        end_ms bigint NOT NULL,
        note text,
        created_by text,
        created_at bigint NOT NULL,
        CONSTRAINT building_labels_span_check CHECK (start_ms < end_ms)
      )`,
      `CREATE INDEX building_labels_building_idx ON building_labels (building_id, start_ms)`,
      // A sub-meter (a smart plug) measures one appliance of the building (issue 13.3): its
      // readings are that appliance's ground truth and never part of the mains.
      `ALTER TABLE building_sources DROP CONSTRAINT building_sources_role_check`,
      `ALTER TABLE building_sources ADD CONSTRAINT building_sources_role_check
        CHECK (role IN ('mains', 'production', 'submeter'))`,
      `ALTER TABLE building_sources ADD COLUMN appliance text`,
      `ALTER TABLE building_sources ADD CONSTRAINT building_sources_appliance_check
        CHECK ((role = 'submeter') = (appliance IS NOT NULL))`,
    ],
  },
  {
    version: 14,
    name: 'fine-tune jobs and building models',
    statements: [
      // A building's fine-tune jobs (issue 13.4), claimed by any worker under a lease. `seq` is
      // the creation order that claims (oldest first) and lists (newest first) follow, also for
      // jobs created in the same millisecond.
      `CREATE TABLE finetune_jobs (
        id text PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        building_id text NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,
        base_ref text NOT NULL,
        appliances jsonb NOT NULL,
        settings jsonb NOT NULL,
        created_by text,
        status text NOT NULL CONSTRAINT finetune_jobs_status_check
          CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
        progress jsonb,
        result_ref text,
        error text,
        attempts integer NOT NULL DEFAULT 0,
        lease_owner text,
        lease_until bigint,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL
      )`,
      `CREATE INDEX finetune_jobs_building_idx ON finetune_jobs (building_id, seq)`,
      // One job at a time per building: a second queued or running one is a unique violation,
      // also when two are created at once.
      `CREATE UNIQUE INDEX finetune_jobs_one_open ON finetune_jobs (building_id)
        WHERE status IN ('queued', 'running')`,
      // The models fine-tunes made, pinned to their building (issue 13.4, 13.5): the card and
      // scorecard as JSON, the ONNX bytes, and whether the owner activated or discarded it.
      `CREATE TABLE building_models (
        ref text PRIMARY KEY,
        building_id text NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,
        n integer NOT NULL,
        base_ref text NOT NULL,
        card jsonb NOT NULL,
        onnx bytea NOT NULL,
        scorecard jsonb NOT NULL,
        job_id text REFERENCES finetune_jobs (id) ON DELETE SET NULL,
        status text NOT NULL CONSTRAINT building_models_status_check
          CHECK (status IN ('candidate', 'active', 'discarded')),
        created_at bigint NOT NULL,
        CONSTRAINT building_models_number UNIQUE (building_id, n)
      )`,
      // At most one active model per building.
      `CREATE UNIQUE INDEX building_models_one_active ON building_models (building_id)
        WHERE status = 'active'`,
    ],
  },
  {
    version: 15,
    name: 'building watermarks',
    statements: [
      // Oldest and newest reading and estimate time per building (watermark.store.ts, issue
      // 16.2): read instead of min/max scans of the time series. `filled` says the values came
      // from a scan; `epoch` counts resets (a building's series deleted), so a scan that raced
      // a reset cannot fill the row.
      `CREATE TABLE building_watermarks (
        building_id text PRIMARY KEY REFERENCES buildings (id) ON DELETE CASCADE,
        filled boolean NOT NULL DEFAULT false,
        epoch bigint NOT NULL DEFAULT 0,
        reading_oldest bigint,
        reading_newest bigint,
        estimate_oldest bigint,
        estimate_newest bigint
      )`,
      // Buildings from before the watermarks have data only a scan can tell: an unfilled row
      // each, which their first read fills.
      `INSERT INTO building_watermarks (building_id) SELECT id FROM buildings`,
    ],
  },
];

/**
 * Apply the migrations the database lacks, in order, in one transaction; resolves to the
 * versions applied (empty when the schema was already current).
 *
 * Safe when several processes start at once: each takes the same transaction-scoped advisory
 * lock before it even creates `schema_migrations`, so the second waits for the first to commit
 * and then finds nothing to do. Rejects, changing nothing, when the database has a version this
 * build does not know (it was migrated by newer code).
 */
export async function runMigrations(
  client: SqlClient,
  migrations: readonly Migration[] = METADATA_MIGRATIONS,
  now: () => number = Date.now,
): Promise<number[]> {
  assertOrdered(migrations);
  return client.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at bigint NOT NULL
      )`,
    );
    const rows = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => Number(r.version)));
    const known = migrations.length === 0 ? 0 : migrations[migrations.length - 1].version;
    const newest = Math.max(0, ...applied);
    if (newest > known) {
      throw new Error(
        `metadata database is at schema version ${newest}, newer than this build knows ` +
          `(${known}); run a newer release or restore a matching backup`,
      );
    }
    const done: number[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      for (const statement of m.statements) await tx.query(statement);
      await tx.query(
        'INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
        [m.version, m.name, now()],
      );
      done.push(m.version);
    }
    return done;
  });
}

function assertOrdered(migrations: readonly Migration[]): void {
  let previous = 0;
  for (const m of migrations) {
    if (!Number.isInteger(m.version) || m.version <= previous) {
      throw new Error(
        `migration ${m.version} (${m.name}) is out of order: versions must be integers, ` +
          `strictly increasing from 1`,
      );
    }
    previous = m.version;
  }
}
