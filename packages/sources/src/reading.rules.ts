/**
 * The one normalised reading every source type produces, and the rules that turn the measured
 * parts of a payload (net, import, export, production, per phase) into it: the -100 kW..100 kW
 * range, the sign convention (import positive, export negative) and the check that per-phase
 * powers add up to the total. Pure; no I/O.
 */
import { type Outcome, fail, ok, unparseable } from './source.errors.js';

/** One normalised reading. Every power is in watts. */
export interface SourceReading {
  /** Epoch milliseconds, when the payload carries a time; otherwise the caller stamps arrival. */
  ts?: number;
  /** Net power at the grid connection, signed: import positive, export negative. */
  netW?: number;
  /** Power drawn from the grid (>= 0), when the device reports it apart from export. */
  importW?: number;
  /** Power fed into the grid (>= 0), when the device reports it apart from import. */
  exportW?: number;
  /** Net power per phase L1..L3, signed like netW. */
  phasesW?: number[];
  /** Power produced on site (a solar inverter or a production CT). */
  productionW?: number;
}

/** What a power value measures. */
export type Quantity = 'net' | 'import' | 'export' | 'production';

/** Phase numbers as meters name them (L1..L3). */
export type Phase = 1 | 2 | 3;

/** One measured value found in a payload: what it is, for which phase (if any), in watts. */
export interface PowerPart {
  quantity: Quantity;
  phase?: Phase;
  watts: number;
}

/**
 * What one message or response carried: the time it states (if any) and its power parts. No
 * parts means the message belongs to the source but holds no power (a status about Wi-Fi, a gas
 * meter frame); `ignored` then says why.
 */
export interface MessageParts {
  ts?: number;
  parts: PowerPart[];
  ignored?: string;
  /**
   * True when the message states everything its source measures (a Shelly EM status, a Tasmota
   * SENSOR frame): a ReadingAssembler then forgets older parts instead of mixing them in. False
   * or absent for one value of many (a P1 topic, one EM1 channel, a partial NotifyStatus).
   */
  complete?: boolean;
  /**
   * How many phases the source measures, when its settings say so (a Pro 3EM: 3; an esphome
   * source with two phase topics: 2). Phases are then reported only when every one of them is
   * known, so a partial update never passes for a shorter phase list.
   */
  phaseCount?: number;
}

/** Largest power accepted in either direction: 100 kW, far above any home connection. */
export const MAX_ABS_POWER_W = 100_000;

/** How far per-phase powers may stray from the total before the reading is refused. */
export interface PhaseTolerance {
  /** Always allowed, in watts (rounding of each phase by the meter). Default 15 W. */
  absoluteW: number;
  /** Allowed as a share of the summed phase magnitudes. Default 0.02 (2 %). */
  ratio: number;
}

export const DEFAULT_PHASE_TOLERANCE: PhaseTolerance = { absoluteW: 15, ratio: 0.02 };

/** The rounding used for every value: 1 mW, so sums of decimals compare exactly; no -0. */
function round3(x: number): number {
  return Math.round(x * 1000) / 1000 || 0;
}

function partName(p: PowerPart): string {
  return p.phase === undefined ? p.quantity : `${p.quantity} L${p.phase}`;
}

function checkRange(name: string, watts: number): Outcome<number> {
  if (!Number.isFinite(watts)) return unparseable(`${name} power is not a finite number`);
  if (Math.abs(watts) > MAX_ABS_POWER_W) {
    return fail(
      'SOURCE_POWER_OUT_OF_RANGE',
      `${name} power ${watts} W lies outside -100 kW..100 kW; check the unit (W or kW) setting`,
      { field: name, watts },
    );
  }
  return ok(watts);
}

/**
 * Signed per-phase values from the phase parts, or undefined when they cannot be signed
 * honestly. A phase with a net part uses it; one with import and export uses import - export.
 * Phases known only by their import (esp8266_p1meter publishes no per-phase return) are used
 * only when the meter shows no export at all and they add up to the import: otherwise one of
 * them may be exporting unseen, and a guess would make a correct reading look inconsistent.
 */
function signedPhases(
  parts: PowerPart[],
  phaseCount: number | undefined,
  totalExportW: number | undefined,
  importW: number | undefined,
  tolerance: PhaseTolerance,
): number[] | undefined {
  const byPhase = new Map<Phase, { net?: number; import?: number; export?: number }>();
  for (const p of parts) {
    if (p.phase === undefined || p.quantity === 'production') continue;
    const entry = byPhase.get(p.phase) ?? {};
    entry[p.quantity] = p.watts;
    byPhase.set(p.phase, entry);
  }
  if (byPhase.size === 0) return undefined;
  const count = phaseCount ?? Math.max(...byPhase.keys());
  const values: number[] = [];
  let importOnly = false;
  for (let phase = 1; phase <= count; phase++) {
    const e = byPhase.get(phase as Phase);
    if (!e) return undefined; // a gap (L1 and L3 but no L2): not a phase list
    if (e.net !== undefined) values.push(e.net);
    else if (e.import !== undefined && e.export !== undefined) values.push(e.import - e.export);
    else if (e.import !== undefined) {
      importOnly = true;
      values.push(e.import);
    } else if (e.export !== undefined) values.push(-e.export);
    else return undefined;
  }
  if (importOnly) {
    if (totalExportW !== 0 || importW === undefined) return undefined;
    const sum = values.reduce((a, b) => a + b, 0);
    if (Math.abs(sum - importW) > allowedMismatch(values, tolerance)) return undefined;
  }
  return values.map(round3);
}

function allowedMismatch(phases: readonly number[], tolerance: PhaseTolerance): number {
  const magnitude = phases.reduce((a, b) => a + Math.abs(b), 0);
  return Math.max(tolerance.absoluteW, tolerance.ratio * magnitude);
}

/**
 * Whether per-phase powers add up to a total within the tolerance: the one rule for every
 * reading that carries phases, from a source here or from a client (the server's ingest).
 */
export function phasesAddUp(
  phases: readonly number[],
  totalW: number,
  tolerance: PhaseTolerance = DEFAULT_PHASE_TOLERANCE,
): boolean {
  const sum = phases.reduce((a, b) => a + b, 0);
  return Math.abs(sum - totalW) <= allowedMismatch(phases, tolerance);
}

/**
 * Turns the parts of one message (or of one assembled burst of messages) into a reading:
 * range-checks every value, derives net from import and export or from the phases, signs the
 * phases and refuses a phase list that does not add up to a measured total. Parts must not be
 * empty; the last part of a kind wins.
 */
export function toReading(
  message: MessageParts,
  tolerance: PhaseTolerance = DEFAULT_PHASE_TOLERANCE,
): Outcome<SourceReading> {
  if (message.parts.length === 0) {
    return unparseable(message.ignored ?? 'the message carries no power value');
  }
  for (const p of message.parts) {
    const r = checkRange(partName(p), p.watts);
    if (!r.ok) return r;
    if ((p.quantity === 'import' || p.quantity === 'export') && p.watts < 0) {
      return unparseable(
        `${partName(p)} power is ${p.watts} W; delivered and returned power are never negative`,
        { field: partName(p) },
      );
    }
  }
  const total = (q: Quantity): number | undefined => {
    let v: number | undefined;
    for (const p of message.parts) if (p.quantity === q && p.phase === undefined) v = p.watts;
    return v;
  };
  const reading: SourceReading = {};
  if (message.ts !== undefined) reading.ts = message.ts;
  const importW = total('import');
  const exportW = total('export');
  const measuredNet = total('net');
  if (importW !== undefined) reading.importW = round3(importW);
  if (exportW !== undefined) reading.exportW = round3(exportW);

  const phases = signedPhases(message.parts, message.phaseCount, exportW, importW, tolerance);
  let netW = measuredNet;
  if (netW === undefined && importW !== undefined && exportW !== undefined) {
    netW = importW - exportW;
  }
  if (phases) {
    reading.phasesW = phases;
    const sum = phases.reduce((a, b) => a + b, 0);
    if (netW === undefined && importW === undefined && exportW === undefined) {
      netW = sum;
    } else if (netW !== undefined && !phasesAddUp(phases, netW, tolerance)) {
      return fail(
        'SOURCE_PHASE_MISMATCH',
        `the phases add up to ${round3(sum)} W but the total is ${round3(netW)} W`,
        { phasesW: phases, netW: round3(netW) },
      );
    }
  }
  if (netW !== undefined) {
    const r = checkRange('net', netW);
    if (!r.ok) return r;
    reading.netW = round3(netW);
  }
  const productionW = total('production');
  if (productionW !== undefined) reading.productionW = round3(productionW);
  return ok(reading);
}

/** Watts from a value in the given unit. */
export function toWatts(value: number, unit: 'W' | 'kW'): number {
  return unit === 'kW' ? value * 1000 : value;
}

/**
 * A finite number from a JSON value or a plain-number payload: numbers as they are, strings that
 * are a whole decimal number (surrounding whitespace allowed, as firmware often adds a newline).
 * Anything else (null, '', 'nan', '12 W') is undefined.
 */
export function numberFrom(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const s = value.trim();
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/** Epoch ms from an ISO 8601 string that states its zone (Z or an offset); else undefined. */
export function epochMsFromIso(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(value)) {
    return undefined; // local times without a zone are ambiguous: the caller stamps arrival
  }
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}
