/**
 * Test-only fixtures: real key pairs made with jose and a real JWKS server on 127.0.0.1 that
 * counts requests and can be switched to fail or hang. Not exported from the package.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import {
  base64url,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';

export interface TestKey {
  alg: 'RS256' | 'ES256';
  kid: string;
  privateKey: CryptoKey;
  /** Public JWK as a JWKS publishes it (`kid`, `alg`, `use`). */
  jwk: JWK;
  /** Public key as SPKI PEM, for the algorithm-confusion attack. */
  pem: string;
}

/** A fresh key pair for `alg`, published under `kid`. */
export async function makeKey(alg: 'RS256' | 'ES256', kid: string): Promise<TestKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, jwk, pem: await exportSPKI(publicKey) };
}

export type ServerMode = 'ok' | 'error' | 'hang';

export interface JwksServer {
  /** Base URL, e.g. http://127.0.0.1:41234 (the JWKS is served on every path). */
  base: string;
  /** The conventional JWKS URL under `base`. */
  url: string;
  /** Requests received so far, and their paths. */
  readonly requests: number;
  readonly paths: string[];
  keys: JWK[];
  mode: ServerMode;
  /** Delay before answering, so concurrent callers overlap one request. */
  delayMs: number;
  close(): Promise<void>;
}

/** Start a JWKS server on 127.0.0.1, port 0. */
export async function startJwksServer(keys: JWK[]): Promise<JwksServer> {
  const paths: string[] = [];
  const state = { keys, mode: 'ok' as ServerMode, delayMs: 0 };
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    paths.push(req.url ?? '');
    if (state.mode === 'hang') return;
    setTimeout(() => {
      if (state.mode === 'error') {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('down');
        return;
      }
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: state.keys }));
    }, state.delayMs);
  };
  const server = createServer(handle);
  let closing: Promise<void> | undefined;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    url: `${base}/auth/v1/.well-known/jwks.json`,
    get requests() {
      return paths.length;
    },
    paths,
    get keys() {
      return state.keys;
    },
    set keys(value: JWK[]) {
      state.keys = value;
    },
    get mode() {
      return state.mode;
    },
    set mode(value: ServerMode) {
      state.mode = value;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(value: number) {
      state.delayMs = value;
    },
    close: () => {
      // Idempotent, so a test may stop the server early and the shared teardown still runs.
      closing ??= new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      });
      return closing;
    },
  };
}

export interface SignOptions {
  alg: string;
  key: CryptoKey | Uint8Array;
  kid?: string;
  /** Claims; a claim set to `undefined` is left out. */
  claims: Record<string, unknown>;
}

/** Sign a token with exactly the given header `alg`/`kid` and claims. */
export function signToken({ alg, key, kid, claims }: SignOptions): Promise<string> {
  const payload = Object.fromEntries(
    Object.entries(claims).filter(([, value]) => value !== undefined),
  ) as JWTPayload;
  return new SignJWT(payload)
    .setProtectedHeader({ alg, typ: 'JWT', ...(kid !== undefined ? { kid } : {}) })
    .sign(key);
}

/** An unsigned `alg: none` token, built by hand because jose refuses to make one. */
export function unsignedToken(header: Record<string, unknown>, claims: JWTPayload): string {
  const part = (value: unknown): string =>
    base64url.encode(new TextEncoder().encode(JSON.stringify(value)));
  return `${part(header)}.${part(claims)}.`;
}

/** Seconds since the epoch for a millisecond clock value. */
export function sec(ms: number): number {
  return Math.floor(ms / 1000);
}
