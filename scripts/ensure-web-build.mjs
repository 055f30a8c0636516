// Runs before `npm start`: builds the web app when it has not been built yet, or when a source
// file (src/, public/ with the manifest and icons, index.html, vite.config.ts, which writes the
// service worker) is newer than the build, so that `npm install && npm start` serves the dashboard.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const web = join(import.meta.dirname, '..', 'apps', 'web');
const built = join(web, 'dist', 'index.html');

function newest(dir) {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

if (!existsSync(join(web, 'package.json'))) process.exit(0);
const sources = Math.max(
  newest(join(web, 'src')),
  ...['public', 'index.html', 'vite.config.ts']
    .map((name) => join(web, name))
    .filter((p) => existsSync(p))
    .map((p) => (statSync(p).isDirectory() ? newest(p) : statSync(p).mtimeMs)),
);
const stale = !existsSync(built) || sources > statSync(built).mtimeMs;
if (stale) {
  console.log('building the web app (once; later starts reuse it)...');
  execFileSync('npm', ['run', 'build', '-w', '@nilm/web'], { stdio: 'inherit' });
}
