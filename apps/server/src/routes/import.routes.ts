/**
 * POST /api/v1/buildings/{id}/import: a recording's history, as one CSV file in the body, stored
 * with its own timestamps. The whole file is checked first (`checkImportCsv`, the rules the CLI
 * and the web app check before uploading); one bad line refuses it all (422 naming the line and
 * why) and nothing is stored. Then every reading goes through the IngestService in batches, so
 * the worker estimates the imported history as any other. Writes are idempotent per timestamp:
 * after a store failure part-way (503), the same file can be sent again.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import {
  checkImportCsv,
  ErrorBody,
  Id,
  IMPORT_BATCH_SIZE,
  ImportQuery,
  ImportResponse,
  type ImportProblemKind,
} from '@nilm/contracts';
import { StoreUnavailableError } from '@nilm/stores';
import { authorize } from '../route.guards.js';
import type { AppDeps } from '../app.deps.js';
import { ApiError, type ApiErrorCode } from '../errors.js';
import { ingestServiceFor } from '../services/ingest.service.js';

const Params = Type.Object({ id: Id });

const CODE_OF: Record<ImportProblemKind, ApiErrorCode> = {
  time: 'VALIDATION_TIME',
  power: 'VALIDATION_POWER',
  format: 'VALIDATION_FAILED',
};

const CSV_TYPES = ['text/csv', 'text/plain'];

/** Register `POST /buildings/:id/import` in its own scope (CSV bodies, IMPORT_MAX_BYTES). */
export function registerImportRoutes(app: FastifyInstance, deps: AppDeps): void {
  const service = ingestServiceFor(deps, app.log, 'import');
  const now = deps.now ?? Date.now;
  const limit = deps.config.IMPORT_MAX_BYTES;

  void app.register(async (scope) => {
    // The body is the file itself: CSV text, never JSON.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      CSV_TYPES,
      { parseAs: 'string', bodyLimit: limit },
      (_r, body, done) => done(null, body),
    );
    scope.addContentTypeParser('*', (request, _payload, done) =>
      done(
        new ApiError(
          'UNSUPPORTED_MEDIA_TYPE',
          `send the CSV file as the body with Content-Type: text/csv (got ${request.headers['content-type'] ?? 'none'})`,
        ),
      ),
    );
    // Say which limit a too-large file met (the app's own answer names MAX_BODY_BYTES); every
    // other error goes on to the app's handler.
    scope.setErrorHandler((err: FastifyError, _request, _reply) => {
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
        throw new ApiError(
          'BODY_TOO_LARGE',
          `the file is larger than ${limit} bytes (IMPORT_MAX_BYTES); split it by time and import the parts`,
          { limit },
        );
      throw err;
    });

    scope.withTypeProvider<TypeBoxTypeProvider>().post(
      '/buildings/:id/import',
      {
        bodyLimit: limit,
        // Who may write here, and how the body is encoded, are known before a large body is read.
        onRequest: async (request) => {
          await authorize(request, deps.metadata, request.params.id, 'write');
          const encoding = request.headers['content-encoding'];
          if (encoding !== undefined && encoding !== 'identity')
            throw new ApiError(
              'UNSUPPORTED_MEDIA_TYPE',
              `Content-Encoding ${encoding} is not read here; send the CSV uncompressed`,
            );
        },
        schema: {
          tags: ['ingest'],
          summary:
            "Import a recording's history (one CSV file, dataset layout or time,power) with its own timestamps; a bad line refuses the whole file",
          security: [{ bearer: [] }, { ingestToken: [] }],
          params: Params,
          querystring: ImportQuery,
          response: {
            200: ImportResponse,
            401: ErrorBody,
            403: ErrorBody,
            404: ErrorBody,
            413: ErrorBody,
            415: ErrorBody,
            422: ErrorBody,
            503: ErrorBody,
          },
        },
      },
      async (request): Promise<ImportResponse> => {
        const buildingId = request.params.id;
        const { format, unit = 'W' } = request.query;
        const checked = checkImportCsv(typeof request.body === 'string' ? request.body : '', {
          format,
          unit,
          nowMs: now(),
        });
        if (!checked.ok) {
          const first = checked.problems[0]!;
          deps.metrics.ingestRejected.inc({ code: CODE_OF[first.kind] });
          throw new ApiError(CODE_OF[first.kind], checked.message, {
            line: first.line,
            reason: first.reason,
            bad_lines: checked.badLines,
            problems: checked.problems,
          });
        }
        const { timesMs, powersW, skippedMissing } = checked.value;
        const n = timesMs.length;
        let stored = 0;
        try {
          for (let i = 0; i < n; i += IMPORT_BATCH_SIZE) {
            const batch: Array<{ ts: number; power_w: number }> = [];
            for (let j = i; j < Math.min(n, i + IMPORT_BATCH_SIZE); j++)
              batch.push({ ts: timesMs[j]!, power_w: powersW[j]! });
            stored += await service.ingest(buildingId, batch);
          }
        } catch (e) {
          const unavailable =
            e instanceof StoreUnavailableError ||
            (e instanceof ApiError && e.code === 'STORE_UNAVAILABLE');
          if (!unavailable) throw e;
          request.log.warn({ err: e, buildingId, stored, of: n }, 'import stopped part-way');
          throw new ApiError(
            'STORE_UNAVAILABLE',
            `a store failed after ${stored} of ${n} readings were stored; send the same file again later (readings already stored are written again with the same values, nothing is doubled)`,
            { stored, readings: n },
            5,
          );
        }
        return {
          imported: stored,
          start: new Date(timesMs[0]!).toISOString(),
          end: new Date(timesMs[n - 1]!).toISOString(),
          skipped_missing: skippedMissing,
        };
      },
    );
  });
}
