// Fails when the web app's initial JavaScript (the entry script and the modules index.html
// preloads) is over the budget as the browser receives it: the brotli files the build wrote
// beside them, which the server sends as they are. A file under the compression threshold (1 KB,
// the build's and the server's) goes out as it is and counts at its own size; a larger one
// without its .br fails. Run after `npm run build`.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const BUDGET_KB = 250;
/** The build compresses files from this size up (apps/web/vite.config.ts MIN_BYTES). */
const MIN_BYTES = 1024;
const dist = join(import.meta.dirname, '..', 'apps', 'web', 'dist');
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const files = [...html.matchAll(/(?:src|href)="\/?(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
if (files.length === 0) {
  console.error('no script found in apps/web/dist/index.html; build the web app first');
  process.exit(1);
}
let total = 0;
for (const f of new Set(files)) {
  const raw = join(dist, f);
  const sent = join(dist, `${f}.br`);
  if (!existsSync(sent)) {
    if (statSync(raw).size < MIN_BYTES) {
      const kb = statSync(raw).size / 1024;
      total += kb;
      console.log(`${f}: ${kb.toFixed(1)} KB uncompressed (under ${MIN_BYTES} bytes), as sent`);
      continue;
    }
    console.error(`${f}.br is missing: the build must precompress (apps/web/vite.config.ts)`);
    process.exit(1);
  }
  const kb = statSync(sent).size / 1024;
  total += kb;
  console.log(`${f}: ${kb.toFixed(1)} KB brotli, as sent`);
}
console.log(`initial JavaScript: ${total.toFixed(1)} KB brotli, as sent (budget ${BUDGET_KB} KB)`);
if (total > BUDGET_KB) process.exit(1);
