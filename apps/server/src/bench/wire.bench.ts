/**
 * Bytes on the wire: what a browser downloads before the sign-in page shows, from there to the
 * first chart (sign-in, then the dashboard), and for one day of readings, each next to the uncompressed size.
 * Real requests to the running server with a browser's Accept-Encoding; the body bytes are
 * counted as they arrive, before any decompression.
 */
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';

/** What one set of requests cost. */
export interface WireBytes {
  files: number;
  /** Body bytes as sent, compressed or not. */
  wire_bytes: number;
  /** Body bytes after decoding, what the same requests cost uncompressed. */
  raw_bytes: number;
  /** Content-Encoding of the largest response ('identity' when none). */
  encoding: string;
}

export interface WireBenchResult {
  sign_in_js: WireBytes;
  first_chart_js: WireBytes;
  readings_day_json: WireBytes;
}

/** What Chromium sends. */
const BROWSER_ACCEPT_ENCODING = 'gzip, deflate, br, zstd';

interface ManifestChunk {
  file: string;
  imports?: string[];
  isEntry?: boolean;
}

/** The JS files a page needs: the entry's static imports, then the page's (Vite's manifest). */
export function pageScripts(webDir: string, pages: readonly string[]): string[] {
  const path = join(webDir, '.vite', 'manifest.json');
  if (!existsSync(path))
    throw new Error(`${path} is missing; build the web app first (npm run build)`);
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as Record<string, ManifestChunk>;
  const entry = Object.keys(manifest).find((k) => manifest[k]!.isEntry);
  const files = new Set<string>();
  const visit = (key: string): void => {
    const chunk = manifest[key];
    if (!chunk) throw new Error(`the web build's manifest has no chunk ${key}`);
    if (files.has(chunk.file)) return;
    files.add(chunk.file);
    for (const i of chunk.imports ?? []) visit(i);
  };
  for (const key of [entry!, ...pages]) visit(key);
  return [...files].filter((f) => f.endsWith('.js'));
}

/** GET `url` as a browser would; counts the body bytes as sent. */
function wireGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ wire: number; encoding: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { headers: { ...headers, 'accept-encoding': BROWSER_ACCEPT_ENCODING } },
      (res) => {
        let wire = 0;
        res.on('data', (chunk: Buffer) => (wire += chunk.length));
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`GET ${url} answered ${res.statusCode}`));
          else resolve({ wire, encoding: String(res.headers['content-encoding'] ?? 'identity') });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function measure(
  urls: readonly string[],
  headers: Record<string, string>,
): Promise<WireBytes> {
  let wire = 0;
  let raw = 0;
  let largest = -1;
  let encoding = 'identity';
  for (const url of urls) {
    const sent = await wireGet(url, headers);
    // The decoded size, from an ordinary client that decompresses.
    const decoded = (await (await fetch(url, { headers })).arrayBuffer()).byteLength;
    wire += sent.wire;
    raw += decoded;
    if (sent.wire > largest) [largest, encoding] = [sent.wire, sent.encoding];
  }
  return { files: urls.length, wire_bytes: wire, raw_bytes: raw, encoding };
}

/**
 * Measure against a server at `baseUrl` serving the web build in `webDir`; `readingsPath` is a
 * one-day readings query the `headers` may read.
 */
export async function benchWire(
  baseUrl: string,
  webDir: string,
  readingsPath: string,
  headers: Record<string, string>,
): Promise<WireBenchResult> {
  const url = (f: string) => `${baseUrl}/${f}`;
  return {
    sign_in_js: await measure(pageScripts(webDir, ['src/pages/login.page.tsx']).map(url), {}),
    first_chart_js: await measure(
      pageScripts(webDir, ['src/pages/login.page.tsx', 'src/pages/dashboard.page.tsx']).map(url),
      {},
    ),
    readings_day_json: await measure([`${baseUrl}${readingsPath}`], headers),
  };
}
