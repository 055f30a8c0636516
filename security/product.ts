/**
 * The real product for the attack/fault suite: `nilm start` in a child process on embedded
 * stores, its own ports and data folder, without the web build (the suite speaks HTTP and MQTT
 * only). Unlike e2e/product.fixture.ts it lets a scenario choose the data folder (a full tmpfs),
 * send signals and read the exit code, and expects some starts to fail.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ADMIN = { email: 'sec-admin@nilm.local', password: 'sec-password-123' };

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
    s.on('error', fail);
  });
}

export interface Product {
  url: string;
  mqttUrl?: string;
  child: ChildProcess;
  dataDir: string;
  /** Everything the process printed so far. */
  output: () => string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after 30 s; removes a data folder it made. */
  stop: () => Promise<number | null>;
}

/** Spawn `nilm start`; resolves once it prints its address, rejects if it exits first. */
export async function startProduct(
  opts: { env?: Record<string, string>; dataDir?: string; mqtt?: boolean } = {},
): Promise<Product> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'nilm-sec-'));
  const port = await freePort();
  const mqttPort = opts.mqtt ? await freePort() : 0;
  const { child, output, exited } = spawnStart({
    PORT: String(port),
    NILM_DATA_DIR: dataDir,
    MQTT_EMBEDDED_PORT: String(mqttPort),
    ...opts.env,
  });
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`no start in 120 s:\n${output()}`)), 120_000);
    const check = (): void => {
      const m = /running at (http:\/\/\S+)/.exec(output());
      if (m) {
        clearTimeout(timer);
        res(m[1]!);
      }
    };
    child.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      rej(new Error(`exited with ${code} before it was ready:\n${output()}`));
    });
  });
  return {
    url,
    mqttUrl: opts.mqtt ? `mqtt://127.0.0.1:${mqttPort}` : undefined,
    child,
    dataDir,
    output,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await Promise.race([
        exited,
        new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000)),
      ]);
      if (code === 'timeout') child.kill('SIGKILL');
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
      return code === 'timeout' ? null : code;
    },
  };
}

/** Spawn `nilm start` with `env` over safe defaults (no demo, quiet logs, local admin). */
export function spawnStart(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, [join(ROOT, 'apps', 'cli', 'bin', 'nilm.js'), 'start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      DEMO: 'false',
      LOG_LEVEL: 'warn',
      NILM_ADMIN_EMAIL: ADMIN.email,
      NILM_ADMIN_PASSWORD: ADMIN.password,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return { child, output: () => out, exited };
}

/** JSON over HTTP against the product. */
export async function api(
  base: string,
  path: string,
  init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {},
  // The answers are whatever the product sent; scenarios read fields they expect and assert them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ status: number; json: any; headers: Headers; text: string }> {
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...init.headers,
    },
    body:
      init.body === undefined
        ? undefined
        : typeof init.body === 'string'
          ? init.body
          : JSON.stringify(init.body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, headers: res.headers, text };
}

/** Sign in as a local account; returns its access token. */
export async function login(base: string, email: string, password: string): Promise<string> {
  const r = await api(base, '/api/v1/auth/login', { body: { email, password } });
  if (r.status !== 200) throw new Error(`sign-in failed: ${r.status} ${r.text}`);
  return r.json.access_token as string;
}
