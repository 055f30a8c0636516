/** Liveness, readiness (every configured dependency) and Prometheus metrics. */
import type { FastifyInstance } from 'fastify';
import { LiveResponse, ReadyResponse } from '@nilm/contracts';
import type { AppDeps } from '../app.deps.js';

async function check(
  kind: string,
  fn: () => Promise<unknown>,
): Promise<{ ok: boolean; kind: string; error?: string }> {
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('timed out after 3 s')), 3000).unref(),
      ),
    ]);
    return { ok: true, kind };
  } catch (e) {
    return { ok: false, kind, error: e instanceof Error ? e.message : String(e) };
  }
}

export function registerHealthRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get('/live', { schema: { tags: ['health'], response: { 200: LiveResponse } } }, async () => ({
    status: 'ok' as const,
  }));

  app.get(
    '/ready',
    { schema: { tags: ['health'], response: { 200: ReadyResponse, 503: ReadyResponse } } },
    async (_request, reply) => {
      const [timeseries, metadata, queue, model] = await Promise.all([
        check(deps.timeseries.kind, () => deps.timeseries.ping()),
        check(deps.metadata.kind, () => deps.metadata.ping()),
        check(deps.queue.kind, () => deps.queue.ping()),
        check('registry', async () => {
          const active = deps.engine.registry.active();
          if (!active) throw new Error('no active model in the registry');
        }),
      ]);
      const checks = { timeseries, metadata, queue, model };
      const ok = Object.values(checks).every((c) => c.ok);
      return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks });
    },
  );

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
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
