/**
 * Test-only: a stand-in for Supabase Auth (GoTrue), NOT Supabase itself. No real Supabase can
 * run on our CI machines (no Docker, no network), so this small HTTP server on 127.0.0.1 speaks
 * the part of GoTrue's REST API the web app uses, with the request and response shapes of
 * Supabase's documentation and of GoTrue's source, and signs HS256 access tokens shaped like a
 * Supabase project's with the legacy JWT secret. Whatever passes here has not been checked
 * against a real Supabase project.
 *
 * Served: `POST /auth/v1/token?grant_type=password` (`{email, password}`),
 * `POST /auth/v1/token?grant_type=refresh_token` (`{refresh_token}`; refresh tokens rotate and
 * are single-use), `POST /auth/v1/logout` (Bearer access token; ends that session), and
 * `GET /auth/v1/.well-known/jwks.json` (empty, as for a project on the legacy HS256 secret).
 * Every request needs the `apikey` header, like Supabase's API gateway, and CORS is open (a
 * preflight is answered without it), so a browser on the dashboard's origin can call it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify, SignJWT } from 'jose';

export interface StandinUser {
  id: string;
  email: string;
  password: string;
  /** Merged into the token's `app_metadata` (only the service key may set it in Supabase). */
  app_metadata?: Record<string, unknown>;
}

export interface GoTrueStandinOptions {
  users: StandinUser[];
  /** The project's JWT secret (HS256), at least 32 characters. */
  jwtSecret: string;
  /** Access token lifetime in seconds; Supabase's default is 3600. */
  expiresIn?: number;
}

export interface GoTrueStandin {
  /** Project URL, e.g. http://127.0.0.1:41234 (GoTrue lives under /auth/v1). */
  url: string;
  /** A legacy anon key: an HS256 JWT with `role: anon`, signed with the JWT secret. */
  anonKey: string;
  /** Every request received, in order. */
  requests: Array<{ method: string; path: string; apikey?: string; authorization?: string }>;
  close(): Promise<void>;
}

/** GoTrue's error body (`{code, error_code, msg}`) with its status. */
function fail(res: ServerResponse, status: number, errorCode: string, msg: string): void {
  res
    .writeHead(status, { 'content-type': 'application/json' })
    .end(JSON.stringify({ code: status, error_code: errorCode, msg }));
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  try {
    const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Start the stand-in on 127.0.0.1, port 0. */
export async function startGoTrueStandin(opts: GoTrueStandinOptions): Promise<GoTrueStandin> {
  const secret = new TextEncoder().encode(opts.jwtSecret);
  const expiresIn = opts.expiresIn ?? 3600;
  const requests: GoTrueStandin['requests'] = [];
  /** Live refresh tokens -> user id and session id. */
  const refreshTokens = new Map<string, { userId: string; sessionId: string }>();
  let url = '';
  const nowSec = () => Math.floor(Date.now() / 1000);
  const anonKey = await new SignJWT({ iss: 'supabase', ref: 'standin', role: 'anon' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime('10y')
    .sign(secret);

  /** A session as GoTrue returns it: access token, rotating refresh token, user. */
  async function session(user: StandinUser, sessionId: string): Promise<object> {
    const iat = nowSec();
    const appMetadata = { provider: 'email', providers: ['email'], ...user.app_metadata };
    const accessToken = await new SignJWT({
      email: user.email,
      phone: '',
      app_metadata: appMetadata,
      user_metadata: {},
      role: 'authenticated',
      aal: 'aal1',
      amr: [{ method: 'password', timestamp: iat }],
      session_id: sessionId,
      is_anonymous: false,
    })
      .setProtectedHeader({ alg: 'HS256', kid: 'standin-hs256', typ: 'JWT' })
      .setIssuer(`${url}/auth/v1`)
      .setAudience('authenticated')
      .setSubject(user.id)
      .setIssuedAt(iat)
      .setExpirationTime(iat + expiresIn)
      .sign(secret);
    const refreshToken = randomBytes(9).toString('base64url');
    refreshTokens.set(refreshToken, { userId: user.id, sessionId });
    return {
      access_token: accessToken,
      token_type: 'bearer',
      expires_in: expiresIn,
      expires_at: iat + expiresIn,
      refresh_token: refreshToken,
      user: {
        id: user.id,
        aud: 'authenticated',
        role: 'authenticated',
        email: user.email,
        app_metadata: appMetadata,
        user_metadata: {},
        identities: [],
        created_at: '2026-01-01T00:00:00Z',
        updated_at: new Date(iat * 1000).toISOString(),
        is_anonymous: false,
      },
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', url);
    const apikey = typeof req.headers.apikey === 'string' ? req.headers.apikey : undefined;
    // Like Supabase's gateway, answer browsers on other origins (the dashboard calls it directly):
    // every answer allows any origin, and a CORS preflight needs no API key.
    res.setHeader('access-control-allow-origin', '*');
    if (req.method === 'OPTIONS') {
      res
        .writeHead(204, {
          'access-control-allow-methods': 'GET, POST, OPTIONS',
          'access-control-allow-headers': 'apikey, authorization, content-type, x-client-info',
          'access-control-max-age': '86400',
        })
        .end();
      return;
    }
    requests.push({
      method: req.method ?? '',
      path: `${u.pathname}${u.search}`,
      apikey,
      authorization: req.headers.authorization,
    });
    // Supabase's gateway answers these two itself, with `message` rather than GoTrue's `msg`.
    if (apikey === undefined) return send(res, 401, { message: 'No API key found in request' });
    if (apikey !== anonKey) return send(res, 401, { message: 'Invalid API key' });

    if (req.method === 'GET' && u.pathname === '/auth/v1/.well-known/jwks.json') {
      return send(res, 200, { keys: [] });
    }
    if (req.method === 'POST' && u.pathname === '/auth/v1/token') {
      const body = await readJson(req);
      if (!body) return fail(res, 400, 'bad_json', 'Could not parse request body as JSON');
      const grant = u.searchParams.get('grant_type');
      if (grant === 'password') {
        const user = opts.users.find((x) => x.email === body.email);
        if (!user || user.password !== body.password) {
          return fail(res, 400, 'invalid_credentials', 'Invalid login credentials');
        }
        return send(res, 200, await session(user, randomUUID()));
      }
      if (grant === 'refresh_token') {
        const token = typeof body.refresh_token === 'string' ? body.refresh_token : '';
        const held = refreshTokens.get(token);
        const user = held && opts.users.find((x) => x.id === held.userId);
        if (!held || !user) {
          return fail(
            res,
            400,
            'refresh_token_not_found',
            'Invalid Refresh Token: Refresh Token Not Found',
          );
        }
        refreshTokens.delete(token);
        return send(res, 200, await session(user, held.sessionId));
      }
      return fail(res, 400, 'validation_failed', 'Unsupported grant type');
    }
    if (req.method === 'POST' && u.pathname === '/auth/v1/logout') {
      const bearer = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
      let sessionId: unknown;
      try {
        ({
          payload: { session_id: sessionId },
        } = await jwtVerify(bearer, secret, { algorithms: ['HS256'] }));
      } catch {
        return fail(res, 401, 'bad_jwt', 'invalid JWT: unable to parse or verify signature');
      }
      for (const [t, s] of refreshTokens) if (s.sessionId === sessionId) refreshTokens.delete(t);
      res.writeHead(204).end();
      return;
    }
    return fail(res, 404, 'not_found', `${req.method} ${u.pathname} is not served by the stand-in`);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => fail(res, 500, 'unexpected_failure', String(e)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    anonKey,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
