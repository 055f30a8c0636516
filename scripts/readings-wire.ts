// Bytes on the wire for the readings the web app asks for (issue 16): the demo home's last day
// and last 30 days, in the point shape and the columnar one (`shape=columns`, what the app
// reads), each as sent with no compression, gzip and brotli. Then whether finished history is
// revalidated rather than fetched again: the server's ETag and 304, and Chromium's own HTTP
// cache sending If-None-Match for a fetch made as the web app's client makes it. Last, what a
// dashboard refresh of the 24 h and 30 d charts costs: one request of the open range (`-24h`,
// fetched whole every time) against the web client's split (apps/web/src/lib/readings.split.ts:
// finished history revalidated with If-None-Match, 304, plus the live tail), bytes with headers.
//
//   npm run build && npx tsx scripts/readings-wire.ts [--port 18511] [--wait-s 600]
//
// The real product (`nilm start`, embedded stores, the demo home) in a child process, as the e2e
// tier runs it; requests wait until the demo's history is estimated (estimate_coverage >= 0.99
// over 30 days, or --wait-s). The ranges end two minutes ago, so every shape reads the same
// buckets. Bytes are the body as sent, counted before any decoding.
import { request } from 'node:http';
import { parseArgs } from 'node:util';
import { brotliDecompressSync } from 'node:zlib';
import { launchChromium, startProduct } from '../e2e/product.fixture.js';
// The web client's own split, so the requests measured are the ones the dashboard sends.
import { splitReadingsQuery } from '../apps/web/src/lib/readings.split.js';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '18511' },
    'wait-s': { type: 'string', default: '600' },
  },
});
const port = Number(args.port);
const waitS = Number(args['wait-s']);
if (!Number.isInteger(port) || port <= 0 || !(waitS >= 0)) {
  process.stderr.write('readings-wire: --port must be a port number and --wait-s seconds >= 0\n');
  process.exit(2);
}

/**
 * GET `url`; the status, the body bytes as sent, the response head's bytes (status line and
 * headers as received), the headers, and the milliseconds to the last byte.
 */
function get(
  url: string,
  headers: Record<string, string>,
): Promise<{
  status: number;
  bytes: number;
  headBytes: number;
  ms: number;
  headers: Record<string, unknown>;
  body: Buffer;
}> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        let headBytes = Buffer.byteLength(
          'HTTP/' +
            res.httpVersion +
            ' ' +
            String(res.statusCode) +
            ' ' +
            res.statusMessage +
            '\r\n\r\n',
        );
        for (let i = 0; i < res.rawHeaders.length; i += 2)
          headBytes += Buffer.byteLength(
            res.rawHeaders[i]! + ': ' + res.rawHeaders[i + 1]! + '\r\n',
          );
        resolve({
          status: res.statusCode ?? 0,
          bytes: body.length,
          headBytes,
          ms: performance.now() - t0,
          headers: res.headers,
          body,
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

const product = await startProduct({ port });
try {
  const base = product.url.replace(/\/$/, '');
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: product.email, password: product.password }),
  });
  if (!login.ok) throw new Error(`sign-in answered ${login.status}: ${await login.text()}`);
  const token = ((await login.json()) as { access_token: string }).access_token;
  const auth = { authorization: `Bearer ${token}` };
  const list = (await (await fetch(`${base}/api/v1/buildings`, { headers: auth })).json()) as {
    buildings: { id: string }[];
  };
  const home = list.buildings[0]?.id;
  if (!home) throw new Error('the demo home is missing from /buildings');
  const readings = (q: string) => `${base}/api/v1/buildings/${home}/readings?${q}`;

  // Wait for the demo's history to be estimated, so the appliance series are filled.
  const t0 = Date.now();
  let coverage = 0;
  for (;;) {
    const r = await fetch(readings('start=-30d&resolution=auto&points=900&shape=columns'), {
      headers: auth,
    });
    coverage = ((await r.json()) as { estimate_coverage: number | null }).estimate_coverage ?? 0;
    if (coverage >= 0.99 || Date.now() - t0 > waitS * 1000) break;
    process.stdout.write(`estimating the demo's history: coverage ${coverage.toFixed(3)}\n`);
    await new Promise((r) => setTimeout(r, 15_000));
  }
  process.stdout.write(
    `estimate coverage over 30 days: ${coverage.toFixed(3)} after ${((Date.now() - t0) / 1000).toFixed(0)} s\n\n`,
  );

  const end = Math.floor(Date.now() / 60_000) * 60_000 - 2 * 60_000;
  const iso = (ms: number) => new Date(ms).toISOString();
  const DAY = 86_400_000;
  const cases = [
    { what: '1 day, 1-minute buckets', q: `start=${iso(end - DAY)}&end=${iso(end)}&resolution=1m` },
    {
      what: '1 day, chart of 900 px (auto)',
      q: `start=${iso(end - DAY)}&end=${iso(end)}&resolution=auto&points=900`,
    },
    {
      what: '30 days, chart of 900 px (auto)',
      q: `start=${iso(end - 30 * DAY)}&end=${iso(end)}&resolution=auto&points=900`,
    },
  ];
  const encodings = ['identity', 'gzip', 'br'] as const;
  process.stdout.write(
    '| readings | buckets | shape | identity | gzip | br | columns / points (br) |\n|---|---|---|---|---|---|---|\n',
  );
  for (const c of cases) {
    const sizes: Record<string, Record<string, number>> = {};
    let buckets = 0;
    for (const shape of ['points', 'columns'] as const) {
      sizes[shape] = {};
      for (const enc of encodings) {
        const r = await get(readings(`${c.q}&shape=${shape}`), {
          ...auth,
          'accept-encoding': enc,
        });
        if (r.status !== 200) throw new Error(`${c.q} ${shape} ${enc} answered ${r.status}`);
        const got = String(r.headers['content-encoding'] ?? 'identity');
        if (got !== enc) throw new Error(`asked for ${enc}, got ${got}`);
        sizes[shape][enc] = r.bytes;
        if (enc === 'identity' && shape === 'columns')
          buckets = (JSON.parse(r.body.toString()) as { time_ms: number[] }).time_ms.length;
      }
    }
    for (const shape of ['points', 'columns'] as const)
      process.stdout.write(
        `| ${c.what} | ${buckets} | ${shape} | ${encodings.map((e) => kb(sizes[shape]![e]!)).join(' | ')} | ${
          shape === 'columns' ? (sizes.columns!.br! / sizes.points!.br!).toFixed(2) : ''
        } |\n`,
      );
  }

  // Finished history: an ETag, and 304 with no body for a client that holds it.
  const day = readings(`${cases[0]!.q}&shape=columns`);
  const first = await get(day, { ...auth, 'accept-encoding': 'br' });
  const etag = String(first.headers.etag ?? '');
  const again = await get(day, { ...auth, 'accept-encoding': 'br', 'if-none-match': etag });
  process.stdout.write(
    `\nserver: ETag ${etag || '(none)'}, cache-control ${String(first.headers['cache-control'])}; ` +
      `with If-None-Match: ${again.status}, ${again.bytes} body bytes\n`,
  );

  // A dashboard refresh (every 60 s) of the 24 h and 30 d charts at 900 px, brotli as browsers
  // accept it. Before: one request of the open range, read whole every time. After: the client's
  // split of the same query, first load (both 200), then a refresh (history revalidated with the
  // ETag it got: 304; the tail again). Bytes are head + body as received; times are each request's
  // to its last byte, the parts' in parallel as the client sends them.
  const br = { ...auth, 'accept-encoding': 'br' };
  const wire = (r: { bytes: number; headBytes: number }) => r.bytes + r.headBytes;
  const asUrl = (q: Record<string, string | number | undefined>) =>
    readings(
      new URLSearchParams(
        Object.entries({ ...q, shape: 'columns' }).flatMap(([k, v]): [string, string][] =>
          v === undefined ? [] : [[k, String(v)]],
        ),
      ).toString(),
    );
  process.stdout.write(
    '\n| refresh of | before: one request | after, first load: history + tail | after, refresh: history (304) + tail | refresh bytes after / before |\n|---|---|---|---|---|\n',
  );
  for (const start of ['-24h', '-30d']) {
    const query = { start, resolution: 'auto' as const, points: 900 };
    const whole = await get(asUrl(query), br);
    if (whole.status !== 200) throw new Error(start + ' answered ' + String(whole.status));
    const split = splitReadingsQuery(query, Date.now());
    if (!split) throw new Error('the web client does not split ' + start);
    const [history, tail] = await Promise.all([
      get(asUrl(split.history), br),
      get(asUrl(split.tail), br),
    ]);
    const etag = String(history.headers.etag ?? '');
    if (history.status !== 200 || tail.status !== 200 || !etag)
      throw new Error(
        start +
          ' split: history ' +
          String(history.status) +
          (etag ? '' : ' without an ETag (not finished?)') +
          ', tail ' +
          String(tail.status),
      );
    const [again, tailAgain] = await Promise.all([
      get(asUrl(split.history), { ...br, 'if-none-match': etag }),
      get(asUrl(split.tail), br),
    ]);
    if (again.status !== 304)
      throw new Error(start + ' history revalidated: ' + String(again.status));
    const ms = (a: { ms: number }, b: { ms: number }) => Math.max(a.ms, b.ms).toFixed(0) + ' ms';
    process.stdout.write(
      '| ' +
        start +
        ' (' +
        String(
          (JSON.parse(brotliDecompressSync(whole.body).toString()) as { time_ms: number[] }).time_ms
            .length,
        ) +
        ' buckets) | ' +
        String(wire(whole)) +
        ' B, ' +
        whole.ms.toFixed(0) +
        ' ms | ' +
        String(wire(history)) +
        ' + ' +
        String(wire(tail)) +
        ' B, ' +
        ms(history, tail) +
        ' | ' +
        String(wire(again)) +
        ' + ' +
        String(wire(tailAgain)) +
        ' B, ' +
        ms(again, tailAgain) +
        ' | ' +
        ((wire(again) + wire(tailAgain)) / wire(whole)).toFixed(2) +
        ' |\n',
    );
  }

  // Chromium: the same request as the web app's client sends it (fetch's default cache mode,
  // Bearer token, Accept JSON), twice; what went over the network the second time.
  const browser = await launchChromium();
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(base);
    // What the network did, from DevTools' protocol: the status as it came off the wire (304 for
    // a revalidation, though the page sees 200) and the bytes transferred, headers included.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    const net = new Map<string, { status?: number; ifNoneMatch?: string; bytes?: number }>();
    cdp.on('Network.requestWillBeSentExtraInfo', (e) => {
      const h = Object.fromEntries(
        Object.entries(e.headers).map(([k, v]) => [k.toLowerCase(), String(v)]),
      );
      if (h[':path']?.includes('/readings') || net.has(e.requestId))
        net.set(e.requestId, { ...net.get(e.requestId), ifNoneMatch: h['if-none-match'] });
    });
    cdp.on('Network.requestWillBeSent', (e) => {
      if (e.request.url.includes('/readings')) net.set(e.requestId, { ...net.get(e.requestId) });
    });
    cdp.on('Network.responseReceivedExtraInfo', (e) => {
      if (net.has(e.requestId))
        net.set(e.requestId, { ...net.get(e.requestId), status: e.statusCode });
    });
    cdp.on('Network.loadingFinished', (e) => {
      if (net.has(e.requestId))
        net.set(e.requestId, { ...net.get(e.requestId), bytes: e.encodedDataLength });
    });
    const inPage = async () =>
      page.evaluate(
        async ([url, token]) => {
          const res = await fetch(url, {
            method: 'GET',
            headers: { accept: 'application/json', authorization: `Bearer ${token}` },
          });
          return { status: res.status, length: (await res.text()).length };
        },
        [day.replace(base, ''), token] as const,
      );
    const a = await inPage();
    const b = await inPage();
    await page.waitForTimeout(1000);
    process.stdout.write(
      `chromium: the page saw ${a.status} (${a.length} chars) then ${b.status} (${b.length} chars); ` +
        `on the network: ${[...net.values()]
          .map(
            (s) =>
              `${s.status ?? '?'}, ${s.bytes ?? '?'} bytes${s.ifNoneMatch ? ` (If-None-Match ${s.ifNoneMatch})` : ''}`,
          )
          .join('; ')}\n`,
    );
  } finally {
    await browser.close();
  }
} finally {
  await product.stop();
}
