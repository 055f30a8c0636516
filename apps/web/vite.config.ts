import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';
import { defineConfig, type Plugin } from 'vite';

// Precompression: a brotli (`.br`) and a gzip (`.gz`) copy beside every compressible file of the
// build, which the server sends as they are (with Content-Encoding) instead of compressing on
// each request. Both at their highest level: this runs once per build, every visit gains.

/**
 * What gains from compression; images and fonts are compressed already, and source maps are
 * fetched only by developer tools (brotli's top level on them would double the build time).
 */
const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|txt|webmanifest)$/;
/** Below this, compression saves less than its own header costs (the server's threshold too). */
const MIN_BYTES = 1024;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The Vite plugin: runs after the bundle is written to `build.outDir`. */
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'nilm-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = join(config.root, config.build.outDir);
    },
    closeBundle() {
      for (const path of filesUnder(outDir)) {
        if (!COMPRESSIBLE.test(path)) continue;
        const bytes = readFileSync(path);
        if (bytes.length < MIN_BYTES) continue;
        writeFileSync(
          `${path}.br`,
          brotliCompressSync(bytes, {
            params: {
              [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
              [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
            },
          }),
        );
        writeFileSync(`${path}.gz`, gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION }));
      }
    },
  };
}

/**
 * The service worker (src/sw/sw.ts) as /sw.js, a classic script at the root so its scope is the
 * whole app, with the app shell it precaches written in: index.html first, then every file of
 * the build (source maps and Vite's manifest aside) and of public/ (manifest, icons). Its
 * version, which names its caches, is a hash of those files' names and contents, so any change
 * to the app makes a new worker that drops the old caches.
 */
function serviceWorker(): Plugin {
  let root = '';
  let publicDir = '';
  return {
    name: 'nilm-service-worker',
    apply: 'build',
    enforce: 'post',
    configResolved(config) {
      root = config.root;
      publicDir = config.publicDir;
    },
    buildStart() {
      this.emitFile({ type: 'chunk', id: join(root, 'src', 'sw', 'sw.ts'), fileName: 'sw.js' });
    },
    generateBundle(_options, bundle) {
      const sw = bundle['sw.js'];
      if (sw?.type !== 'chunk') return this.error('sw.js was not built');
      // A worker loaded as a classic script cannot import: it must share no module with the app.
      if (sw.imports.length > 0)
        return this.error(`sw.js imports ${sw.imports.join(', ')}: it must import nothing`);
      if (!bundle['index.html']) return this.error('index.html is not in the bundle yet');
      const hash = createHash('sha256');
      const built = Object.values(bundle)
        .filter((f) => f !== sw && !f.fileName.endsWith('.map') && !f.fileName.startsWith('.vite/'))
        .map((f) => {
          hash.update(f.fileName).update(f.type === 'chunk' ? f.code : f.source);
          return `/${f.fileName}`;
        });
      const published = filesUnder(publicDir).map((path) => {
        hash.update(path).update(readFileSync(path));
        return `/${relative(publicDir, path).split(sep).join('/')}`;
      });
      const precache = [
        '/index.html',
        ...[...built, ...published].filter((p) => p !== '/index.html').sort(),
      ];
      sw.code = sw.code
        .replace('__NILM_PRECACHE__', JSON.stringify(precache))
        .replace('__NILM_VERSION__', JSON.stringify(hash.digest('hex').slice(0, 16)));
    },
  };
}

// The dev server proxies the API to a locally running `nilm start` (PORT=18090), so the app
// talks to the server only over HTTP, exactly as it does when the server serves dist/.
const api = 'http://127.0.0.1:18090';

export default defineConfig({
  plugins: [react(), tailwindcss(), serviceWorker(), precompress()],
  server: {
    proxy: { '/api': api, '/live': api, '/ready': api, '/docs': api },
  },
  // The manifest tells the wire bench which chunks each page loads.
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, manifest: true },
});
