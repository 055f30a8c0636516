/**
 * The routes' guards: request authentication and building authorization over Fastify requests
 * (the pure decision, which action each role grants, is auth/access.policy.ts). The caller is
 * found once per request (a Bearer JWT or a device's X-Ingest-Token); every building route then
 * asks `authorize` for the action it performs. Fails closed: anything unexpected is a refusal.
 */
import type { FastifyRequest } from 'fastify';
import { Id } from '@nilm/contracts';
import type { Building, MetadataStore } from '@nilm/stores';
import {
  AuthError,
  decideAccess,
  deviceTokenFromHeader,
  hashDeviceToken,
  isDeviceToken,
  type BuildingAction,
  type TokenSource,
  type TokenVerifier,
} from './auth/index.js';
import { ApiError } from './errors.js';
import { FreshReads } from './fresh.reads.js';

/** The form of every building id: the pattern of the contracts' `Id`. */
const BUILDING_ID = new RegExp((Id as { pattern?: string }).pattern ?? '^[a-zA-Z0-9_-]{1,64}$');

/** Who is calling. */
export type RequestCaller =
  | {
      kind: 'user';
      userId: string;
      role: 'admin' | 'user';
      email: string | null;
      /** `local`: an account of this server; `jwks` / `hs256`: an external identity provider. */
      source: TokenSource;
      /** The token's `email_verified`, when it says. */
      emailVerified?: boolean;
      /** When the token expires, ms since the epoch (a live stream ends then). */
      expiresAt: number;
    }
  | { kind: 'device'; buildingId: string; tokenId: string };

declare module 'fastify' {
  interface FastifyRequest {
    caller?: RequestCaller;
  }
}

/**
 * The credential a request presents (a device token or the Authorization header), or undefined
 * when it presents none: what the failed-authentication limit keys known-good credentials by.
 */
export function presentedCredential(request: FastifyRequest): string | undefined {
  const ingestHeader = request.headers['x-ingest-token'];
  if (typeof ingestHeader === 'string') return ingestHeader;
  return request.headers.authorization;
}

/**
 * Find the caller from the request headers: `Authorization: Bearer <jwt>`, or a device token in
 * `X-Ingest-Token` (or `Authorization: Bearer nilm_dev_...`). No credentials: no caller.
 */
export async function identify(
  request: FastifyRequest,
  verifier: TokenVerifier,
  metadata: MetadataStore,
  now: () => number,
): Promise<RequestCaller | undefined> {
  const ingestHeader = request.headers['x-ingest-token'];
  const auth = request.headers.authorization;
  const deviceSecret =
    typeof ingestHeader === 'string' ? ingestHeader : deviceTokenFromHeader(auth);
  if (deviceSecret !== null && deviceSecret !== undefined) {
    if (!isDeviceToken(deviceSecret))
      throw new ApiError(
        'AUTH_INVALID',
        'X-Ingest-Token is not a device token; create one for the building (POST /api/v1/buildings/{id}/tokens)',
      );
    const token = await metadata.findDeviceToken(hashDeviceToken(deviceSecret));
    if (!token) throw new ApiError('AUTH_INVALID', 'this device token is unknown or revoked');
    await metadata.touchDeviceToken(token.id, now());
    return { kind: 'device', buildingId: token.buildingId, tokenId: token.id };
  }
  if (auth === undefined) return undefined;
  // An AuthError goes to the app's error handler as it is (the catalogue maps its code);
  // anything else is a refusal too (fail closed).
  const v = await verifier.verify(auth).catch((e: unknown) => {
    if (e instanceof AuthError) throw e;
    throw new ApiError('AUTH_INVALID', 'the credentials could not be verified');
  });
  return {
    kind: 'user',
    userId: v.sub,
    role: v.role,
    email: v.email ?? null,
    source: v.source,
    expiresAt: v.exp * 1000,
    ...(v.emailVerified === undefined ? {} : { emailVerified: v.emailVerified }),
  };
}

/** The caller, or 401 when the request carries no credentials. */
export function requireCaller(request: FastifyRequest): RequestCaller {
  if (!request.caller)
    throw new ApiError('AUTH_REQUIRED', 'sign in first: send Authorization: Bearer <token>');
  return request.caller;
}

/** The calling user (not a device), or 401/403. */
export function requireUser(request: FastifyRequest): Extract<RequestCaller, { kind: 'user' }> {
  const c = requireCaller(request);
  if (c.kind !== 'user')
    throw new ApiError('AUTHZ_FORBIDDEN', 'a device token may only ingest readings');
  return c;
}

/** The calling user if an admin, else 403. */
export function requireAdmin(request: FastifyRequest): Extract<RequestCaller, { kind: 'user' }> {
  const u = requireUser(request);
  if (u.role !== 'admin') throw new ApiError('AUTHZ_FORBIDDEN', 'this needs the admin role');
  return u;
}

/** What `authorize` reads of a building for one caller. */
interface Access {
  building: Building | null;
  memberRole: Awaited<ReturnType<MetadataStore['getMemberRole']>>;
}

/** Per metadata store, its access reads in flight (shared by requests that came before them). */
const accessReads = new WeakMap<MetadataStore, FreshReads<Access>>();

/**
 * The building and the caller's membership, read after this call began. Concurrent requests of
 * one caller for one building (a dashboard's charts, 50 clients of a bench) share a read that
 * began after each of them arrived (FreshReads), so a membership removed before a request
 * arrived is always seen by it, and two metadata queries serve many requests.
 */
function readAccess(
  metadata: MetadataStore,
  buildingId: string,
  userId: string | null,
): Promise<Access> {
  let reads = accessReads.get(metadata);
  if (!reads) accessReads.set(metadata, (reads = new FreshReads<Access>()));
  return reads.get(`${buildingId}\u0000${userId ?? ''}`, async () => {
    const [building, memberRole] = await Promise.all([
      metadata.getBuilding(buildingId),
      userId === null ? null : metadata.getMemberRole(buildingId, userId),
    ]);
    return { building, memberRole };
  });
}

/**
 * The building, if the caller may perform `action` on it. A building the caller has no
 * relation to answers 404 exactly like one that does not exist.
 */
export async function authorize(
  request: FastifyRequest,
  metadata: MetadataStore,
  buildingId: string,
  action: BuildingAction,
): Promise<Building> {
  const caller = requireCaller(request);
  // An id no building can have is not looked up: a route that authorizes before its parameters
  // are validated (in onRequest, before a streamed body) must not hand a NUL to PostgreSQL.
  if (!BUILDING_ID.test(buildingId))
    throw new ApiError('BUILDING_NOT_FOUND', `building "${buildingId}" not found`);
  const { building, memberRole } = await readAccess(
    metadata,
    buildingId,
    caller.kind === 'user' ? caller.userId : null,
  );
  const decision = decideAccess({
    caller:
      caller.kind === 'user'
        ? { kind: 'user', userId: caller.userId, role: caller.role }
        : { kind: 'device', buildingId: caller.buildingId },
    action,
    buildingId,
    memberRole,
  });
  if (!building || (!decision.allow && decision.reason === 'BUILDING_NOT_FOUND')) {
    throw new ApiError('BUILDING_NOT_FOUND', `building "${buildingId}" not found`);
  }
  if (!decision.allow)
    throw new ApiError(
      'AUTHZ_FORBIDDEN',
      `your role does not allow ${action} on building "${buildingId}"`,
    );
  return building;
}
