/**
 * The dynamic prices part of the metadata store (price.store.ts) over the same tiny SQL client
 * as the rest, so PGlite and PostgreSQL run the same statements. Prices go in by arrays
 * (`unnest`), a few thousand a statement, so a year of half hours is a handful of round trips.
 */
import type { PriceFetchRecord, PriceStore, StoredPrice } from './price.store.js';
import type { SqlClient } from './metadata.migrations.js';

type Int8 = number | string | bigint;

/** Rows per INSERT (three arrays of this length as parameters). */
const CHUNK = 5000;

interface PriceRow {
  start_ms: Int8;
  end_ms: Int8;
  price_per_kwh: number | string;
}

interface FetchRow {
  provider: string;
  attempted_at: Int8;
  succeeded_at: Int8 | null;
  error: string | null;
  slots: number;
  gaps: number;
}

const toPrice = (r: PriceRow): StoredPrice => ({
  startMs: Number(r.start_ms),
  endMs: Number(r.end_ms),
  pricePerKwh: Number(r.price_per_kwh),
});

const toFetch = (r: FetchRow): PriceFetchRecord => ({
  provider: r.provider,
  attemptedAt: Number(r.attempted_at),
  succeededAt: r.succeeded_at === null ? null : Number(r.succeeded_at),
  error: r.error,
  slots: Number(r.slots),
  gaps: Number(r.gaps),
});

/** The price store on a SQL client whose schema has migration 9. */
export function createSqlPriceStore(client: SqlClient): PriceStore {
  return {
    async replacePrices(buildingId, prices) {
      if (prices.length === 0) return 0;
      const from = Math.min(...prices.map((p) => p.startMs));
      const to = Math.max(...prices.map((p) => p.endMs));
      return client.transaction(async (tx) => {
        await tx.query(
          'DELETE FROM price_slots WHERE building_id = $1 AND start_ms < $3 AND end_ms > $2',
          [buildingId, from, to],
        );
        for (let i = 0; i < prices.length; i += CHUNK) {
          const part = prices.slice(i, i + CHUNK);
          await tx.query(
            `INSERT INTO price_slots (building_id, start_ms, end_ms, price_per_kwh)
             SELECT $1, s, e, p FROM unnest($2::bigint[], $3::bigint[], $4::float8[]) AS t (s, e, p)`,
            [
              buildingId,
              part.map((p) => p.startMs),
              part.map((p) => p.endMs),
              part.map((p) => p.pricePerKwh),
            ],
          );
        }
        return prices.length;
      });
    },

    async listPrices(buildingId, fromMs, toMs) {
      const rows = await client.query<PriceRow>(
        `SELECT start_ms, end_ms, price_per_kwh FROM price_slots
         WHERE building_id = $1 AND start_ms < $3 AND end_ms > $2 ORDER BY start_ms`,
        [buildingId, fromMs, toMs],
      );
      return rows.map(toPrice);
    },

    async deletePrices(buildingId) {
      const rows = await client.query<{ n: number }>(
        'WITH d AS (DELETE FROM price_slots WHERE building_id = $1 RETURNING 1) SELECT count(*)::int AS n FROM d',
        [buildingId],
      );
      return Number(rows[0]?.n ?? 0);
    },

    async recordPriceFetch(buildingId, r) {
      // A failure keeps what the last success stored (its time, slots and gaps).
      const rows = await client.query<FetchRow>(
        `INSERT INTO price_fetches (building_id, provider, attempted_at, succeeded_at, error, slots, gaps)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (building_id) DO UPDATE SET
           provider = EXCLUDED.provider,
           attempted_at = EXCLUDED.attempted_at,
           error = EXCLUDED.error,
           succeeded_at = CASE WHEN EXCLUDED.error IS NULL THEN EXCLUDED.succeeded_at
                               ELSE price_fetches.succeeded_at END,
           slots = CASE WHEN EXCLUDED.error IS NULL THEN EXCLUDED.slots ELSE price_fetches.slots END,
           gaps = CASE WHEN EXCLUDED.error IS NULL THEN EXCLUDED.gaps ELSE price_fetches.gaps END
         RETURNING provider, attempted_at, succeeded_at, error, slots, gaps`,
        [buildingId, r.provider, r.attemptedAt, r.succeededAt, r.error, r.slots, r.gaps],
      );
      return toFetch(rows[0]!);
    },

    async getPriceFetch(buildingId) {
      const rows = await client.query<FetchRow>(
        `SELECT provider, attempted_at, succeeded_at, error, slots, gaps FROM price_fetches
         WHERE building_id = $1`,
        [buildingId],
      );
      return rows.length === 0 ? null : toFetch(rows[0]!);
    },
  };
}
