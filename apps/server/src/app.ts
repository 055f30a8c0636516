/**
 * `build(deps)` makes the Fastify app without listening (tests call `app.inject()`); `server.ts`
 * listens. Every route has request and response schemas from @nilm/contracts; every error
 * leaves as `{"error": {"code", "message", "details"}, "request_id"}`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fastifyStatic from '@fastify/static';
import { StoreUnavailableError } from '@nilm/stores';
import { QueueUnavailableError } from '@nilm/queue';
import { NilmError } from '@nilm/ml';
import { identify } from './access.js';
import type { AppDeps } from './app.deps.js';
import { AuthError } from './auth/index.js';
import { ApiError } from './errors.js';
import { registerAuthRoutes } from './routes/auth.routes.js';
import { registerBuildingRoutes } from './routes/buildings.routes.js';
import { registerHealthRoutes } from './routes/health.routes.js';
import { registerIngestRoutes } from './routes/ingest.routes.js';
import { registerModelRoutes } from './routes/models.routes.js';
import { registerReadingRoutes } from './routes/readings.routes.js';
import { registerUserRoutes } from './routes/users.routes.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Body of an error response. */
function errorBody(code: string, message: string, requestId: string, details?: unknown): object {
  return {
    error: { code, message, ...(details === undefined ? {} : { details }) },
    request_id: requestId,
  };
}

/** Build the app. */
export async function build(deps: AppDeps): Promise<FastifyInstance> {
  const now = deps.now ?? Date.now;
  const app = Fastify({
    logger: deps.config.LOG_LEVEL === 'silent' ? false : { level: deps.config.LOG_LEVEL },
    bodyLimit: deps.config.MAX_BODY_BYTES,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given)
        ? given
        : `req_${randomBytes(8).toString('hex')}`;
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    trustProxy: true,
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
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
    if (err instanceof ApiError) {
      if (err.retryAfterS !== undefined) void reply.header('retry-after', String(err.retryAfterS));
      return reply.status(err.status).send(errorBody(err.code, err.message, id, err.details));
    }
    if (err instanceof AuthError) {
      const code = err.statusCode === 503 ? 'NOT_READY' : 'AUTH_INVALID';
      return reply
        .status(err.statusCode)
        .send(errorBody(code, err.message, id, { auth_code: err.code }));
    }
    if (err instanceof StoreUnavailableError || err instanceof QueueUnavailableError) {
      void reply.header('retry-after', '5');
      const code = err instanceof QueueUnavailableError ? 'QUEUE_UNAVAILABLE' : 'STORE_UNAVAILABLE';
      return reply.status(503).send(errorBody(code, `${err.message}; retry later`, id));
    }
    if (err instanceof NilmError) {
      const status =
        err.code === 'MODEL_SPEC_INVALID' ? 404 : err.code === 'MODEL_FILE_INVALID' ? 500 : 422;
      const code =
        status === 404 ? 'MODEL_NOT_FOUND' : status === 500 ? 'MODEL_FAILED' : 'VALIDATION_FAILED';
      return reply.status(status).send(errorBody(code, err.message, id, { nilm_code: err.code }));
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
  await app.register(swaggerUi, { routePrefix: '/docs' });

  // Who is calling, before rate limiting (limits are per user when known, else per IP).
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/api/')) return;
    request.caller = await identify(request, deps.verifier, deps.metadata, now);
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

  registerHealthRoutes(app, deps);
  await app.register(
    async (api) => {
      registerAuthRoutes(api, deps);
      registerIngestRoutes(api, deps);
      registerBuildingRoutes(api, deps);
      registerReadingRoutes(api, deps);
      registerModelRoutes(api, deps);
      registerUserRoutes(api, deps);
    },
    { prefix: '/api/v1' },
  );

  if (existsSync(deps.config.webDir)) {
    // The built web app: files as they are on disk (a rebuild needs no restart), and
    // index.html for the app's own routes; /api, /docs and /metrics keep their JSON 404.
    await app.register(fastifyStatic, {
      root: deps.config.webDir,
      wildcard: true,
      index: 'index.html',
    });
    spaFallback = true;
  }
  return app;
}
