import type { AnswerCode } from '@nilm/contracts';
import type { PlatformRole } from './auth.types.js';

/**
 * What a request does to a building. `admin` is managing the building itself: members, device
 * tokens, settings, deletion.
 */
export type BuildingAction = 'read' | 'write' | 'admin';

/** The caller's membership of the building, or null when not a member (or no such building). */
export type BuildingMemberRole = 'owner' | 'member' | 'viewer' | null;

/** Who is asking: a signed-in user, or a device holding a building's ingest token. */
export type Caller =
  { kind: 'user'; userId: string; role: PlatformRole } | { kind: 'device'; buildingId: string };

export interface AccessRequest {
  caller: Caller;
  action: BuildingAction;
  /** The building the request targets. */
  buildingId: string;
  /** The user caller's membership of `buildingId`; ignored for devices and platform admins. */
  memberRole: BuildingMemberRole;
}

/**
 * Why access was denied, as the error catalogue's code the API answers with.
 *
 * - `BUILDING_NOT_FOUND` (404, same body as for a building that does not exist): the caller
 *   has no relation to the building, so even "forbidden" would confirm that it exists.
 * - `AUTHZ_FORBIDDEN` (answer 403): the caller can already see the building (a member, viewer,
 *   or the building's own device) but the action is beyond their role.
 */
export type DenyReason = Extract<AnswerCode, 'AUTHZ_FORBIDDEN' | 'BUILDING_NOT_FOUND'>;

export type AccessDecision = { allow: true } | { allow: false; reason: DenyReason };

/** The actions each membership role grants. */
export const MEMBER_ROLE_ACTIONS: Readonly<
  Record<Exclude<BuildingMemberRole, null>, readonly BuildingAction[]>
> = {
  owner: ['read', 'write', 'admin'],
  member: ['read', 'write'],
  viewer: ['read'],
};

const ALLOW: AccessDecision = { allow: true };
const FORBIDDEN: AccessDecision = { allow: false, reason: 'AUTHZ_FORBIDDEN' };
const NOT_FOUND: AccessDecision = { allow: false, reason: 'BUILDING_NOT_FOUND' };

/**
 * Decide whether `caller` may perform `action` on a building. Pure: the caller looks up
 * `memberRole` first. Platform admins may do everything (a route still answers 404 when the
 * building does not exist); a device may only `write` (ingest) to its own building. Unknown
 * values deny, so a new role or action grants nothing until it is added here.
 */
export function decideAccess(request: AccessRequest): AccessDecision {
  const { caller, action, buildingId, memberRole } = request;
  if (caller.kind === 'device') {
    if (caller.buildingId !== buildingId) return NOT_FOUND;
    return action === 'write' ? ALLOW : FORBIDDEN;
  }
  if (caller.role === 'admin') return ALLOW;
  if (memberRole === null || !Object.hasOwn(MEMBER_ROLE_ACTIONS, memberRole)) return NOT_FOUND;
  return MEMBER_ROLE_ACTIONS[memberRole].includes(action) ? ALLOW : FORBIDDEN;
}
