/**
 * Liveness, readiness (every configured dependency) and Prometheus metrics. /ready is public, so
 * a failed check names the dependency and whether it timed out, never its address or the
 * driver's message (`connect ECONNREFUSED 10.0.0.5:5432`): that goes to the log.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { LiveResponse, ReadyResponse } from '@nilm/contracts';
import type { AppDeps } from '../app.deps.js';
import type { DiskWatch } from '../storage.health.js';

const CHECK_TIMEOUT_MS = 3000;

class CheckTimeout extends Error {}

async function check(
  name: string,
  kind: string,
  fn: () => Promise<unknown>,
  log: FastifyBaseLogger,
  /** What may be said publicly when `fn` fails (our own words, no addresses). */
  publicError: string | ((e: unknown) => string) = `${kind} is unavailable`,
): Promise<{ ok: boolean; kind: string; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new CheckTimeout()), CHECK_TIMEOUT_MS);
        timer.unref();
      }),
    ]);
    return { ok: true, kind };
  } catch (e) {
    log.warn({ err: e, check: name, kind }, 'readiness check failed');
    const error =
      e instanceof CheckTimeout
        ? `${kind} did not answer within ${CHECK_TIMEOUT_MS / 1000} s`
        : typeof publicError === 'string'
          ? publicError
          : publicError(e);
    return { ok: false, kind, error };
  } finally {
    clearTimeout(timer);
  }
}

export function registerHealthRoutes(
  app: FastifyInstance,
  deps: AppDeps,
  disk?: Pick<DiskWatch, 'check'>,
): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.get('/live', { schema: { tags: ['health'], response: { 200: LiveResponse } } }, async () => ({
    status: 'ok' as const,
  }));

  api.get(
    '/ready',
    { schema: { tags: ['health'], response: { 200: ReadyResponse, 503: ReadyResponse } } },
    async (request, reply) => {
      const log = request.log;
      const [timeseries, metadata, queue, model, storage] = await Promise.all([
        check('timeseries', deps.timeseries.kind, () => deps.timeseries.ping(), log),
        check('metadata', deps.metadata.kind, () => deps.metadata.ping(), log),
        check('queue', deps.queue.kind, () => deps.queue.ping(), log),
        check(
          'model',
          'registry',
          async () => {
            if (!deps.engine.registry.active()) throw new Error('no active model in the registry');
          },
          log,
          'no active model in the registry',
        ),
        // DiskWatch's messages are its own words (no paths), fit for a public answer.
        disk
          ? check(
              'disk',
              'disk',
              () => disk.check(),
              log,
              (e) => (e instanceof Error ? e.message : 'the disk could not be checked'),
            )
          : undefined,
      ]);
      const checks = { timeseries, metadata, queue, model, ...(storage ? { disk: storage } : {}) };
      const ok = Object.values(checks).every((c) => c.ok);
      return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks });
    },
  );

  api.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    try {
      const s = await deps.queue.stats();
      deps.metrics.queueDepth.set(s.waiting + s.delayed);
    } catch {
      // Queue backend down: keep the last depth; /ready reports the outage.
    }
    deps.metrics.setActiveModel(deps.engine.registry.active()?.ref ?? null);
    return reply
      .header('content-type', deps.metrics.registry.contentType)
      .send(await deps.metrics.registry.metrics());
  });
}
