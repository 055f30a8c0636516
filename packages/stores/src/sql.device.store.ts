/**
 * The found-devices part of the metadata store (device.store.ts) over the shared SQL client, so
 * PGlite and PostgreSQL run the same statements. A discovery pass locks the building's row
 * (`FOR UPDATE`) for its transaction, so passes of one building run one after another.
 */
import { randomUUID } from 'node:crypto';
import type {
  DeviceStore,
  FoundDeviceRecord,
  FoundDeviceSignature,
  FoundDeviceStats,
  FoundDeviceStatus,
} from './device.store.js';
import type { SqlClient, SqlExecutor } from './metadata.migrations.js';

type Int8 = number | string | bigint;

interface DeviceRow {
  id: string;
  building_id: string;
  label: string;
  status: FoundDeviceStatus;
  merged_into: string | null;
  name: string | null;
  appliance: string | null;
  signature: unknown;
  stats: unknown;
  found_at: Int8;
  updated_at: Int8;
}

const COLUMNS =
  'id, building_id, label, status, merged_into, name, appliance, signature, stats, found_at, updated_at';

/** jsonb arrives parsed (PGlite, node-postgres) or, through some drivers, as text. */
const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

function toDevice(r: DeviceRow): FoundDeviceRecord {
  return {
    id: r.id,
    buildingId: r.building_id,
    label: r.label,
    status: r.status,
    mergedInto: r.merged_into,
    name: r.name,
    appliance: r.appliance,
    signature: json<FoundDeviceSignature>(r.signature),
    stats: json<FoundDeviceStats>(r.stats),
    foundAt: Number(r.found_at),
    updatedAt: Number(r.updated_at),
  };
}

async function list(db: SqlExecutor, buildingId: string): Promise<FoundDeviceRecord[]> {
  const rows = await db.query<DeviceRow>(
    `SELECT ${COLUMNS} FROM found_devices WHERE building_id = $1
     ORDER BY found_at, length(label), label`,
    [buildingId],
  );
  return rows.map(toDevice);
}

/** Build the found-devices store on a SqlClient; `now` stamps found_at and updated_at. */
export function createSqlDeviceStore(client: SqlClient, now: () => number): DeviceStore {
  const one = async (sql: string, params: unknown[]): Promise<FoundDeviceRecord | null> => {
    const rows = await client.query<DeviceRow>(sql, params);
    return rows.length === 0 ? null : toDevice(rows[0]);
  };
  return {
    listFoundDevices: (buildingId) => list(client, buildingId),

    getFoundDevice: (buildingId, id) =>
      one(`SELECT ${COLUMNS} FROM found_devices WHERE building_id = $1 AND id = $2`, [
        buildingId,
        id,
      ]),

    async recordDiscovery(buildingId, found, matching) {
      return client.transaction(async (tx) => {
        const b = await tx.query('SELECT id FROM buildings WHERE id = $1 FOR UPDATE', [buildingId]);
        if (b.length === 0) throw new Error(`no building ${buildingId}`);
        const stored = await list(tx, buildingId);
        const taken = new Set<string>();
        const created: FoundDeviceRecord[] = [];
        const updated: FoundDeviceRecord[] = [];
        const devices: FoundDeviceRecord[] = [];
        const at = now();
        for (const f of found) {
          const match = stored.find(
            (s) => !taken.has(s.id) && matching.same(s.signature, f.signature),
          );
          if (match) {
            taken.add(match.id);
            const rows = await tx.query<DeviceRow>(
              `UPDATE found_devices SET signature = $2, stats = $3, updated_at = $4
               WHERE id = $1 RETURNING ${COLUMNS}`,
              [match.id, JSON.stringify(f.signature), JSON.stringify(f.stats), at],
            );
            updated.push(toDevice(rows[0]));
            devices.push(toDevice(rows[0]));
            continue;
          }
          const rows = await tx.query<DeviceRow>(
            `INSERT INTO found_devices (${COLUMNS})
             VALUES ($1, $2, $3, 'found', NULL, NULL, NULL, $4, $5, $6, $6)
             RETURNING ${COLUMNS}`,
            [
              randomUUID(),
              buildingId,
              matching.label(stored.length + created.length),
              JSON.stringify(f.signature),
              JSON.stringify(f.stats),
              at,
            ],
          );
          created.push(toDevice(rows[0]));
          devices.push(toDevice(rows[0]));
        }
        return { created, updated, devices };
      });
    },

    nameFoundDevice: (buildingId, id, patch) =>
      // CASE keeps a field the patch leaves out; the status follows from the new values (the
      // right-hand sides of SET all read the row as it was).
      one(
        `UPDATE found_devices SET
           name = CASE WHEN $3 THEN $4 ELSE name END,
           appliance = CASE WHEN $5 THEN $6 ELSE appliance END,
           status = CASE WHEN (CASE WHEN $3 THEN $4 ELSE name END) IS NULL
                          AND (CASE WHEN $5 THEN $6 ELSE appliance END) IS NULL
                         THEN 'found' ELSE 'named' END,
           updated_at = $7
         WHERE building_id = $1 AND id = $2 AND status IN ('found', 'named')
         RETURNING ${COLUMNS}`,
        [
          buildingId,
          id,
          patch.name !== undefined,
          patch.name ?? null,
          patch.appliance !== undefined,
          patch.appliance ?? null,
          now(),
        ],
      ),

    dismissFoundDevice: (buildingId, id) =>
      one(
        `UPDATE found_devices SET status = 'dismissed', updated_at = $3
         WHERE building_id = $1 AND id = $2 AND status IN ('found', 'named')
         RETURNING ${COLUMNS}`,
        [buildingId, id, now()],
      ),

    mergeFoundDevice: (buildingId, id, intoId) =>
      client.transaction(async (tx) => {
        const rows = await tx.query<DeviceRow>(
          `UPDATE found_devices SET status = 'merged', merged_into = $3, updated_at = $4
           WHERE building_id = $1 AND id = $2 AND id <> $3 AND status IN ('found', 'named')
             AND EXISTS (SELECT 1 FROM found_devices t
                         WHERE t.building_id = $1 AND t.id = $3 AND t.status IN ('found', 'named'))
           RETURNING ${COLUMNS}`,
          [buildingId, id, intoId, now()],
        );
        if (rows.length === 0) return null;
        // What was merged into this device now belongs to the one it joins: no chains.
        await tx.query('UPDATE found_devices SET merged_into = $2 WHERE merged_into = $1', [
          id,
          intoId,
        ]);
        return toDevice(rows[0]);
      }),
  };
}
