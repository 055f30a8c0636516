/**
 * Buildings, their members and device tokens: the rules behind /buildings, apart from HTTP.
 * The routes authorize the caller (access policy) and shape the wire format; this service
 * validates what is written and keeps the membership rules: a building always has an owner
 * (checked and written by the store in one transaction), a member is named by exactly one of
 * user id or e-mail, external accounts are recorded on first mention, and a failed creation
 * leaves no building behind. Every refusal says what was wrong and changes nothing.
 */
import {
  ConflictError,
  LastOwnerError,
  type Building,
  type DeviceToken,
  type MemberRole,
  type MemberWithEmail,
  type MetadataStore,
  type TimeSeriesStore,
} from '@nilm/stores';
import type { RequestCaller } from '../route.guards.js';
import { generateDeviceToken } from '../auth/index.js';
import { isTimeZone } from '../config.js';
import { ApiError } from '../errors.js';
import { ensureExternalUser, type UsersServiceLog } from './users.service.js';

type UserCaller = Extract<RequestCaller, { kind: 'user' }>;

/** What the service needs; the routes pass the app's parts. */
export interface BuildingsServiceDeps {
  metadata: MetadataStore;
  timeseries: Pick<TimeSeriesStore, 'deleteBuilding'>;
  /** Time zone of a building created without one (the configured or server's zone). */
  defaultTimezone: string;
  /** Whether accounts come from an external identity provider (known by id before sign-in). */
  externalAuth: boolean;
  /** Throws when `ref` names no registered model. */
  findModel: (ref: string) => unknown;
  /** Asks for a building's estimates to be recomputed (best effort). */
  recompute: (buildingId: string) => Promise<unknown>;
}

/** Logger calls of the service (the request's logger). */
export interface BuildingsServiceLog extends UsersServiceLog {
  error: (obj: object, msg: string) => void;
}

/** A new device token: the stored record and the secret, shown once. */
export interface CreatedDeviceToken {
  token: DeviceToken;
  secret: string;
}

// C0 and C1 control characters and DEL: invisible or terminal-driving in a name shown to others,
// and NUL cannot be stored by PostgreSQL at all.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/** Refuse free text (`field` names it in the error) that holds a control character. */
export function refuseControlCharacters(field: string, value: string | undefined): void {
  if (value === undefined) return;
  const found = CONTROL_CHARACTER.exec(value);
  if (found)
    throw new ApiError(
      'VALIDATION_FAILED',
      `${field} contains the control character U+${found[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} at position ${found.index}; use printable text`,
      { field },
    );
}

/**
 * Run a member change; the store refuses one that would leave the building without an owner
 * (checked and written in one transaction, so two owners stepping down at once cannot both
 * succeed), which the client hears as 409.
 */
async function keepingAnOwner<T>(change: Promise<T>): Promise<T> {
  try {
    return await change;
  } catch (e) {
    if (e instanceof LastOwnerError)
      throw new ApiError(
        'CONFLICT',
        `user "${e.userId}" is the building's last owner; make someone else owner first`,
        { building_id: e.buildingId, user_id: e.userId },
      );
    throw e;
  }
}

/** The rules of buildings, members and device tokens (see the file comment). */
export class BuildingsService {
  constructor(private readonly deps: BuildingsServiceDeps) {}

  /** The caller's role in a building as the API reports it ('admin' for admins). */
  async roleOf(caller: UserCaller, buildingId: string): Promise<MemberRole | 'admin'> {
    if (caller.role === 'admin') return 'admin';
    return (await this.deps.metadata.getMemberRole(buildingId, caller.userId)) ?? 'viewer';
  }

  /** The buildings a caller sees: every one for an admin, else those they are a member of. */
  list(caller: UserCaller): Promise<Building[]> {
    return this.deps.metadata.listBuildings(caller.role === 'admin' ? undefined : caller.userId);
  }

  /**
   * Create a building owned by `ownerId` (an existing user) or else by the calling admin. A
   * building whose owner cannot be written is deleted again (the store has no transaction across
   * the two writes), so a failed request leaves no building without an owner.
   */
  async create(
    admin: UserCaller,
    input: { id: string; name: string; timezone?: string; ownerId?: string },
    log: BuildingsServiceLog,
  ): Promise<Building> {
    const { metadata } = this.deps;
    const { id, name, timezone = this.deps.defaultTimezone, ownerId } = input;
    refuseControlCharacters('name', name);
    refuseControlCharacters('owner_id', ownerId);
    if (!isTimeZone(timezone))
      throw new ApiError(
        'VALIDATION_FAILED',
        `timezone "${timezone}" is not an IANA zone such as Europe/London`,
      );
    if (ownerId !== undefined && !(await metadata.getUser(ownerId)))
      throw new ApiError('VALIDATION_FAILED', `owner_id "${ownerId}" is not a known user`);
    // The owner needs a user record; an external admin's first request may not have left one
    // (recording it there is best effort), so this one is made sure of, or the request fails
    // before anything is written.
    if (ownerId === undefined) await ensureExternalUser(metadata, admin, log);
    let b: Building;
    try {
      b = await metadata.createBuilding({ id, name, timezone, isDemo: false, modelRef: null });
    } catch (e) {
      if (e instanceof ConflictError)
        throw new ApiError('CONFLICT', `building "${id}" already exists`);
      throw e;
    }
    try {
      await metadata.setMember({ buildingId: id, userId: ownerId ?? admin.userId, role: 'owner' });
    } catch (e) {
      await metadata
        .deleteBuilding(id)
        .catch((undo: unknown) =>
          log.error(
            { err: undo, buildingId: id },
            'a building was created without its owner and could not be deleted again',
          ),
        );
      throw e;
    }
    return b;
  }

  /** Rename, move to another time zone or pin a model (then its estimates are recomputed). */
  async update(
    buildingId: string,
    change: { name?: string; timezone?: string; modelRef?: string | null },
  ): Promise<Building> {
    const { name, timezone, modelRef } = change;
    refuseControlCharacters('name', name);
    if (timezone !== undefined && !isTimeZone(timezone))
      throw new ApiError('VALIDATION_FAILED', `timezone "${timezone}" is not an IANA zone`);
    if (modelRef) this.deps.findModel(modelRef);
    const b = await this.deps.metadata.updateBuilding(buildingId, { name, timezone, modelRef });
    if (!b) throw new ApiError('BUILDING_NOT_FOUND', `building "${buildingId}" not found`);
    if (modelRef !== undefined) await this.deps.recompute(b.id).catch(() => undefined);
    return b;
  }

  /** Delete a building with its readings and estimates. */
  async delete(buildingId: string): Promise<void> {
    await this.deps.timeseries.deleteBuilding(buildingId);
    await this.deps.metadata.deleteBuilding(buildingId);
  }

  /** The members with their e-mail, sorted by user id (one store query). */
  members(buildingId: string): Promise<MemberWithEmail[]> {
    return this.deps.metadata.listMembersWithEmail(buildingId);
  }

  /**
   * Add a member or change their role. The account is named by exactly one of `userId` or
   * `email`; an e-mail must belong to a known account; an unknown user id is recorded when
   * accounts are external (known by id before their first sign-in), refused otherwise.
   */
  async setMember(
    buildingId: string,
    input: { userId?: string; email?: string; role: MemberRole },
  ): Promise<MemberWithEmail[]> {
    const { metadata, externalAuth } = this.deps;
    const { userId: byId, email, role } = input;
    refuseControlCharacters('user_id', byId);
    refuseControlCharacters('email', email);
    if ((byId === undefined) === (email === undefined))
      throw new ApiError(
        'VALIDATION_FAILED',
        'give exactly one of "user_id" or "email" to name the account to add',
      );
    let userId: string;
    if (email !== undefined) {
      const user = await metadata.getUserByEmail(email.trim());
      if (!user)
        throw new ApiError(
          'VALIDATION_FAILED',
          externalAuth
            ? `no account with e-mail "${email}" is known here yet: a person's e-mail is learnt when they first sign in here; ask them to sign in once, or add the person by "user_id" (their account id in your identity provider) instead`
            : `no account with e-mail "${email}" exists; an admin can create it first (Buildings & users, or POST /api/v1/admin/users), then add it here`,
        );
      userId = user.id;
    } else {
      userId = byId!;
      if (!(await metadata.getUser(userId))) {
        if (!externalAuth)
          throw new ApiError('VALIDATION_FAILED', `user "${userId}" does not exist`);
        await metadata.upsertUser({ id: userId, email: null, role: 'user', passwordHash: null });
      }
    }
    await keepingAnOwner(metadata.setMember({ buildingId, userId, role }));
    return this.members(buildingId);
  }

  /** Remove a member; never the last owner (409), and 404 when they are not a member. */
  async removeMember(buildingId: string, userId: string): Promise<void> {
    const removed = await keepingAnOwner(this.deps.metadata.removeMember(buildingId, userId));
    if (!removed)
      throw new ApiError('NOT_FOUND', `user "${userId}" is not a member of "${buildingId}"`);
  }

  /** The building's device tokens, active and revoked. */
  tokens(buildingId: string): Promise<DeviceToken[]> {
    return this.deps.metadata.listDeviceTokens(buildingId);
  }

  /** Make a device token; only its hash is stored, the secret is returned once. */
  async createToken(buildingId: string, name: string): Promise<CreatedDeviceToken> {
    refuseControlCharacters('name', name);
    const secret = generateDeviceToken();
    const token = await this.deps.metadata.createDeviceToken({
      id: `tok_${secret.hash.slice(0, 16)}`,
      buildingId,
      name,
      tokenHash: secret.hash,
    });
    return { token, secret: secret.secret };
  }

  /** Revoke an active token; 404 when the building has no such active token. */
  async revokeToken(buildingId: string, tokenId: string): Promise<void> {
    if (!(await this.deps.metadata.revokeDeviceToken(buildingId, tokenId)))
      throw new ApiError('NOT_FOUND', `no active token "${tokenId}" in building "${buildingId}"`);
  }
}
