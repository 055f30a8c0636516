/**
 * A building's labels (`/api/v1/buildings/{id}/labels`, issue 13.2): members list them and
 * download them as CSV (the labels' part of the building's export); owners add and delete them.
 * Every check is the label service's; a refused label changes nothing.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import {
  CsvText,
  ErrorBody,
  Id,
  Label,
  LabelBody,
  LabelList,
  LabelParams,
  LabelQuery,
} from '@nilm/contracts';
import type { LabelRecord } from '@nilm/stores';
import { authorize, requireUser } from '../route.guards.js';
import type { AppDeps } from '../app.deps.js';
import { ApiError } from '../errors.js';
import { LabelService, labelsCsv } from '../services/label.service.js';
import { parseQueryTime } from '../time.parse.js';

const Params = Type.Object({ id: Id });
const Errors = { 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 422: ErrorBody };

const iso = (ms: number): string => new Date(ms).toISOString();

/** The API's view of a stored label. */
function labelView(l: LabelRecord): Label {
  return {
    id: l.id,
    building_id: l.buildingId,
    appliance: l.appliance,
    kind: l.kind,
    start: iso(l.startMs),
    end: iso(l.endMs),
    note: l.note,
    created_by: l.createdBy,
    created_at: iso(l.createdAt),
  };
}

export function registerLabelRoutes(app: FastifyInstance, deps: AppDeps): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { metadata } = deps;
  const now = deps.now ?? Date.now;
  const service = new LabelService(deps);

  /** The labels the query asks for (overlapping from..to, of one appliance when given). */
  const listed = (buildingId: string, q: LabelQuery) => {
    const t = now();
    return metadata.listLabels(buildingId, {
      ...(q.from === undefined ? {} : { fromMs: parseQueryTime(q.from, 'from', t) }),
      ...(q.to === undefined ? {} : { toMs: parseQueryTime(q.to, 'to', t) }),
      ...(q.appliance === undefined ? {} : { appliance: q.appliance }),
    });
  };

  api.get(
    '/buildings/:id/labels',
    {
      schema: {
        tags: ['labels'],
        summary: "The building's labels overlapping from..to, of one appliance when given",
        security: [{ bearer: [] }],
        params: Params,
        querystring: LabelQuery,
        response: { 200: LabelList, ...Errors },
      },
    },
    async (request) => {
      await authorize(request, metadata, request.params.id, 'read');
      return { labels: (await listed(request.params.id, request.query)).map(labelView) };
    },
  );

  api.get(
    '/buildings/:id/labels.csv',
    {
      schema: {
        tags: ['labels'],
        summary: "The building's labels as CSV (its export of them)",
        security: [{ bearer: [] }],
        params: Params,
        querystring: LabelQuery,
        response: { 200: CsvText, ...Errors },
      },
    },
    async (request, reply) => {
      await authorize(request, metadata, request.params.id, 'read');
      const labels = await listed(request.params.id, request.query);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${request.params.id}-labels.csv"`)
        .send(labelsCsv(labels));
    },
  );

  api.post(
    '/buildings/:id/labels',
    {
      schema: {
        tags: ['labels'],
        summary:
          'Mark a span as "this was the <appliance>" (on) or "nothing of it here" (off) (owners)',
        security: [{ bearer: [] }],
        params: Params,
        body: LabelBody,
        response: { 201: Label, 409: ErrorBody, ...Errors },
      },
    },
    async (request, reply) => {
      const b = await authorize(request, metadata, request.params.id, 'admin');
      const user = requireUser(request);
      const body = request.body;
      const t = now();
      const added = await service.add(b.id, {
        appliance: body.appliance,
        kind: body.kind,
        startMs: parseQueryTime(body.start, 'start', t),
        endMs: parseQueryTime(body.end, 'end', t),
        note: body.note?.trim() ? body.note.trim() : null,
        createdBy: user.userId,
      });
      return reply.status(201).send(labelView(added));
    },
  );

  api.delete(
    '/buildings/:id/labels/:labelId',
    {
      schema: {
        tags: ['labels'],
        summary: 'Delete a label (owners)',
        security: [{ bearer: [] }],
        params: LabelParams,
        response: { 204: Type.Null(), ...Errors },
      },
    },
    async (request, reply) => {
      const b = await authorize(request, metadata, request.params.id, 'admin');
      if (!(await metadata.deleteLabel(b.id, request.params.labelId)))
        throw new ApiError('NOT_FOUND', `no label "${request.params.labelId}" in this building`);
      return reply.status(204).send(null);
    },
  );
}
