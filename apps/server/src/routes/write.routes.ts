/**
 * POST /api/v1/write: InfluxDB v1 line protocol, so IoTaWatt's and Telegraf's InfluxDB
 * uploaders can point at this server. The building's `line-protocol` source says which points
 * hold its power (measurement, field, tags; unit, sign, precision). Authenticated by a device
 * token: `X-Ingest-Token`, `Authorization: Bearer|Token <token>`, HTTP Basic with the token as
 * password, or InfluxDB's `?p=<token>` query parameter. A signed-in owner may write with
 * `?db=<building id>`. One bad line refuses the whole body (nothing stored), naming the line;
 * success is 204, as InfluxDB answers.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ErrorBody } from '@nilm/contracts';
import { parseSourceLines, validateSource } from '@nilm/sources';
import { authorize } from '../route.guards.js';
import type { AppDeps } from '../app.deps.js';
import { hashDeviceToken, isDeviceToken } from '../auth/index.js';
import { ApiError } from '../errors.js';
import { ingestServiceFor, type RawReading } from '../services/ingest.service.js';
import { ingestReadingOf } from '../sources/source.runner.js';

const WriteQuery = Type.Object(
  {
    db: Type.Optional(Type.String({ maxLength: 64 })),
    precision: Type.Optional(Type.String({ maxLength: 2 })),
    u: Type.Optional(Type.String({ maxLength: 200 })),
    p: Type.Optional(Type.String({ maxLength: 200 })),
    rp: Type.Optional(Type.String({ maxLength: 200 })),
    consistency: Type.Optional(Type.String({ maxLength: 20 })),
  },
  { additionalProperties: false },
);
type WriteQuery = {
  db?: string;
  precision?: string;
  u?: string;
  p?: string;
};

export function registerWriteRoutes(app: FastifyInstance, deps: AppDeps): void {
  const service = ingestServiceFor(deps, app.log, 'line-protocol');
  const now = deps.now ?? Date.now;

  void app.register(async (scope) => {
    // Line protocol is text; uploaders send text/plain, some no type at all.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

    scope.withTypeProvider<TypeBoxTypeProvider>().post(
      '/write',
      {
        schema: {
          tags: ['ingest'],
          summary:
            'InfluxDB v1 line protocol from IoTaWatt or Telegraf; the building needs a line-protocol source',
          security: [{ ingestToken: [] }, { bearer: [] }],
          querystring: WriteQuery,
          response: {
            204: Type.Null(),
            401: ErrorBody,
            404: ErrorBody,
            413: ErrorBody,
            422: ErrorBody,
            503: ErrorBody,
          },
        },
      },
      async (request, reply) => {
        let buildingId: string;
        if (request.caller?.kind === 'device') buildingId = request.caller.buildingId;
        else if (request.caller?.kind === 'user') {
          if (!request.query.db)
            throw new ApiError('VALIDATION_FAILED', 'say which building with ?db=<building id>');
          buildingId = request.query.db;
          await authorize(request, deps.metadata, buildingId, 'write');
        } else {
          const secret = request.query.p;
          if (secret === undefined)
            throw new ApiError(
              'AUTH_REQUIRED',
              "send a device token of the building (X-Ingest-Token, 'Authorization: Token <token>', or the uploader's password)",
            );
          if (!isDeviceToken(secret))
            throw new ApiError('AUTH_INVALID', 'the password is not a device token of a building');
          const token = await deps.metadata.findDeviceToken(hashDeviceToken(secret));
          if (!token) throw new ApiError('AUTH_INVALID', 'this device token is unknown or revoked');
          await deps.metadata.touchDeviceToken(token.id, now());
          buildingId = token.buildingId;
        }
        const source = (await deps.metadata.listSources(buildingId)).find(
          (s) => s.type === 'line-protocol',
        );
        if (!source)
          throw new ApiError(
            'VALIDATION_FAILED',
            `building "${buildingId}" has no line-protocol source; add one (POST /api/v1/buildings/${buildingId}/sources with type "line-protocol") to say which points hold its power`,
          );
        const settings = { ...source.settings };
        if (request.query.precision) settings.precision = request.query.precision;
        const config = validateSource('line-protocol', settings);
        if (!config.ok) throw new ApiError('VALIDATION_FAILED', config.error.message);
        const at = now();
        const parsed = parseSourceLines(
          config.value,
          typeof request.body === 'string' ? request.body : '',
        );
        if (!parsed.ok) {
          await deps.metadata.recordSourceEvent(source.id, {
            kind: 'error',
            code: parsed.error.code,
            message: parsed.error.message,
            at,
          });
          throw new ApiError('VALIDATION_FAILED', parsed.error.message, {
            code: parsed.error.code,
          });
        }
        const readings: RawReading[] = [];
        let lastNet: number | undefined;
        for (const r of parsed.value) {
          const sent = ingestReadingOf(r, r.ts ?? at, undefined);
          lastNet = r.netW ?? lastNet;
          if (!('unknown' in sent)) readings.push(sent);
        }
        if (readings.length > 0) await service.ingest(buildingId, readings);
        await deps.metadata.recordSourceEvent(
          source.id,
          lastNet === undefined
            ? {
                kind: 'error',
                code: 'SOURCE_CONSUMPTION_UNKNOWN',
                message: 'no reading of this write held the selected power',
                at,
              }
            : { kind: 'value', valueW: lastNet, at },
        );
        return reply.status(204).send(null);
      },
    );
  });
}
