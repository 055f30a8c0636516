/**
 * The labels part of the metadata store (label.store.ts) over the same tiny SQL client as the
 * rest, so PGlite and PostgreSQL run the same statements. Adding a label locks its building's
 * row first, so two adds for one building run one after the other and the contradiction check
 * (an `on` overlapping an `off` of the same appliance) sees every label committed before it.
 */
import { randomUUID } from 'node:crypto';
import type { LabelKind, LabelRecord, LabelStore } from './label.store.js';
import type { SqlClient } from './metadata.migrations.js';

type Int8 = number | string | bigint;

interface LabelRow {
  id: string;
  building_id: string;
  appliance: string;
  kind: LabelKind;
  start_ms: Int8;
  end_ms: Int8;
  note: string | null;
  created_by: string | null;
  created_at: Int8;
}

const COLUMNS = 'id, building_id, appliance, kind, start_ms, end_ms, note, created_by, created_at';

function toLabel(r: LabelRow): LabelRecord {
  return {
    id: r.id,
    buildingId: r.building_id,
    appliance: r.appliance,
    kind: r.kind,
    startMs: Number(r.start_ms),
    endMs: Number(r.end_ms),
    note: r.note,
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
  };
}

/** Build the label store on a SqlClient; `now` stamps created_at. */
export function createSqlLabelStore(client: SqlClient, now: () => number): LabelStore {
  return {
    async addLabel(label) {
      return client.transaction(async (tx) => {
        const building = await tx.query('SELECT id FROM buildings WHERE id = $1 FOR UPDATE', [
          label.buildingId,
        ]);
        if (building.length === 0) throw new Error(`building ${label.buildingId} does not exist`);
        const other = await tx.query<LabelRow>(
          `SELECT ${COLUMNS} FROM building_labels
           WHERE building_id = $1 AND appliance = $2 AND kind <> $3
             AND start_ms < $5 AND end_ms > $4
           ORDER BY start_ms, id LIMIT 1`,
          [label.buildingId, label.appliance, label.kind, label.startMs, label.endMs],
        );
        if (other.length > 0) return { conflict: toLabel(other[0]) };
        const rows = await tx.query<LabelRow>(
          `INSERT INTO building_labels (${COLUMNS})
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${COLUMNS}`,
          [
            randomUUID(),
            label.buildingId,
            label.appliance,
            label.kind,
            label.startMs,
            label.endMs,
            label.note,
            label.createdBy,
            now(),
          ],
        );
        return { added: toLabel(rows[0]) };
      });
    },

    async listLabels(buildingId, filter = {}) {
      const where = ['building_id = $1'];
      const params: unknown[] = [buildingId];
      if (filter.appliance !== undefined) {
        params.push(filter.appliance);
        where.push(`appliance = $${params.length}`);
      }
      // Overlapping the range: starts before its end and ends after its start.
      if (filter.toMs !== undefined) {
        params.push(filter.toMs);
        where.push(`start_ms < $${params.length}`);
      }
      if (filter.fromMs !== undefined) {
        params.push(filter.fromMs);
        where.push(`end_ms > $${params.length}`);
      }
      const rows = await client.query<LabelRow>(
        `SELECT ${COLUMNS} FROM building_labels WHERE ${where.join(' AND ')}
         ORDER BY start_ms, id`,
        params,
      );
      return rows.map(toLabel);
    },

    async deleteLabel(buildingId, labelId) {
      const rows = await client.query<{ id: string }>(
        'DELETE FROM building_labels WHERE building_id = $1 AND id = $2 RETURNING id',
        [buildingId, labelId],
      );
      return rows.length > 0;
    },
  };
}
