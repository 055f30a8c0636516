/**
 * Dynamic prices of a building: imported from CSV (checked whole by the shared rules, stored
 * whole or not at all), or fetched from the configured price API (Octopus's products API) on a
 * schedule or when an owner asks, with what the fetch did kept for the Settings page. Also the
 * cheapest hours of a local day, priced by the one rule (@nilm/contracts `minutePricer`).
 */
import {
  zonedDate,
  zonedMidnight,
  checkPriceCsv,
  cheapestHours,
  DEFAULT_TARIFF,
  minutePricer,
  type CheapestHours,
  type PricingTariff,
} from '@nilm/contracts';
import type { MetadataStore, PriceFetchRecord, Tariff } from '@nilm/stores';
import { ApiError } from '../errors.js';
import { fetchOctopusPrices, PriceProviderError } from './octopus.provider.js';

const HOUR = 3_600_000;
const HALF_HOUR = HOUR / 2;

export interface PricesServiceDeps {
  metadata: MetadataStore;
  now: () => number;
  priceApiUrl: string;
  timeoutMs: number;
  fetchFn?: typeof fetch;
}

/** The store's tariff (or the default) in the pricing rule's shape. */
export function pricingTariffOf(t: Tariff | null): PricingTariff {
  return t
    ? { pricePerKwh: t.pricePerKwh, bands: t.bands }
    : { pricePerKwh: DEFAULT_TARIFF.price_per_kwh, bands: [] };
}

export class PricesService {
  constructor(private readonly deps: PricesServiceDeps) {}

  /** Check a CSV whole and store its prices (422 naming the first bad line otherwise). */
  async importCsv(buildingId: string, text: string) {
    const checked = checkPriceCsv(text);
    if (!checked.ok)
      throw new ApiError('VALIDATION_FAILED', checked.message, {
        line: checked.line,
        reason: checked.reason,
      });
    const imported = await this.deps.metadata.replacePrices(buildingId, checked.slots);
    return {
      imported,
      startMs: checked.slots[0]!.startMs,
      endMs: checked.slots.at(-1)!.endMs,
      slotMinutes: checked.slotMinutes,
    };
  }

  /**
   * Fetch the building's prices from the price API, from 24 h ago to 48 h ahead (tomorrow's
   * Agile prices appear in the afternoon), store them and record what happened. A failure is
   * recorded and returned (error set), never thrown, so the schedule goes on to other buildings.
   */
  async refresh(buildingId: string): Promise<PriceFetchRecord> {
    const tariff = await this.deps.metadata.getTariff(buildingId);
    const dyn = tariff?.dynamic;
    if (dyn?.source !== 'octopus')
      throw new ApiError(
        'VALIDATION_FAILED',
        'this tariff does not fetch prices; set its dynamic source to octopus with a product and tariff code first',
      );
    const now = this.deps.now();
    const fromMs = Math.floor((now - 24 * HOUR) / HALF_HOUR) * HALF_HOUR;
    const toMs = fromMs + 72 * HOUR;
    const base = { provider: 'octopus', attemptedAt: now };
    try {
      const got = await fetchOctopusPrices({
        baseUrl: this.deps.priceApiUrl,
        product: dyn.product,
        tariff: dyn.tariff,
        fromMs,
        toMs,
        timeoutMs: this.deps.timeoutMs,
        fetchFn: this.deps.fetchFn,
      });
      const slots = await this.deps.metadata.replacePrices(buildingId, got.slots);
      return await this.deps.metadata.recordPriceFetch(buildingId, {
        ...base,
        succeededAt: now,
        error: null,
        slots,
        gaps: got.gaps,
      });
    } catch (e) {
      if (!(e instanceof PriceProviderError)) throw e;
      return this.deps.metadata.recordPriceFetch(buildingId, {
        ...base,
        succeededAt: null,
        error: e.message,
        slots: 0,
        gaps: 0,
      });
    }
  }

  /** Refresh every building whose tariff fetches from Octopus; resolves to how many failed. */
  async refreshAll(): Promise<{ buildings: number; failed: number }> {
    let buildings = 0;
    let failed = 0;
    for (const b of await this.deps.metadata.listBuildings()) {
      const t = await this.deps.metadata.getTariff(b.id);
      if (t?.dynamic?.source !== 'octopus') continue;
      buildings++;
      if ((await this.refresh(b.id)).error) failed++;
    }
    return { buildings, failed };
  }

  /**
   * The cheapest `hours`-hour block and the hours of a local day (default: the building's next
   * day), priced from stored prices where there are some (and the tariff has a dynamic source)
   * and the tariff's bands or flat price elsewhere.
   */
  async cheapest(
    buildingId: string,
    timeZone: string,
    hours: number,
    date?: string,
  ): Promise<CheapestHours & { date: string }> {
    let day = date;
    if (!day) {
      const [y, m, d] = zonedDate(this.deps.now(), timeZone).split('-').map(Number);
      day = zonedDate(zonedMidnight(y!, m!, d! + 1, timeZone) + HOUR * 2, timeZone);
    }
    const [y, m, d] = day.split('-').map(Number);
    const fromMs = zonedMidnight(y!, m!, d!, timeZone);
    const toMs = zonedMidnight(y!, m!, d! + 1, timeZone);
    if (!Number.isFinite(fromMs) || zonedDate(fromMs, timeZone) !== day)
      throw new ApiError(
        'VALIDATION_FAILED',
        `date "${day}" is not a calendar day; use YYYY-MM-DD`,
      );
    const tariff = await this.deps.metadata.getTariff(buildingId);
    // Stored prices count only while the tariff has a dynamic source, as on every page of the
    // web app: an owner who sets the source back to none gets bands and the flat price again.
    const slots = tariff?.dynamic
      ? await this.deps.metadata.listPrices(buildingId, fromMs, toMs)
      : [];
    const pricer = minutePricer(pricingTariffOf(tariff), slots, timeZone);
    return { ...cheapestHours(pricer, fromMs, toMs, hours), date: day };
  }
}

/** Fetches every building's dynamic prices every `everyMs` (the worker runs one). */
export class PriceRefresher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly service: PricesService,
    private readonly log: { warn: (o: object, m: string) => void },
  ) {}

  /** One pass now (skipped while one runs); errors are logged, never thrown. */
  tick(): Promise<unknown> {
    this.running ??= this.service
      .refreshAll()
      .then((r) => {
        if (r.failed > 0) this.log.warn(r, 'dynamic price fetch failed for some buildings');
      })
      .catch((err: unknown) => this.log.warn({ err }, 'dynamic price fetch pass failed'))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  start(everyMs: number): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
