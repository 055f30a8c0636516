/**
 * Parametric generators for big loads that have no open sub-metered data here: EV charging,
 * heat pump and air conditioning, an immersion (electric) water heater and storage heaters.
 * Each writes one appliance's power on a house's time grid from a small physical model, seeded,
 * so that `addLoad` (synthetic.mixer.ts) can add it to real mains of houses that lack it. The
 * models and their sources are in docs/data.md ("Synthetic loads").
 *
 * Every interval of constant power is put on the grid as the mean over each sample, as a meter
 * averaging over a minute would: a charge that starts at 18:00:40 gives 1/3 of its power in
 * the 18:00 minute. Hours of day are local time = grid time + `utcOffsetH` (the shared data's
 * naive times are local times read as UTC, so the default offset is 0).
 */
import { NilmError } from '../errors.js';
import type { Series } from './series.js';
import { SeededRandom } from './window.sampler.js';

/** A regular time grid: where a generated channel lives. */
export interface Grid {
  startMs: number;
  periodS: number;
  length: number;
}

/** The grid of a series. */
export function gridOf(s: Series): Grid {
  return { startMs: s.startMs, periodS: s.periodS, length: s.mains.length };
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Specific heat of water, J/(kg K); 1 L of water is taken as 1 kg. */
const WATER_J_PER_KG_K = 4186;

/** Seeded draws used by the generators. */
class Draw {
  private readonly r: SeededRandom;
  constructor(seed: number) {
    if (!Number.isFinite(seed))
      throw new NilmError('CONFIG_INVALID', `seed must be a finite number, got ${seed}`);
    this.r = new SeededRandom(seed);
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.r.next();
  }
  int(lo: number, hi: number): number {
    return lo + this.r.below(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.r.next() < p;
  }
  /** Normal by Box-Muller. */
  normal(mean: number, sd: number): number {
    const u = 1 - this.r.next();
    const v = this.r.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  pick<T>(values: readonly T[], weights: readonly number[]): T {
    const total = weights.reduce((a, b) => a + b, 0);
    let x = this.r.next() * total;
    for (let i = 0; i < values.length; i++) {
      x -= weights[i]!;
      if (x < 0) return values[i]!;
    }
    return values[values.length - 1]!;
  }
}

/**
 * Add `watts` over [fromMs, toMs) (grid-relative ms) to `power` as per-sample means. Returns the
 * energy added inside the grid, in J.
 */
function addInterval(
  power: Float32Array,
  grid: Grid,
  fromMs: number,
  toMs: number,
  watts: number,
): number {
  const periodMs = grid.periodS * 1000;
  const a = Math.max(0, fromMs);
  const b = Math.min(grid.length * periodMs, toMs);
  if (b <= a) return 0;
  for (let i = Math.floor(a / periodMs); i * periodMs < b; i++) {
    const lo = Math.max(a, i * periodMs);
    const hi = Math.min(b, (i + 1) * periodMs);
    power[i] = power[i]! + (watts * (hi - lo)) / periodMs;
  }
  return (watts * (b - a)) / 1000;
}

/** Local day starts (grid-relative ms) of every day the grid touches, from the day before. */
function dayStarts(grid: Grid, utcOffsetH: number): number[] {
  const local0 = grid.startMs + utcOffsetH * HOUR_MS;
  const first = Math.floor(local0 / DAY_MS) * DAY_MS - DAY_MS;
  const end = local0 + grid.length * grid.periodS * 1000;
  const out: number[] = [];
  for (let d = first; d < end; d += DAY_MS) out.push(d - local0);
  return out;
}

/** Local hour of day (0 <= h < 24) at grid-relative ms `t`. */
function hourAt(grid: Grid, t: number, utcOffsetH: number): number {
  const local = grid.startMs + t + utcOffsetH * HOUR_MS;
  return (((local % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
}

/** Whether local hour `h` lies in the window starting at `startH` lasting `hours` (may wrap). */
function inWindow(h: number, startH: number, hours: number): boolean {
  const d = (((h - startH) % 24) + 24) % 24;
  return d < hours;
}

// ---------------------------------------------------------------------------------------------
// EV charger

export interface EvChargerOptions {
  /** Charging powers, W: 16 A and 32 A single phase, 16 A three phase at 230 V (IEC 61851 mode 3). */
  levelsW?: readonly number[];
  levelWeights?: readonly number[];
  /** Probability that a session starts on a given day. Default 0.6. */
  sessionsPerDay?: number;
  /** Energy the car asks for, kWh (uniform). Default 5..40. */
  energyKwh?: readonly [number, number];
  /** Session length limits, s. Default 30 min .. 8 h. */
  minS?: number;
  maxS?: number;
  /** Share of sessions started by a timer at night (23:30-01:30); the rest start on arrival home. */
  timerShare?: number;
  utcOffsetH?: number;
}

export interface EvSession {
  /** Grid-relative start and end, ms. */
  fromMs: number;
  toMs: number;
  levelW: number;
  /** Energy put on the grid (inside it), kWh. */
  energyKwh: number;
}

/**
 * EV charging: constant power (the charger's current limit) and, as the battery nears full, a
 * tapering end (the constant-voltage phase of CC-CV lithium-ion charging): power falls linearly
 * to 10 % over the last 10 % of the session (10 to 45 min). Sessions start on arrival home
 * (evening, around 18:30 +- 1.5 h) or on a night-tariff timer (23:30-01:30), last 30 min to 8 h,
 * never overlap.
 */
export function generateEvCharger(
  grid: Grid,
  seed: number,
  opts: EvChargerOptions = {},
): { power: Float32Array; sessions: EvSession[] } {
  const levels = opts.levelsW ?? [3700, 7400, 11000];
  const weights = opts.levelWeights ?? [0.3, 0.6, 0.1];
  const [eLo, eHi] = opts.energyKwh ?? [5, 40];
  const minS = opts.minS ?? 1800;
  const maxS = opts.maxS ?? 8 * 3600;
  const offset = opts.utcOffsetH ?? 0;
  const rnd = new Draw(seed);
  const power = new Float32Array(grid.length);
  const sessions: EvSession[] = [];
  let busyUntil = -Infinity;
  for (const day of dayStarts(grid, offset)) {
    if (!rnd.chance(opts.sessionsPerDay ?? 0.6)) continue;
    const hour = rnd.chance(opts.timerShare ?? 0.3)
      ? rnd.uniform(23.5, 25.5)
      : Math.min(23.5, Math.max(15, rnd.normal(18.5, 1.5)));
    const levelW = rnd.pick(levels, weights);
    const wantJ = rnd.uniform(eLo, eHi) * 3.6e6;
    // Constant part c and taper tau (energy 0.55 tau P) with c + tau within [minS, maxS].
    let total = wantJ / levelW;
    total = Math.min(maxS, Math.max(minS, total));
    const tau = Math.min(2700, Math.max(600, 0.1 * total));
    const constant = Math.max(0, total - tau);
    const from = day + hour * HOUR_MS;
    if (from < busyUntil) continue;
    let j = addInterval(power, grid, from, from + constant * 1000, levelW);
    const steps = Math.max(1, Math.round(tau / 60));
    for (let k = 0; k < steps; k++) {
      // Linear from P to 0.1 P, sampled at the middle of each step.
      const w = levelW * (1 - 0.9 * ((k + 0.5) / steps));
      const a = from + (constant + (k * tau) / steps) * 1000;
      j += addInterval(power, grid, a, a + (tau / steps) * 1000, w);
    }
    const to = from + total * 1000;
    busyUntil = to + 30 * 60_000;
    if (j > 0) sessions.push({ fromMs: from, toMs: to, levelW, energyKwh: j / 3.6e6 });
  }
  return { power, sessions };
}

// ---------------------------------------------------------------------------------------------
// Heat pump and air conditioner

export interface HvacOptions {
  /** Heating (heat pump, with defrost) or cooling (air conditioner). */
  mode?: 'heat' | 'cool';
  /** Compressor + fans electric power when running, W. Default 2000 (heat), 2500 (cool). */
  ratedW?: number;
  /** Heat moved per W of electricity at 7 degC outdoor (heat) or 35 degC (cool). Default 3. */
  cop?: number;
  /** Heat loss coefficient of the house, W/K. Default 150 (3.75 kW at 20 degC inside, -5 degC out). */
  uaWPerK?: number;
  /** Heat capacity the thermostat sees (air and light contents), J/K. Default 3e6. */
  capacitanceJPerK?: number;
  /** Thermostat set point and half band, degC / K. Default 20 (heat) or 24 (cool), 0.5. */
  setpointC?: number;
  bandK?: number;
  /** Outdoor temperature: daily mean (varies day to day by +-2 K) and half swing (low at 03:00, high at 15:00). */
  outdoorMeanC?: number;
  outdoorSwingK?: number;
  /** Controls and crankcase heater, W. Default 30 (AMPds's idle heat pump draws 37-41 W). */
  standbyW?: number;
  /** Anti-short-cycle limits of the compressor, s. Default 180 each. */
  minOnS?: number;
  minOffS?: number;
  /** Defrost (heat only): below this outdoor temperature, every 40-90 min of running, 4-8 min. */
  defrostBelowC?: number;
  /** Internal gains (people, appliances) and peak solar gain at 13:00, W. Default 300 and 0 (heat) / 800 (cool). */
  internalGainsW?: number;
  solarGainW?: number;
  utcOffsetH?: number;
}

export interface HvacResult {
  power: Float32Array;
  /** 1 where the compressor runs. */
  compressorOn: Uint8Array;
  /** Sample indices where a defrost starts. */
  defrosts: number[];
  indoorC: Float32Array;
  outdoorC: Float32Array;
}

/**
 * A heat pump (or, with `mode: 'cool'`, an air conditioner) heating or cooling a one-node house:
 * C dT/dt = Q_hp + gains - UA (T - T_out), with an on/off thermostat (set point +- band) and
 * anti-short-cycle timers. The compressor cycles with a duty that follows the outdoor
 * temperature. In heating below `defrostBelowC` the outdoor coil ices up; every 40-90 min of
 * running a reverse-cycle defrost of 4-8 min takes heat back from the house, the outdoor fan
 * stops and the 4-way valve switches (a dip at its first and last minute). Fixed-speed cycling;
 * inverter units that modulate at part load are not modelled.
 */
export function generateHeatPump(grid: Grid, seed: number, opts: HvacOptions = {}): HvacResult {
  const mode = opts.mode ?? 'heat';
  const heat = mode === 'heat';
  const rated = opts.ratedW ?? (heat ? 2000 : 2500);
  const cop0 = opts.cop ?? 3;
  const ua = opts.uaWPerK ?? 150;
  const cap = opts.capacitanceJPerK ?? 3e6;
  const set = opts.setpointC ?? (heat ? 20 : 24);
  const band = opts.bandK ?? 0.5;
  const meanC = opts.outdoorMeanC ?? (heat ? 3 : 28);
  const swing = opts.outdoorSwingK ?? 5;
  const standby = opts.standbyW ?? 30;
  const dt = grid.periodS;
  const minOn = Math.ceil((opts.minOnS ?? 180) / dt);
  const minOff = Math.ceil((opts.minOffS ?? 180) / dt);
  const defrostBelow = opts.defrostBelowC ?? 5;
  const gains = opts.internalGainsW ?? 300;
  const solar = opts.solarGainW ?? (heat ? 0 : 800);
  const offset = opts.utcOffsetH ?? 0;
  const rnd = new Draw(seed);

  const days = dayStarts(grid, offset);
  const dayMean = days.map(() => meanC + rnd.normal(0, 2));
  const n = grid.length;
  const power = new Float32Array(n);
  const on = new Uint8Array(n);
  const indoorC = new Float32Array(n);
  const outdoorC = new Float32Array(n);
  const defrosts: number[] = [];
  let t = set;
  let running = false;
  let sinceSwitch = Math.max(minOn, minOff);
  let runSinceDefrost = 0;
  let nextDefrost = rnd.uniform(40, 90) * 60;
  let defrostLeft = 0;
  let defrostLen = 0;
  for (let i = 0; i < n; i++) {
    const ms = i * dt * 1000;
    const h = hourAt(grid, ms, offset);
    // Day starts are one day apart, from the day before the grid.
    const d = Math.min(days.length - 1, Math.max(0, Math.floor((ms - days[0]!) / DAY_MS)));
    const tOut = dayMean[d]! + swing * Math.cos((2 * Math.PI * (h - 15)) / 24);
    const sun = solar * Math.max(0, Math.cos((2 * Math.PI * (h - 13)) / 24)) ** 2;
    // Thermostat with anti-short-cycle timers; a defrost always finishes.
    if (defrostLeft === 0) {
      const cold = heat ? t < set - band : t > set + band;
      const warm = heat ? t > set + band : t < set - band;
      if (!running && cold && sinceSwitch >= minOff) {
        running = true;
        sinceSwitch = 0;
      } else if (running && warm && sinceSwitch >= minOn) {
        running = false;
        sinceSwitch = 0;
      }
    }
    if (
      heat &&
      running &&
      defrostLeft === 0 &&
      tOut < defrostBelow &&
      runSinceDefrost >= nextDefrost
    ) {
      defrostLen = rnd.int(Math.ceil(240 / dt), Math.ceil(480 / dt));
      defrostLeft = defrostLen;
      defrosts.push(i);
      runSinceDefrost = 0;
      nextDefrost = rnd.uniform(40, 90) * 60;
    }
    // COP falls as the lift grows: about 2.5 % per K (heat) away from the rating point.
    const cop = Math.max(1.2, cop0 * (1 + 0.025 * (heat ? tOut - 7 : 35 - tOut)));
    let q = 0;
    let w = standby;
    if (defrostLeft > 0) {
      const edge = defrostLeft === defrostLen || defrostLeft === 1;
      w += rated * (edge ? 0.35 : 0.85);
      q = -0.5 * rated * cop; // heat taken back from the house to melt the ice
      defrostLeft--;
    } else if (running) {
      w += rated * (1 + rnd.normal(0, 0.01));
      q = (heat ? 1 : -1) * rated * cop;
      runSinceDefrost += dt;
    }
    on[i] = running || defrostLeft > 0 ? 1 : 0;
    power[i] = w;
    indoorC[i] = t;
    outdoorC[i] = tOut;
    t += (dt / cap) * (q + gains + sun - ua * (t - tOut));
    sinceSwitch++;
  }
  return { power, compressorOn: on, defrosts, indoorC, outdoorC };
}

/** An air conditioner: {@link generateHeatPump} in cooling mode (no defrost). */
export function generateAirConditioner(
  grid: Grid,
  seed: number,
  opts: Omit<HvacOptions, 'mode'> = {},
): HvacResult {
  return generateHeatPump(grid, seed, { ...opts, mode: 'cool' });
}

// ---------------------------------------------------------------------------------------------
// Immersion / electric water heater

export interface WaterHeaterOptions {
  /** Element power, W. Default 3000 (a UK immersion element on a 13 A circuit). */
  elementW?: number;
  tankL?: number;
  /** Thermostat: heat from (set - deadband) up to set, degC / K. Default 60 / 6. */
  setpointC?: number;
  deadbandK?: number;
  inletC?: number;
  ambientC?: number;
  /** Standing loss, W per K above ambient. Default 1.5 (about 1.5 kWh a day at 60 degC). */
  lossWPerK?: number;
  /** Hot-water draws a day (uniform integer) and litres each. Default 2..6 and 10..50. */
  drawsPerDay?: readonly [number, number];
  drawL?: readonly [number, number];
  /** Heat only inside this local window (an off-peak timer), e.g. { startH: 0.5, hours: 7 }. */
  offPeak?: { startH: number; hours: number };
  utcOffsetH?: number;
}

export interface WaterHeaterResult {
  power: Float32Array;
  tankC: Float32Array;
  /** Energy balance, kWh: element = draws + losses + stored (change of tank heat). */
  energy: { elementKwh: number; drawKwh: number; lossKwh: number; storedKwh: number };
}

/**
 * A hot-water cylinder with one thermostat-controlled element: the element runs at full power
 * until the tank is back at its set point (the minute it gets there, for part of the minute),
 * then stays off until draws (morning around 07:30, evening around 20:00) and standing losses
 * cool it past the dead band. Mixed (one-node) tank: a draw of v litres at tank temperature T
 * is replaced by v litres at the inlet temperature.
 */
export function generateWaterHeater(
  grid: Grid,
  seed: number,
  opts: WaterHeaterOptions = {},
): WaterHeaterResult {
  const elementW = opts.elementW ?? 3000;
  const massKg = opts.tankL ?? 150;
  const set = opts.setpointC ?? 60;
  const dead = opts.deadbandK ?? 6;
  const inlet = opts.inletC ?? 10;
  const ambient = opts.ambientC ?? 18;
  const lossUa = opts.lossWPerK ?? 1.5;
  const [dLo, dHi] = opts.drawsPerDay ?? [2, 6];
  const [vLo, vHi] = opts.drawL ?? [10, 50];
  const offset = opts.utcOffsetH ?? 0;
  const rnd = new Draw(seed);
  const dt = grid.periodS;
  const n = grid.length;
  const heatCap = massKg * WATER_J_PER_KG_K;

  // Draws: litres per sample.
  const draws = new Float32Array(n);
  for (const day of dayStarts(grid, offset)) {
    const count = rnd.int(dLo, dHi);
    for (let k = 0; k < count; k++) {
      const hour = rnd.chance(0.55) ? rnd.normal(7.5, 1) : rnd.normal(20, 1.5);
      const i = Math.floor((day + Math.min(23.99, Math.max(5, hour)) * HOUR_MS) / (dt * 1000));
      const litres = rnd.uniform(vLo, vHi);
      if (i >= 0 && i < n) draws[i] = draws[i]! + litres;
    }
  }
  const power = new Float32Array(n);
  const tankC = new Float32Array(n);
  let t = set - rnd.uniform(0, dead);
  const t0 = t;
  let heating = false;
  let elementJ = 0;
  let drawJ = 0;
  let lossJ = 0;
  for (let i = 0; i < n; i++) {
    const v = Math.min(draws[i]!, massKg);
    if (v > 0) {
      const j = v * WATER_J_PER_KG_K * (t - inlet);
      drawJ += j;
      t -= j / heatCap;
    }
    const loss = lossUa * (t - ambient) * dt;
    lossJ += loss;
    t -= loss / heatCap;
    const allowed =
      !opts.offPeak ||
      inWindow(hourAt(grid, i * dt * 1000, offset), opts.offPeak.startH, opts.offPeak.hours);
    if (!heating && t <= set - dead && allowed) heating = true;
    if (heating && !allowed) heating = false;
    if (heating) {
      const give = Math.min(elementW * dt, (set - t) * heatCap);
      t += give / heatCap;
      elementJ += give;
      power[i] = give / dt;
      if (t >= set - 1e-9) heating = false;
    }
    tankC[i] = t;
  }
  const kwh = (j: number): number => j / 3.6e6;
  return {
    power,
    tankC,
    energy: {
      elementKwh: kwh(elementJ),
      drawKwh: kwh(drawJ),
      lossKwh: kwh(lossJ),
      storedKwh: kwh((t - t0) * heatCap),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Storage heaters

export interface StorageHeaterOptions {
  /** Number of heaters and the input rating of each, W. Default 2 x 2550. */
  heaters?: number;
  ratingW?: number;
  /** The off-peak window in local time. Default Economy 7, 00:30 for 7 h. */
  offPeak?: { startH: number; hours: number };
  /** Share of a full charge taken each night (uniform, per heater and night). Default 0.4..1. */
  chargeFraction?: readonly [number, number];
  utcOffsetH?: number;
}

export interface StorageCharge {
  heater: number;
  fromMs: number;
  toMs: number;
  energyKwh: number;
}

/**
 * Storage heaters charge their core at full input power during the off-peak window only. The
 * input setting (or an automatic charge controller reading the room and the weather) decides
 * how much of a full charge each night takes. A heater with manual control starts at the
 * window's start; one with automatic control ends at the window's end. Each heater is one or
 * the other, drawn once.
 */
export function generateStorageHeaters(
  grid: Grid,
  seed: number,
  opts: StorageHeaterOptions = {},
): { power: Float32Array; charges: StorageCharge[] } {
  const heaters = opts.heaters ?? 2;
  const rating = opts.ratingW ?? 2550;
  const { startH, hours } = opts.offPeak ?? { startH: 0.5, hours: 7 };
  const [fLo, fHi] = opts.chargeFraction ?? [0.4, 1];
  const offset = opts.utcOffsetH ?? 0;
  const rnd = new Draw(seed);
  const auto = Array.from({ length: heaters }, () => rnd.chance(0.5));
  const power = new Float32Array(grid.length);
  const charges: StorageCharge[] = [];
  for (const day of dayStarts(grid, offset)) {
    const windowFrom = day + startH * HOUR_MS;
    const windowTo = windowFrom + hours * HOUR_MS;
    for (let k = 0; k < heaters; k++) {
      const durMs = rnd.uniform(fLo, fHi) * hours * HOUR_MS;
      const from = auto[k] ? windowTo - durMs : windowFrom;
      const j = addInterval(power, grid, from, from + durMs, rating);
      if (j > 0)
        charges.push({ heater: k, fromMs: from, toMs: from + durMs, energyKwh: j / 3.6e6 });
    }
  }
  return { power, charges };
}
