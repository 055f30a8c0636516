/**
 * The metadata store contract: users, buildings, members, device tokens, per-building
 * appliances, model choice and tariff. Implementations: PGlite (embedded default) and PostgreSQL,
 * one SQL dialect and one set of migrations for both. Every implementation passes
 * `metadata.conformance.ts`.
 */

import type { EstimateBacklog } from './estimate.backlog.js';
import type { AlertStore } from './alert.store.js';
import type { PriceStore } from './price.store.js';
import type { DeviceStore } from './device.store.js';
import type { LabelStore } from './label.store.js';
import type { FinetuneStore } from './finetune.store.js';
import type { WatermarkStore } from './watermark.store.js';

export type UserRole = 'admin' | 'user';
export type MemberRole = 'owner' | 'member' | 'viewer';

export interface User {
  /** The JWT `sub`, or a generated id for local accounts. */
  id: string;
  email: string | null;
  role: UserRole;
  /** scrypt hash for local (embedded) accounts; null for external (Supabase) users. */
  passwordHash: string | null;
  createdAt: number;
}

export interface Building {
  /** `^[a-zA-Z0-9_-]{1,64}$` */
  id: string;
  name: string;
  /** IANA zone, e.g. Europe/London, for day boundaries of energy reports. */
  timezone: string;
  isDemo: boolean;
  /** `id@version` of the model used for this building; null = the registry's active model. */
  modelRef: string | null;
  createdAt: number;
}

export interface Member {
  buildingId: string;
  userId: string;
  role: MemberRole;
}

/** A member and the e-mail of their account, as a building's member list shows them. */
export interface MemberWithEmail extends Member {
  email: string | null;
}

export interface DeviceToken {
  id: string;
  buildingId: string;
  name: string;
  /** sha256 hex of the secret; the secret itself is never stored. */
  tokenHash: string;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export interface ApplianceSetting {
  buildingId: string;
  appliance: string;
  label: string;
  enabled: boolean;
}

/**
 * A time-of-use band of a tariff, in the building's local clock time. It covers [start, end)
 * and may cross midnight (22:00-07:00); end equal to start covers the whole day.
 */
export interface TariffBand {
  name: string;
  /** 'HH:MM', 24-hour. */
  start: string;
  /** 'HH:MM', 24-hour. */
  end: string;
  pricePerKwh: number;
}

/**
 * A building's electricity tariff: a flat price per kWh, overridden inside its bands. The
 * store keeps it as given; the API validates it (currency code, price range, no overlaps).
 */
export interface Tariff {
  /** ISO 4217 code, e.g. GBP. */
  currency: string;
  /** Price outside every band (the whole price for a flat tariff). */
  pricePerKwh: number;
  bands: TariffBand[];
  /** Charged per local day; absent in tariffs stored before it existed (0). */
  standingChargePerDay?: number;
  /** Earned per exported kWh; absent in tariffs stored before it existed (0). */
  exportPricePerKwh?: number;
  /** Where its dynamic prices come from (stored in the price store); absent or null: none. */
  dynamic?: TariffDynamic | null;
}

/** A dynamic price source: CSV uploads, or Octopus Energy's products API. */
export type TariffDynamic =
  { source: 'csv' } | { source: 'octopus'; product: string; tariff: string };

/**
 * What a building's meter measures: its mains (the grid connection), on-site production, or one
 * appliance (a sub-meter: a smart plug whose readings are that appliance's ground truth).
 */
export type SourceRole = 'mains' | 'production' | 'submeter';

/** A meter configured for a building, and what it last did. */
export interface BuildingSource {
  id: string;
  buildingId: string;
  name: string;
  /** A @nilm/sources type name (shelly-gen2, homewizard-p1, line-protocol, ...). */
  type: string;
  role: SourceRole;
  /** The appliance a sub-meter measures; null for every other role. */
  appliance: string | null;
  /** The type's validated settings. */
  settings: Record<string, unknown>;
  createdAt: number;
  lastValueW: number | null;
  lastSeenAt: number | null;
  lastError: string | null;
  lastErrorCode: string | null;
  lastErrorAt: number | null;
  /** Signed net power per phase (L1 first) with the last value, when the meter measures phases. */
  lastPhasesW?: number[] | null;
}

/** What a source just did: a value it delivered, or why its input was refused. */
export type SourceEvent =
  | { kind: 'value'; valueW: number; at: number; phasesW?: readonly number[] }
  | { kind: 'error'; code: string; message: string; at: number };

export interface MetadataStore
  extends
    EstimateBacklog,
    AlertStore,
    PriceStore,
    LabelStore,
    DeviceStore,
    FinetuneStore,
    WatermarkStore {
  readonly kind: string;
  /** Apply pending migrations (idempotent, safe to run from several processes). */
  migrate(): Promise<void>;

  upsertUser(user: Omit<User, 'createdAt'>): Promise<User>;
  getUser(id: string): Promise<User | null>;
  getUserByEmail(email: string): Promise<User | null>;
  listUsers(): Promise<User[]>;

  /** Rejects with ConflictError when the id exists. Gives it an unfilled watermark row. */
  createBuilding(b: Omit<Building, 'createdAt'>): Promise<Building>;
  getBuilding(id: string): Promise<Building | null>;
  /**
   * Many buildings in one round trip (a worker's runs in flight): one answer per id, in order,
   * null where there is no such building; an id asked twice is answered twice.
   */
  getBuildingsMany(ids: readonly string[]): Promise<Array<Building | null>>;
  /** All buildings (admin), or those the user is a member of. */
  listBuildings(forUserId?: string): Promise<Building[]>;
  updateBuilding(
    id: string,
    patch: Partial<Pick<Building, 'name' | 'timezone' | 'modelRef'>>,
  ): Promise<Building | null>;
  deleteBuilding(id: string): Promise<boolean>;

  /**
   * Add or change a member's role. Demoting a building's last owner rejects with
   * LastOwnerError and changes nothing, also when two such changes race.
   */
  setMember(m: Member): Promise<Member>;
  /**
   * Remove a member; false when they were not one. Removing a building's last owner rejects
   * with LastOwnerError and changes nothing, also when two such changes race.
   */
  removeMember(buildingId: string, userId: string): Promise<boolean>;
  getMemberRole(buildingId: string, userId: string): Promise<MemberRole | null>;
  listMembers(buildingId: string): Promise<Member[]>;
  /** The members with their accounts' e-mail (null when unknown), sorted by user id: one query. */
  listMembersWithEmail(buildingId: string): Promise<MemberWithEmail[]>;

  createDeviceToken(
    t: Omit<DeviceToken, 'createdAt' | 'revokedAt' | 'lastUsedAt'>,
  ): Promise<DeviceToken>;
  listDeviceTokens(buildingId: string): Promise<DeviceToken[]>;
  /** Only tokens that are not revoked are found. */
  findDeviceToken(tokenHash: string): Promise<DeviceToken | null>;
  revokeDeviceToken(buildingId: string, id: string): Promise<boolean>;
  touchDeviceToken(id: string, at: number): Promise<void>;

  setAppliance(a: ApplianceSetting): Promise<ApplianceSetting>;
  listAppliances(buildingId: string): Promise<ApplianceSetting[]>;
  /**
   * The appliances (canonical names) the building says it has, sorted and without repeats;
   * null when it never said (or the building does not exist).
   */
  getAppliancesPresent(buildingId: string): Promise<string[] | null>;
  /**
   * Replace the building's list whole (stored sorted, without repeats; an empty list says it
   * has none of them); rejects when the building does not exist.
   */
  setAppliancesPresent(buildingId: string, appliances: readonly string[]): Promise<string[]>;

  /** The building's tariff; null when none was ever set (or the building does not exist). */
  getTariff(buildingId: string): Promise<Tariff | null>;
  /** Replace the building's tariff whole; rejects when the building does not exist. */
  setTariff(buildingId: string, tariff: Tariff): Promise<Tariff>;

  /**
   * Rejects with ConflictError when the id exists; with an error when the building does not, or
   * when `appliance` is not given exactly for a sub-meter.
   */
  createSource(
    s: Pick<BuildingSource, 'id' | 'buildingId' | 'name' | 'type' | 'role' | 'settings'> &
      Partial<Pick<BuildingSource, 'appliance'>>,
  ): Promise<BuildingSource>;
  getSource(id: string): Promise<BuildingSource | null>;
  /** The sources of one building, or of every building (the runner that feeds them). */
  listSources(buildingId?: string): Promise<BuildingSource[]>;
  /**
   * Change what the patch gives. A patch with `role` sets `appliance` too (null when left out),
   * so a source that stops being a sub-meter loses its appliance.
   */
  updateSource(
    id: string,
    patch: Partial<Pick<BuildingSource, 'name' | 'role' | 'settings' | 'appliance'>>,
  ): Promise<BuildingSource | null>;
  deleteSource(id: string): Promise<boolean>;
  /** Record a source's last value or last error (the other half of its status is kept). */
  recordSourceEvent(id: string, event: SourceEvent): Promise<void>;
  /**
   * Take or renew the lease to poll a source: true when `holder` now holds it until `untilMs`,
   * false while another holder's lease runs at `nowMs` (or the source is gone). Several API
   * processes ask before each poll, so exactly one polls; a holder that dies is replaced once
   * its lease has run out.
   */
  claimSourcePoll(id: string, holder: string, nowMs: number, untilMs: number): Promise<boolean>;
  /** Give up a lease `holder` holds (a process that stops), so another takes over at once. */
  releaseSourcePoll(id: string, holder: string): Promise<void>;

  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A unique key already exists (e.g. a building id). Code from the one error catalogue. */
export class ConflictError extends Error {
  readonly code = 'CONFLICT';
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

/**
 * A member change that would leave a building with no owner (demoting or removing its last
 * one). Platform admins are not members and do not count.
 */
export class LastOwnerError extends Error {
  readonly code = 'STORE_CONFLICT_LAST_OWNER';
  constructor(
    readonly buildingId: string,
    readonly userId: string,
  ) {
    super(
      `user ${userId} is the last owner of building ${buildingId}; make someone else owner first`,
    );
    this.name = 'LastOwnerError';
  }
}
