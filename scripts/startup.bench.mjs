// Start-up of the `nilm` command, compiled JavaScript against the TypeScript sources through tsx,
// interleaved so both see the same load: time to the first byte of `nilm --help` and
// `nilm --version`, and time from spawning `nilm start` (or `serve`) to its first 200 on /live.
// Run after `npm run build`: node scripts/startup.bench.mjs [runs=5] [start|serve|none]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const runs = Number(process.argv[2] ?? 5);
const role = process.argv[3] ?? 'start';
if (!Number.isInteger(runs) || runs < 1 || !['start', 'serve', 'none'].includes(role)) {
  console.error('usage: node scripts/startup.bench.mjs [runs=5] [start|serve|none]');
  process.exit(2);
}

// bin/nilm.js runs dist/ when the build is current; the old entry registered tsx and imported
// src/main.ts, which `--import tsx/esm` does the same way.
const MODES = {
  js: [join(root, 'apps/cli/bin/nilm.js')],
  tsx: ['--import', 'tsx/esm', join(root, 'apps/cli/src/main.ts')],
};

/** Milliseconds from spawn to the first byte on stdout; the command must exit 0. */
function firstOutput(args) {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    let first;
    const child = spawn(process.execPath, args, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.once('data', () => (first = performance.now() - t0));
    child.on('exit', (code) =>
      code === 0 && first !== undefined ? done(first) : fail(new Error(`${args}: exit ${code}`)),
    );
  });
}

function freePort() {
  return new Promise((done) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => done(port));
    });
  });
}

/** Milliseconds from spawn to the first 200 on /live; the server is then stopped (SIGTERM). */
async function untilLive(args, dataDir) {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [...args, role], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'ignore'],
    env: { ...process.env, PORT: String(port), NILM_DATA_DIR: dataDir },
  });
  let exited = false;
  const gone = new Promise((done) => child.on('exit', () => ((exited = true), done())));
  try {
    for (;;) {
      if (exited) throw new Error(`nilm ${role} exited before /live answered`);
      const ok = await fetch(`http://127.0.0.1:${port}/live`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return performance.now() - t0;
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    child.kill('SIGTERM');
    await gone;
  }
}

const cases = [
  ['--help', (args) => firstOutput([...args, '--help'])],
  ['--version', (args) => firstOutput([...args, '--version'])],
];
const dirs = {};
if (role !== 'none') {
  for (const mode of Object.keys(MODES)) {
    dirs[mode] = mkdtempSync(join(tmpdir(), `nilm-startup-${mode}-`));
    // A first start (not counted) creates the data folder, its stores and the demo home.
    await untilLive(MODES[mode], dirs[mode]);
  }
  cases.push([`${role} -> /live`, (args, mode) => untilLive(args, dirs[mode])]);
}

const load = [loadavg()[0]];
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
};
const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
console.log(`node ${process.version}, ${runs} runs each, js and tsx interleaved`);
console.log('| command | compiled JS: median (min-max) | tsx: median (min-max) | tsx / JS |');
console.log('|---|---|---|---|');
for (const [name, measure] of cases) {
  const t = { js: [], tsx: [] };
  for (let i = 0; i < runs; i++)
    for (const mode of i % 2 ? ['tsx', 'js'] : ['js', 'tsx'])
      t[mode].push(await measure(MODES[mode], mode));
  load.push(loadavg()[0]);
  const [js, tsx] = [stats(t.js), stats(t.tsx)];
  console.log(
    `| nilm ${name} | ${fmt(js.median)} (${fmt(js.min)}-${fmt(js.max)}) | ${fmt(tsx.median)} (${fmt(tsx.min)}-${fmt(tsx.max)}) | ${(tsx.median / js.median).toFixed(1)} |`,
  );
}
console.log(`load average (1 min) during the runs: ${load.map((l) => l.toFixed(1)).join(', ')}`);
for (const dir of Object.values(dirs)) rmSync(dir, { recursive: true, force: true });
