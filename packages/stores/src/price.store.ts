/**
 * The dynamic prices part of the metadata store: prices per half hour or hour (Octopus Agile
 * style) a building's tariff uses where it has them, uploaded as CSV or fetched from a price API,
 * and what the last fetch did. Knows nothing of tariffs' rules; the API validates what it stores.
 */

/** One dynamic price over [startMs, endMs) (epoch ms), per kWh in the tariff's currency. */
export interface StoredPrice {
  startMs: number;
  endMs: number;
  pricePerKwh: number;
}

/** What the last fetch from a price API did, shown to owners. */
export interface PriceFetchRecord {
  /** e.g. 'octopus'. */
  provider: string;
  attemptedAt: number;
  /** The last attempt that stored prices; kept when a later attempt fails. */
  succeededAt: number | null;
  /** Why the last attempt failed; null when it succeeded. */
  error: string | null;
  /** Slots the last successful attempt stored. */
  slots: number;
  /** Slots missing inside what the last successful attempt asked for. */
  gaps: number;
}

export interface PriceStore {
  /**
   * Store prices, replacing every stored price of the building that overlaps the span they
   * cover (first start to last end), in one transaction: a file or a fetch is kept whole or not
   * at all. Resolves to the number stored; rejects when the building does not exist.
   */
  replacePrices(buildingId: string, prices: readonly StoredPrice[]): Promise<number>;
  /** The prices overlapping [fromMs, toMs), oldest first. */
  listPrices(buildingId: string, fromMs: number, toMs: number): Promise<StoredPrice[]>;
  /** Forget every stored price of the building; resolves to how many there were. */
  deletePrices(buildingId: string): Promise<number>;
  /**
   * Record a fetch attempt. A failed one (error set) keeps the last success's time, slots and
   * gaps, so the status says both what went wrong and how fresh the prices still are.
   */
  recordPriceFetch(buildingId: string, r: PriceFetchRecord): Promise<PriceFetchRecord>;
  getPriceFetch(buildingId: string): Promise<PriceFetchRecord | null>;
}
