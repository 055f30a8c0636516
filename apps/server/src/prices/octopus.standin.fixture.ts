/**
 * Test support: a local HTTP server that answers like Octopus Energy's public products API for
 * standard unit rates: `GET /v1/products/<product>/electricity-tariffs/<tariff>/standard-unit-rates/`
 * with `period_from`/`period_to`, half-hour rates newest first in pence incl. VAT, paginated
 * (`count`, absolute `next` links, `page`), 404 for an unknown product or tariff. A test can take
 * slots out (gaps), make it fail with a status, or hold answers back (timeouts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const HALF_HOUR = 30 * 60_000;

export interface OctopusStandIn {
  url: string;
  /** Requests answered so far (paths with query). */
  requests: string[];
  /** Answer every request with this status (and a JSON error body) while set. */
  failWith: number | null;
  /** Hold each answer back this long. */
  delayMs: number;
  /** Start times (ms) of half hours left out of the answers. */
  gaps: Set<number>;
  close(): Promise<void>;
}

/**
 * Start a stand-in that knows one product and tariff; `pence(startMs)` prices each half hour
 * (value_inc_vat); `pageSize` rates a page at most, whatever the client asks.
 */
export async function startOctopusStandIn(o: {
  product: string;
  tariff: string;
  pence: (startMs: number) => number;
  pageSize?: number;
}): Promise<OctopusStandIn> {
  const state = {
    requests: [] as string[],
    failWith: null as number | null,
    delayMs: 0,
    gaps: new Set<number>(),
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://standin');
    state.requests.push(url.pathname + url.search);
    const answer = (status: number, body: unknown) => {
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (state.delayMs > 0) setTimeout(send, state.delayMs).unref();
      else send();
    };
    if (state.failWith !== null)
      return answer(state.failWith, { detail: 'Service temporarily unavailable' });
    const m = /^\/v1\/products\/([^/]+)\/electricity-tariffs\/([^/]+)\/standard-unit-rates\/$/.exec(
      url.pathname,
    );
    if (!m || m[1] !== o.product || m[2] !== o.tariff) return answer(404, { detail: 'Not found.' });
    const from = Date.parse(url.searchParams.get('period_from') ?? '');
    const to = Date.parse(url.searchParams.get('period_to') ?? '');
    if (!Number.isFinite(from) || !Number.isFinite(to))
      return answer(400, { detail: 'period_from and period_to are required here' });
    const rates: {
      value_exc_vat: number;
      value_inc_vat: number;
      valid_from: string;
      valid_to: string;
      payment_method: null;
    }[] = [];
    // Newest first, as Octopus answers.
    const first = Math.floor(from / HALF_HOUR) * HALF_HOUR;
    for (let s = Math.ceil(to / HALF_HOUR) * HALF_HOUR - HALF_HOUR; s >= first; s -= HALF_HOUR) {
      if (state.gaps.has(s)) continue;
      const inc = o.pence(s);
      rates.push({
        value_exc_vat: Math.round((inc / 1.05) * 1e4) / 1e4,
        value_inc_vat: inc,
        valid_from: new Date(s).toISOString().replace('.000Z', 'Z'),
        valid_to: new Date(s + HALF_HOUR).toISOString().replace('.000Z', 'Z'),
        payment_method: null,
      });
    }
    const size = Math.min(o.pageSize ?? 100, Number(url.searchParams.get('page_size') ?? 100));
    const page = Number(url.searchParams.get('page') ?? 1);
    const nextUrl = new URL(url.pathname + url.search, standIn.url);
    nextUrl.searchParams.set('page', String(page + 1));
    const prevUrl = new URL(nextUrl);
    prevUrl.searchParams.set('page', String(page - 1));
    answer(200, {
      count: rates.length,
      next: page * size < rates.length ? nextUrl.toString() : null,
      previous: page > 1 ? prevUrl.toString() : null,
      results: rates.slice((page - 1) * size, page * size),
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const standIn: OctopusStandIn = Object.assign(state, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return standIn;
}
