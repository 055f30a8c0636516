/**
 * Octopus Energy's public products API as a dynamic price provider: the standard unit rates of
 * one product's tariff (Agile: one per half hour) over a window, following the `next` pages.
 * `GET /v1/products/<product>/electricity-tariffs/<tariff>/standard-unit-rates/?period_from=&period_to=`
 * answers `{count, next, previous, results: [{value_inc_vat, valid_from, valid_to}]}`, newest
 * first, prices in pence per kWh including VAT; we store pounds per kWh. No key is needed.
 */
import type { PriceSlot } from '@nilm/contracts';

/** Why a fetch failed, as a sentence an owner can act on (shown in the price status). */
export class PriceProviderError extends Error {
  readonly code = 'PRICE_API_FAILED';
  constructor(message: string) {
    super(message);
    this.name = 'PriceProviderError';
  }
}

export interface OctopusFetch {
  /** e.g. https://api.octopus.energy (a stand-in in tests). */
  baseUrl: string;
  product: string;
  tariff: string;
  fromMs: number;
  toMs: number;
  fetchFn?: typeof fetch;
  /** Per page; the whole fetch fails when one page takes longer. */
  timeoutMs?: number;
  /** Pages followed at most (a loop of `next` links ends here). */
  maxPages?: number;
}

/** The prices fetched, oldest first, and the half hours missing between the first and last. */
export interface FetchedPrices {
  slots: PriceSlot[];
  gaps: number;
}

const HALF_HOUR = 30 * 60_000;

interface Rate {
  value_inc_vat: unknown;
  valid_from: unknown;
  valid_to: unknown;
}

/** Fetch a tariff's unit rates over [fromMs, toMs). Rejects with a PriceProviderError. */
export async function fetchOctopusPrices(o: OctopusFetch): Promise<FetchedPrices> {
  const fetchFn = o.fetchFn ?? fetch;
  const timeoutMs = o.timeoutMs ?? 15_000;
  const base = new URL(o.baseUrl);
  const path = `/v1/products/${encodeURIComponent(o.product)}/electricity-tariffs/${encodeURIComponent(o.tariff)}/standard-unit-rates/`;
  let url: URL | null = new URL(path, base);
  url.searchParams.set('period_from', new Date(o.fromMs).toISOString());
  url.searchParams.set('period_to', new Date(o.toMs).toISOString());
  url.searchParams.set('page_size', '1500');

  const slots: PriceSlot[] = [];
  for (let page = 0; url; page++) {
    if (page >= (o.maxPages ?? 50))
      throw new PriceProviderError(
        `the price API gave more than ${o.maxPages ?? 50} pages; stopped`,
      );
    let res: Response;
    try {
      res = await fetchFn(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      const timedOut = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
      throw new PriceProviderError(
        timedOut
          ? `the price API (${base.host}) did not answer within ${timeoutMs / 1000} s`
          : `the price API (${base.host}) could not be reached: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    if (res.status === 404)
      throw new PriceProviderError(
        `Octopus knows no tariff ${o.tariff} of product ${o.product} (404); check both codes`,
      );
    if (!res.ok)
      throw new PriceProviderError(
        `the price API (${base.host}) answered ${res.status}; will try again`,
      );
    let body: { results?: unknown; next?: unknown };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      throw new PriceProviderError('the price API answered something other than JSON');
    }
    if (!Array.isArray(body.results))
      throw new PriceProviderError('the price API answered JSON without a results list');
    for (const r of body.results as Rate[]) {
      const from = typeof r.valid_from === 'string' ? Date.parse(r.valid_from) : NaN;
      // An open-ended rate (valid_to null) holds to the end of the window.
      const to =
        r.valid_to === null
          ? o.toMs
          : typeof r.valid_to === 'string'
            ? Date.parse(r.valid_to)
            : NaN;
      const pence = r.value_inc_vat;
      if (
        !Number.isFinite(from) ||
        !Number.isFinite(to) ||
        typeof pence !== 'number' ||
        !(to > from)
      )
        throw new PriceProviderError(
          `the price API gave a rate that is not one: ${JSON.stringify(r)}`,
        );
      const startMs = Math.max(from, o.fromMs);
      const endMs = Math.min(to, o.toMs);
      if (endMs > startMs) slots.push({ startMs, endMs, pricePerKwh: pence / 100 });
    }
    // Follow `next` only on the API's own origin: a page must not send us elsewhere.
    const next: URL | null =
      typeof body.next === 'string' && body.next ? new URL(body.next, base) : null;
    if (next && next.origin !== base.origin)
      throw new PriceProviderError(
        `the price API's next page is on another host (${next.host}); stopped`,
      );
    url = next;
  }
  slots.sort((a, b) => a.startMs - b.startMs);
  const unique = slots.filter((s, i) => i === 0 || s.startMs >= slots[i - 1]!.endMs);
  let gaps = 0;
  let covered = o.fromMs;
  for (const s of unique) {
    if (s.startMs > covered) gaps += Math.round((s.startMs - covered) / HALF_HOUR);
    covered = Math.max(covered, s.endMs);
  }
  return { slots: unique, gaps };
}
