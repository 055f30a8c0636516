/**
 * `build(deps)` makes the Fastify app without listening (tests call `app.inject()`); `server.ts`
 * listens. Every route has request and response schemas from @nilm/contracts; every error
 * leaves as `{"error": {"code", "message", "details"}, "request_id"}`, also those Node's HTTP
 * parser raises before a request exists (an oversize header). Bodies are validated without
 * type coercion; security headers come from @fastify/helmet. See docs/security.md.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { maxHeaderSize, STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import AjvCompiler from '@fastify/ajv-compiler';
import compress from '@fastify/compress';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fastifyStatic from '@fastify/static';
import { errorStatus } from '@nilm/contracts';
import { StoreUnavailableError } from '@nilm/stores';
import { identify, presentedCredential } from './route.guards.js';
import type { AppDeps } from './app.deps.js';
import { FailedAuthLimiter, LoginBackoff, type AuthLimits } from './auth/index.js';
import { answerOf, ApiError, type ApiErrorCode } from './errors.js';
import { registerAuthRoutes } from './routes/auth.routes.js';
import { registerBuildingRoutes } from './routes/buildings.routes.js';
import { registerApplianceRoutes } from './routes/appliances.routes.js';
import { registerSourceRoutes } from './routes/sources.routes.js';
import { registerTariffRoutes } from './routes/tariff.routes.js';
import { registerWriteRoutes } from './routes/write.routes.js';
import { registerImportRoutes } from './routes/import.routes.js';
import { registerHealthRoutes } from './routes/health.routes.js';
import { registerIngestRoutes } from './routes/ingest.routes.js';
import { registerModelRoutes } from './routes/models.routes.js';
import { registerReadingRoutes } from './routes/readings.routes.js';
import { registerUserRoutes } from './routes/users.routes.js';
import { registerAlertRoutes } from './routes/alerts.routes.js';
import { registerDeviceRoutes } from './routes/devices.routes.js';
import { registerFinetuneRoutes } from './routes/finetune.routes.js';
import { registerLabelRoutes } from './routes/labels.routes.js';
import { registerSubmeterRoutes } from './routes/submeters.routes.js';
import { registerSubmeterScorecardRoutes } from './routes/submeters.scorecard.routes.js';
import { LiveHub } from './services/live.hub.js';
import { DiskWatch, diskFullStore, isDiskFull } from './storage.health.js';
import { ExternalUsers } from './services/users.service.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Body of an error response. */
function errorBody(
  code: ApiErrorCode,
  message: string,
  requestId: string,
  details?: unknown,
): object {
  return {
    error: { code, message, ...(details === undefined ? {} : { details }) },
    request_id: requestId,
  };
}

/**
 * A new request id: 16 hex digits of a random UUID (Node draws those from a buffered pool; a
 * `randomBytes(8)` per request was 5 % of the event loop at 50 concurrent readings clients).
 */
const newRequestId = (): string => `req_${randomUUID().replaceAll('-', '').slice(0, 16)}`;

/**
 * Validators: request bodies are checked exactly as their schemas say (`"77"`, `true`, `null` or
 * `[5]` is not a number), while the query string, path parameters and headers, which are text
 * on the wire, still have numbers and booleans read from their text.
 */
function buildValidators(): { buildValidator: AjvCompiler.ValidatorFactory } {
  const factory = AjvCompiler();
  const common = { removeAdditional: false, allErrors: false } as const;
  return {
    buildValidator: (externalSchemas) => {
      const exact = factory(externalSchemas, { customOptions: { ...common, coerceTypes: false } });
      const fromText = factory(externalSchemas, {
        customOptions: { ...common, coerceTypes: 'array' },
      });
      return (route) => (route.httpPart === 'body' ? exact : fromText)(route);
    },
  };
}

/** How deep a request is searched for NUL; no request schema nests nearly this deep. */
const NUL_SEARCH_DEPTH = 32;

/**
 * The path (`['readings', '0', 'ts']`) to the first string or key holding a NUL character, if
 * any. Recursive but bounded: a body nested deeper than any schema allows is refused by
 * validation, which runs next.
 */
function nulPath(v: unknown, depth = NUL_SEARCH_DEPTH): string[] | undefined {
  if (typeof v === 'string') return v.includes('\u0000') ? [] : undefined;
  if (typeof v !== 'object' || v === null || depth === 0) return undefined;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = nulPath(v[i], depth - 1);
      if (p) return [String(i), ...p];
    }
    return undefined;
  }
  for (const k of Object.keys(v)) {
    if (k.includes('\u0000')) return [k];
    const p = nulPath((v as Record<string, unknown>)[k], depth - 1);
    if (p) return [k, ...p];
  }
  return undefined;
}

/** CSP sources (`'sha256-...'`) for the inline scripts of an HTML page. */
function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)]
    .filter(([, attrs = '']) => !/\bsrc\s*=/i.test(attrs))
    .map(([, , body = '']) => `'sha256-${createHash('sha256').update(body).digest('base64')}'`);
}

/**
 * The dashboard's script-src: its own files, plus its inline scripts (the theme set before first
 * paint) by hash. index.html is read again when it changes on disk, so a rebuild needs no restart.
 */
function dashboardScriptSources(indexHtml: string | undefined): (req: IncomingMessage) => string {
  let seen = '';
  let sources = "'self'";
  return (req) => {
    if (!indexHtml || req.url?.startsWith('/api/')) return "'self'";
    try {
      const st = statSync(indexHtml);
      const key = `${st.mtimeMs}:${st.size}`;
      if (key !== seen) {
        sources = ["'self'", ...inlineScriptHashes(readFileSync(indexHtml, 'utf8'))].join(' ');
        seen = key;
      }
    } catch {
      // Mid-rebuild (no index.html for a moment): keep the last known sources.
    }
    return sources;
  };
}

/** Build the app. */
export async function build(deps: AppDeps): Promise<FastifyInstance> {
  const now = deps.now ?? Date.now;
  const failures = new FailedAuthLimiter({
    maxFailures: deps.config.AUTH_FAILURES_PER_MINUTE,
    windowMs: 60_000,
    now,
  });
  const authLimits: AuthLimits = {
    failures,
    logins: new LoginBackoff({
      freeAttempts: deps.config.LOGIN_BACKOFF_AFTER,
      maxDelayS: deps.config.LOGIN_BACKOFF_MAX_S,
      now,
    }),
    refuseIfFailing: (ip, credential) => {
      const wait = failures.blockedFor(ip, credential);
      if (wait > 0)
        throw new ApiError(
          'AUTH_FAILURES_LIMITED',
          `too many failed authentications from your address; retry in ${wait} s`,
          { retry_after_s: wait },
          wait,
        );
    },
  };
  const knownUsers = new ExternalUsers(deps.metadata);
  const disk = new DiskWatch(deps.config.dataDir, now);
  const app = Fastify({
    logger: deps.config.LOG_LEVEL === 'silent' ? false : { level: deps.config.LOG_LEVEL },
    bodyLimit: deps.config.MAX_BODY_BYTES,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : newRequestId();
    },
    schemaController: { compilersFactory: buildValidators() },
    // X-Forwarded-For is believed only from the proxies TRUST_PROXY lists: believed from anyone,
    // it would let every client choose its own address and escape the per-IP limits.
    trustProxy: deps.config.TRUST_PROXY,
    // Errors of Node's HTTP parser (an oversize header, a malformed request line) come before
    // any request exists; answer them with the same envelope as every other error.
    clientErrorHandler(err: Error & { code?: string }, socket: Socket) {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      const [code, message]: [ApiErrorCode, string] =
        err.code === 'HPE_HEADER_OVERFLOW'
          ? [
              'HEADERS_TOO_LARGE',
              `the request headers are larger than ${maxHeaderSize} bytes; send fewer or shorter headers (cookies, tokens)`,
            ]
          : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? ['REQUEST_TIMEOUT', 'the request took too long to arrive; send it again']
            : ['BAD_REQUEST', 'the request is not valid HTTP/1.1'];
      const status = errorStatus(code);
      const body = JSON.stringify(errorBody(code, message, newRequestId()));
      if (socket.writable) {
        socket.write(
          `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
            'Content-Type: application/json; charset=utf-8\r\n' +
            'X-Content-Type-Options: nosniff\r\n' +
            `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      }
      socket.destroy(err);
    },
  });
  // Every body is JSON; without this, a text/plain body would reach the schema as a string (422)
  // instead of being refused as the wrong media type (415).
  app.removeContentTypeParser('text/plain');

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  const live = new LiveHub({
    timeseries: deps.timeseries,
    metadata: deps.metadata,
    pollMs: deps.config.LIVE_POLL_MS,
    recheckMs: deps.config.LIVE_RECHECK_MS,
    maxPerUser: deps.config.LIVE_STREAMS_PER_USER,
    maxTotal: deps.config.LIVE_STREAMS_TOTAL,
    latest: deps.latestReadings,
    now,
    log: app.log,
  });
  // Live streams never end by themselves: end them (with a reason) before the server waits for
  // its connections to close.
  app.addHook('preClose', async () => live.close());
  // PostgreSQL cannot hold a NUL in text: refuse it anywhere in a request, before it reaches a
  // store as a 500 (control characters in names are refused by their routes).
  app.addHook('preValidation', async (request) => {
    for (const [part, value] of [
      ['params', request.params],
      ['querystring', request.query],
      ['body', request.body],
    ] as const) {
      const path = nulPath(value);
      if (path === undefined) continue;
      const where = [part, ...path].join('/');
      throw new ApiError(
        'VALIDATION_FAILED',
        `${where} contains a NUL character (\\u0000), which cannot be stored; remove it`,
        { field: where },
      );
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    deps.metrics.httpRequests.inc({
      method: request.method,
      route: request.routeOptions.url ?? 'unknown',
      status: String(reply.statusCode),
    });
  });

  app.setErrorHandler((err: FastifyError | Error, request, reply) => {
    const id = request.id;
    // A full disk, whichever store and driver says it: 503 naming the cause (the client retries,
    // as for any store outage), and /ready reports it.
    if (isDiskFull(err)) {
      const store = diskFullStore(err, {
        metadata: deps.metadata.kind,
        timeseries: deps.timeseries.kind,
      });
      disk.noteFull(store);
      request.log.error({ err, store }, 'a store could not write: disk full');
      void reply.header('retry-after', '30');
      return reply
        .status(503)
        .send(
          errorBody(
            'STORE_UNAVAILABLE',
            `the ${store} store cannot write: the server's disk is full; nothing was stored. The operator must free space; retry later`,
            id,
            { store, cause: 'disk_full' },
          ),
        );
    }
    // Public 503s name the dependency, never where it lives (host, port, URL): the details go to
    // the log, for the operator.
    if (err instanceof StoreUnavailableError) {
      request.log.warn({ err }, 'store unavailable');
      void reply.header('retry-after', '5');
      return reply.status(503).send(
        errorBody('STORE_UNAVAILABLE', `the ${err.store} store is unavailable; retry later`, id, {
          store: err.store,
        }),
      );
    }
    // Every error with a catalogue code (ApiError, AuthError, NilmError, SourceError, ...): one
    // mapping, in errors.ts. A 5xx is logged; its message and details are the catalogue's.
    const answer = answerOf(err);
    if (answer) {
      if (answer.fault) request.log.error({ err }, 'server fault');
      else if (answer.status === 503) request.log.warn({ err }, 'dependency unavailable');
      if (answer.retryAfterS !== undefined)
        void reply.header('retry-after', String(answer.retryAfterS));
      return reply
        .status(answer.status)
        .send(errorBody(answer.code, answer.message, id, answer.details));
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      const first = fe.validation[0];
      const where = `${fe.validationContext ?? 'request'}${first?.instancePath ?? ''}`;
      return reply
        .status(422)
        .send(
          errorBody(
            'VALIDATION_FAILED',
            `${where} ${first?.message ?? 'is invalid'}`,
            id,
            fe.validation,
          ),
        );
    }
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply
        .status(413)
        .send(
          errorBody(
            'BODY_TOO_LARGE',
            `the body is larger than ${deps.config.MAX_BODY_BYTES} bytes; send smaller batches`,
            id,
          ),
        );
    }
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply
        .status(415)
        .send(errorBody('UNSUPPORTED_MEDIA_TYPE', 'send Content-Type: application/json', id));
    }
    if (
      fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
      fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
      (fe.statusCode === 400 && err instanceof SyntaxError)
    ) {
      return reply
        .status(400)
        .send(errorBody('VALIDATION_JSON', `the body is not valid JSON: ${err.message}`, id));
    }
    if (fe.statusCode === 429) {
      return reply.status(429).send(errorBody('RATE_LIMITED', err.message, id));
    }
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply.status(fe.statusCode).send(errorBody('VALIDATION_FAILED', err.message, id));
    }
    request.log.error({ err }, 'unhandled error');
    return reply
      .status(500)
      .send(errorBody('INTERNAL', 'an internal error occurred; it has been logged', id));
  });

  let spaFallback = false;
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const apiPath = /^\/(api|docs|metrics|live|ready)(\/|$)/.test(path);
    if (spaFallback && request.method === 'GET' && !apiPath) {
      return reply.type('text/html').sendFile('index.html');
    }
    return reply
      .status(404)
      .send(errorBody('NOT_FOUND', `no route ${request.method} ${path}`, request.id));
  });

  const webBuilt = existsSync(deps.config.webDir);
  const supabase = deps.config.webSignIn.mode === 'supabase' ? deps.config.webSignIn : undefined;
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        // The dashboard fetches the API and its live stream here; with Supabase Auth it signs in
        // from the browser at the project's URL.
        connectSrc: ["'self'", ...(supabase ? [new URL(supabase.supabaseUrl).origin] : [])],
        fontSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        // The installable app: its manifest and its service worker (/sw.js), from here only.
        manifestSrc: ["'self'"],
        objectSrc: ["'none'"],
        scriptSrc: [
          dashboardScriptSources(webBuilt ? join(deps.config.webDir, 'index.html') : undefined),
        ],
        scriptSrcAttr: ["'none'"],
        // Inline styles stay allowed: the dialog library injects a <style> element, and styles
        // cannot run code.
        styleSrc: ["'self'", "'unsafe-inline'"],
        workerSrc: ["'self'"],
      },
    },
    // Plain HTTP on a LAN is a supported setup: HSTS and upgrade-insecure-requests belong to the
    // TLS proxy in front, when there is one (docs/security.md).
    strictTransportSecurity: false,
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'NILM Monitor API',
        version: '1',
        description: 'Home energy monitor with non-intrusive load monitoring.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          ingestToken: { type: 'apiKey', in: 'header', name: 'X-Ingest-Token' },
        },
      },
    },
  });
  // The validator badge would load an image from validator.swagger.io, which the CSP refuses.
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { validatorUrl: null } });

  // Who is calling, before rate limiting (limits are per user when known, else per IP). An
  // address past its failed-authentication limit is refused first, so a forged token costs no
  // verification and an unknown device token no store lookup.
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/api/')) return;
    const credential = presentedCredential(request);
    if (credential === undefined) return;
    authLimits.refuseIfFailing(request.ip, credential);
    try {
      request.caller = await identify(request, deps.verifier, deps.metadata, now);
    } catch (e) {
      if (answerOf(e)?.code === 'AUTH_INVALID') authLimits.failures.fail(request.ip);
      throw e;
    }
    if (!request.caller) return;
    authLimits.failures.succeed(
      credential,
      request.caller.kind === 'user' ? request.caller.expiresAt : undefined,
    );
    if (request.caller.kind === 'user' && request.caller.source !== 'local')
      await knownUsers.record(request.caller, request.log);
  });
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    max: (request) =>
      request.caller?.kind === 'user'
        ? deps.config.RATE_LIMIT_PER_USER
        : deps.config.RATE_LIMIT_PER_IP,
    timeWindow: 60_000,
    keyGenerator: (request) =>
      request.caller?.kind === 'user'
        ? `user:${request.caller.userId}`
        : request.caller?.kind === 'device'
          ? `device:${request.caller.tokenId}`
          : `ip:${request.ip}`,
    allowList: (request) =>
      request.url === '/live' || request.url === '/ready' || request.url === '/metrics',
    // Shared counters in Redis when configured; if Redis is down, requests pass unlimited rather
    // than failing (ingest must keep working through a Redis restart).
    ...(deps.rateLimitRedis
      ? { redis: deps.rateLimitRedis as never, nameSpace: 'nilm-rl:', skipOnError: true }
      : { cache: 10_000 }),
    errorResponseBuilder: (_request, context) => {
      const e = new ApiError(
        'RATE_LIMITED',
        `rate limit of ${context.max} requests per minute reached; retry in ${Math.ceil(context.ttl / 1000)} s`,
      );
      return Object.assign(e, { statusCode: 429 });
    },
  });

  // Every response worth it leaves compressed (brotli or gzip, as the client accepts), after the
  // Accept-Encoding negotiation; brotli at level 4, which is close to gzip's speed at a smaller
  // size. The live stream is written on the raw socket (hijacked), so it is never buffered here;
  // the web app's files come precompressed from the build (below) and pass through untouched.
  await app.register(compress, { encodings: ['br', 'gzip'], threshold: 1024 });
  registerHealthRoutes(app, deps, disk);
  await app.register(
    async (api) => {
      registerAuthRoutes(api, deps, authLimits);
      registerIngestRoutes(api, deps);
      registerBuildingRoutes(api, deps, live);
      registerApplianceRoutes(api, deps);
      registerSourceRoutes(api, deps);
      registerTariffRoutes(api, deps);
      registerWriteRoutes(api, deps);
      registerImportRoutes(api, deps);
      registerReadingRoutes(api, deps, live);
      registerModelRoutes(api, deps);
      registerUserRoutes(api, deps);
      registerAlertRoutes(api, deps);
      registerDeviceRoutes(api, deps);
      registerLabelRoutes(api, deps);
      registerSubmeterRoutes(api, deps);
      registerSubmeterScorecardRoutes(api, deps);
      registerFinetuneRoutes(api, deps);
    },
    { prefix: '/api/v1' },
  );

  if (webBuilt) {
    // The built web app: files as they are on disk (a rebuild needs no restart), and
    // index.html for the app's own routes; /api, /docs and /metrics keep their JSON 404.
    await app.register(fastifyStatic, {
      root: deps.config.webDir,
      wildcard: true,
      index: 'index.html',
      // The build writes .br and .gz beside each file; they are sent as they are.
      preCompressed: true,
      // Files under assets/ carry a content hash in their name: cached for good. Everything
      // else (index.html above all, which names those files) is revalidated on every visit.
      setHeaders: (reply, path) => {
        reply.header(
          'cache-control',
          /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    });
    spaFallback = true;
  }
  return app;
}
