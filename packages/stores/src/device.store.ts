/**
 * The found-devices part of the metadata store (issue 13.1): the unnamed devices discovery found
 * in a building's mains, and what its owners made of them (named, dismissed, merged into
 * another). A device keeps its id and label across discovery passes: a pass updates the device
 * whose signature matches (the caller says what matches) instead of adding another, and never
 * changes a dismissed or merged one back. Every implementation passes `device.conformance.ts`.
 * The store knows nothing of how devices are found; it keeps what it is given.
 */

export type FoundDeviceStatus = 'found' | 'named' | 'dismissed' | 'merged';

/** What identifies a device from one discovery pass to the next. */
export interface FoundDeviceSignature {
  powerW: number;
  runMinutes: number;
  /** Minutes between starts for a periodic device (a fridge), else null. */
  periodMinutes: number | null;
}

/** What the latest discovery pass measured of a device. */
export interface FoundDeviceStats {
  runs: number;
  runsPerDay: number;
  energyPerMonthKWh: number;
  /** Share of runs starting in each hour of the building's day (24 values). */
  hourProfile: number[];
  examples: { startMs: number; endMs: number; meanW: number }[];
  /** The span the pass looked at, epoch ms. */
  fromMs: number;
  toMs: number;
  /**
   * Every run the pass gave the device (epoch ms, end exclusive, and its power step), from which
   * a named device is estimated; absent in devices stored without it.
   */
  runList?: { startMs: number; endMs: number; powerW: number }[];
}

/** One device as a discovery pass reports it. */
export interface DiscoveredDevice {
  signature: FoundDeviceSignature;
  stats: FoundDeviceStats;
}

export interface FoundDeviceRecord extends DiscoveredDevice {
  id: string;
  buildingId: string;
  /** "Device A", ...: given when first found, never reused in the building. */
  label: string;
  status: FoundDeviceStatus;
  /** The device it was merged into (status merged), else null. */
  mergedInto: string | null;
  /** Owner-given name, else null. */
  name: string | null;
  /** Owner-given appliance type (a name of the appliance vocabulary), else null. */
  appliance: string | null;
  foundAt: number;
  updatedAt: number;
}

/** How a discovery pass is matched to the stored devices and how new ones are labelled. */
export interface DiscoveryMatching {
  /** Whether a found signature is the stored device's. */
  same: (stored: FoundDeviceSignature, found: FoundDeviceSignature) => boolean;
  /** Label of the building's n-th device (0-based), e.g. n -> "Device " + letters. */
  label: (n: number) => string;
}

/** Outcome of recording one discovery pass. */
export interface DiscoveryRecorded {
  created: FoundDeviceRecord[];
  updated: FoundDeviceRecord[];
  /** The stored device of each found one, in the order they were given. */
  devices: FoundDeviceRecord[];
}

export interface DeviceStore {
  /** The building's found devices in the order they were first found (label order). */
  listFoundDevices(buildingId: string): Promise<FoundDeviceRecord[]>;
  /** One device of the building, or null. */
  getFoundDevice(buildingId: string, id: string): Promise<FoundDeviceRecord | null>;
  /**
   * Record a discovery pass in one transaction, serialised per building (two workers passing at
   * once cannot both add the same device): each found device updates the first stored one,
   * not already taken in this pass, that `matching.same` accepts (its signature and stats;
   * status, name and appliance stay), else it is added with status found and the next label.
   * Rejects when the building does not exist.
   */
  recordDiscovery(
    buildingId: string,
    found: readonly DiscoveredDevice[],
    matching: DiscoveryMatching,
  ): Promise<DiscoveryRecorded>;
  /**
   * Set a device's name and appliance type (a field left undefined stays); it is named while
   * either is set, found again when both are null. Null when no such device in the building
   * or it was dismissed or merged.
   */
  nameFoundDevice(
    buildingId: string,
    id: string,
    patch: { name?: string | null; appliance?: string | null },
  ): Promise<FoundDeviceRecord | null>;
  /** Dismiss a found or named device; null when there is none such in the building. */
  dismissFoundDevice(buildingId: string, id: string): Promise<FoundDeviceRecord | null>;
  /**
   * Merge a found or named device into another found or named device of the same building;
   * null, changing nothing, when either is missing, dismissed or merged, or they are the same.
   */
  mergeFoundDevice(
    buildingId: string,
    id: string,
    intoId: string,
  ): Promise<FoundDeviceRecord | null>;
}
