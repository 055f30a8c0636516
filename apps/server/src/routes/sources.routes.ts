/**
 * A building's meters (`/api/v1/buildings/{id}/sources`): owners add, change and remove them;
 * each is validated by its type's own rules (@nilm/sources) on creation and change, so a bad
 * setting answers 422 naming it and nothing is stored. The source runner feeds them.
 */
import { randomBytes } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ErrorBody, Id, Source, SourceBody, SourceList, SourcePatch } from '@nilm/contracts';
import { sourceTransport, validateSource, type SourceTypeName } from '@nilm/sources';
import type { BuildingSource } from '@nilm/stores';
import { authorize } from '../route.guards.js';
import type { AppDeps } from '../app.deps.js';
import { ApiError } from '../errors.js';
import { buildingApplianceNames, checkedAppliance } from '../services/appliance.names.js';
import { openSecretBox, SECRET_SHOWN, type SecretBox } from '../sources/secret.box.js';

const Params = Type.Object({ id: Id });
const SourceParams = Type.Object({
  id: Id,
  sourceId: Type.String({ minLength: 1, maxLength: 64 }),
});

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The API's view of a stored source. */
export function sourceView(s: BuildingSource): Source {
  return {
    id: s.id,
    building_id: s.buildingId,
    name: s.name,
    type: s.type,
    role: s.role,
    appliance: s.appliance,
    transport: sourceTransport(s.type as SourceTypeName),
    settings: shown(s.settings),
    created_at: iso(s.createdAt)!,
    status: {
      last_value_w: s.lastValueW,
      ...(s.lastPhasesW ? { last_phases_w: s.lastPhasesW } : {}),
      last_seen: iso(s.lastSeenAt),
      last_error: s.lastError,
      last_error_code: s.lastErrorCode,
      last_error_at: iso(s.lastErrorAt),
    },
  };
}

/** Settings as the API shows them: a kept secret is never sent back. */
function shown(settings: Record<string, unknown>): Record<string, unknown> {
  return 'token' in settings ? { ...settings, token: SECRET_SHOWN } : settings;
}

/**
 * Validate a type and its settings; a bad one is a 422 naming the setting. A secret (a Home
 * Assistant or HomeWizard v2 token) is sealed before it is stored; on a change that leaves it out (or sends back
 * what the API showed), the one kept stays.
 */
function checkedWithSecrets(
  box: () => SecretBox,
  type: string,
  settings: Record<string, unknown>,
  kept?: Record<string, unknown>,
): Record<string, unknown> {
  // Types whose settings hold a secret: Home Assistant's token, HomeWizard API v2's token.
  const secret = type === 'home-assistant' || (type === 'homewizard-p1' && settings.api === 'v2');
  if (!secret) return checked(type, settings);
  const keep = settings.token === undefined || settings.token === SECRET_SHOWN;
  if (keep && !kept?.token)
    throw new ApiError('VALIDATION_FAILED', 'token is required', { setting: 'token' });
  const out = checked(type, { ...settings, token: keep ? 'kept' : settings.token });
  return { ...out, token: keep ? kept!.token : box().seal(String(settings.token)) };
}

/** Validate a type and its settings; a bad one is a 422 naming the setting. */
function checked(type: string, settings: unknown): Record<string, unknown> {
  const v = validateSource(type, settings);
  if (!v.ok) {
    throw new ApiError('VALIDATION_FAILED', v.error.message, {
      code: v.error.code,
      ...(v.error.details?.setting ? { setting: v.error.details.setting } : {}),
    });
  }
  return v.value.settings as unknown as Record<string, unknown>;
}

export function registerSourceRoutes(app: FastifyInstance, deps: AppDeps): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { metadata } = deps;
  const ownNames = buildingApplianceNames(metadata);
  /**
   * The appliance a source with `role` measures: required for a sub-meter (a name the building
   * may use), refused for any other role; 422 naming `appliance` either way.
   */
  const bound = async (
    buildingId: string,
    role: BuildingSource['role'],
    appliance: string | undefined,
  ): Promise<string | null> => {
    if (role !== 'submeter') {
      if (appliance === undefined) return null;
      throw new ApiError(
        'VALIDATION_FAILED',
        `appliance is only for a sub-meter: send role "submeter" with it, or leave it out`,
        { setting: 'appliance' },
      );
    }
    if (appliance === undefined)
      throw new ApiError(
        'VALIDATION_FAILED',
        'a sub-meter measures one appliance: send appliance (e.g. "kettle") with role "submeter"',
        { setting: 'appliance' },
      );
    return checkedAppliance(appliance, buildingId, 'appliance', ownNames);
  };
  let secretBox: SecretBox | undefined;
  const box = (): SecretBox => (secretBox ??= openSecretBox(deps.config));
  const response = { 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 422: ErrorBody };

  api.get(
    '/buildings/:id/sources',
    {
      schema: {
        tags: ['sources'],
        summary: "The building's meters and their status (owners)",
        security: [{ bearer: [] }],
        params: Params,
        response: { 200: SourceList, ...response },
      },
    },
    async (request) => {
      await authorize(request, metadata, request.params.id, 'admin');
      return { sources: (await metadata.listSources(request.params.id)).map(sourceView) };
    },
  );

  api.post(
    '/buildings/:id/sources',
    {
      schema: {
        tags: ['sources'],
        summary: 'Add a meter to the building (owners); its settings are checked by its type',
        security: [{ bearer: [] }],
        params: Params,
        body: SourceBody,
        response: { 201: Source, ...response },
      },
    },
    async (request, reply) => {
      await authorize(request, metadata, request.params.id, 'admin');
      const { type, name } = request.body;
      const role = request.body.role ?? 'mains';
      const settings = checkedWithSecrets(box, type, request.body.settings);
      const appliance = await bound(request.params.id, role, request.body.appliance);
      const created = await metadata.createSource({
        id: `src_${randomBytes(8).toString('hex')}`,
        buildingId: request.params.id,
        name: name ?? type,
        type,
        role,
        appliance,
        settings,
      });
      deps.sourcesChanged?.();
      return reply.status(201).send(sourceView(created));
    },
  );

  api.patch(
    '/buildings/:id/sources/:sourceId',
    {
      schema: {
        tags: ['sources'],
        summary: "Change a meter's name, role, appliance (a sub-meter's) or settings (owners)",
        security: [{ bearer: [] }],
        params: SourceParams,
        body: SourcePatch,
        response: { 200: Source, ...response },
      },
    },
    async (request) => {
      await authorize(request, metadata, request.params.id, 'admin');
      const current = await metadata.getSource(request.params.sourceId);
      if (!current || current.buildingId !== request.params.id)
        throw new ApiError('NOT_FOUND', `no source "${request.params.sourceId}" in this building`);
      const { name, role } = request.body;
      const settings =
        request.body.settings === undefined
          ? undefined
          : checkedWithSecrets(box, current.type, request.body.settings, current.settings);
      // A sub-meter that stays one keeps its appliance unless a new one is sent; a source that
      // stops being one loses it.
      const nextRole = role ?? current.role;
      const kept =
        nextRole === 'submeter' && current.role === 'submeter' ? current.appliance : null;
      const appliance =
        role === undefined && request.body.appliance === undefined
          ? undefined
          : await bound(current.buildingId, nextRole, request.body.appliance ?? kept ?? undefined);
      const updated = await metadata.updateSource(current.id, {
        name,
        role,
        settings,
        ...(appliance === undefined ? {} : { appliance }),
      });
      if (!updated) throw new ApiError('NOT_FOUND', `no source "${current.id}" in this building`);
      deps.sourcesChanged?.();
      return sourceView(updated);
    },
  );

  api.delete(
    '/buildings/:id/sources/:sourceId',
    {
      schema: {
        tags: ['sources'],
        summary: 'Remove a meter (owners); readings already stored stay',
        security: [{ bearer: [] }],
        params: SourceParams,
        response: { 204: Type.Null(), ...response },
      },
    },
    async (request, reply) => {
      await authorize(request, metadata, request.params.id, 'admin');
      const current = await metadata.getSource(request.params.sourceId);
      if (!current || current.buildingId !== request.params.id)
        throw new ApiError('NOT_FOUND', `no source "${request.params.sourceId}" in this building`);
      await metadata.deleteSource(current.id);
      deps.sourcesChanged?.();
      return reply.status(204).send(null);
    },
  );
}
