/**
 * Reading a source's settings object: each setting is checked by name, a wrong one becomes a
 * SOURCE_SETTING_INVALID error naming it (so the API can answer 422 naming the setting), and an
 * unknown setting is refused too (a typo such as 'topc' must not silently fall back to a
 * default). Settings keep the API's snake_case names. Pure; no I/O.
 */
import { jsonPointerProblem } from './json.pointer.js';
import { topicFilterProblem } from './mqtt.topic.js';
import { type Outcome, SourceError, ok } from './source.errors.js';

/** Thrown inside a validator only and turned into an Outcome by {@link readSettings}. */
export function invalid(setting: string, message: string): SourceError {
  return new SourceError('SOURCE_SETTING_INVALID', `${setting}: ${message}`, { setting });
}

/** Typed access to one raw settings object; every method names the setting it checks. */
export class SettingsReader {
  private readonly seen = new Set<string>();

  constructor(private readonly raw: Record<string, unknown>) {}

  private take(name: string): unknown {
    this.seen.add(name);
    return this.raw[name];
  }

  /** Names present in the raw object that no reader method asked for. */
  unknownNames(): string[] {
    return Object.keys(this.raw).filter((k) => !this.seen.has(k));
  }

  /** Whether the setting is present (not undefined or null). */
  has(name: string): boolean {
    return this.raw[name] !== undefined && this.raw[name] !== null;
  }

  /** A non-empty string (required unless a default is given). */
  string(name: string, opts: { default?: string; maxLength?: number } = {}): string {
    const v = this.take(name);
    if (v === undefined || v === null) {
      if (opts.default !== undefined) return opts.default;
      throw invalid(name, 'is required');
    }
    if (typeof v !== 'string' || v.trim() === '') throw invalid(name, 'must be a non-empty string');
    if (v.length > (opts.maxLength ?? 1024)) {
      throw invalid(name, `must be at most ${opts.maxLength ?? 1024} characters`);
    }
    return v;
  }

  /** A non-empty string, or undefined when absent. */
  optionalString(name: string, opts: { maxLength?: number } = {}): string | undefined {
    return this.has(name) ? this.string(name, opts) : (this.take(name), undefined);
  }

  /** An MQTT topic filter (wildcards + and # allowed). */
  topicFilter(name: string, opts: { default?: string } = {}): string {
    const v = this.string(name, { ...opts, maxLength: 65_535 });
    const problem = topicFilterProblem(v);
    if (problem) throw invalid(name, `is not a valid MQTT topic filter: it ${problem}`);
    return v;
  }

  /** A topic filter, or undefined when absent. */
  optionalTopicFilter(name: string): string | undefined {
    return this.has(name) ? this.topicFilter(name) : (this.take(name), undefined);
  }

  /** A list of 1..max topic filters (per-phase topics, L1 first). */
  topicFilterList(name: string, max: number): string[] | undefined {
    const v = this.take(name);
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.length === 0 || v.length > max) {
      throw invalid(name, `must be a list of 1 to ${max} MQTT topics`);
    }
    return v.map((t, i) => {
      if (typeof t !== 'string') throw invalid(name, `item ${i + 1} must be a string`);
      const problem = topicFilterProblem(t);
      if (problem)
        throw invalid(name, `item ${i + 1} is not a valid MQTT topic filter: it ${problem}`);
      return t;
    });
  }

  /** A JSON pointer (RFC 6901). */
  pointer(name: string): string {
    const v = this.take(name);
    if (typeof v !== 'string')
      throw invalid(name, "must be a JSON pointer such as '/ENERGY/Power'");
    const problem = jsonPointerProblem(v);
    if (problem) throw invalid(name, `is not a valid JSON pointer: it ${problem}`);
    return v;
  }

  /** A JSON pointer, or undefined when absent. */
  optionalPointer(name: string): string | undefined {
    return this.has(name) ? this.pointer(name) : (this.take(name), undefined);
  }

  /** A list of 1..max JSON pointers (per-phase pointers, L1 first). */
  pointerList(name: string, max: number): string[] | undefined {
    const v = this.take(name);
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.length === 0 || v.length > max) {
      throw invalid(name, `must be a list of 1 to ${max} JSON pointers`);
    }
    return v.map((p, i) => {
      const problem = typeof p === 'string' ? jsonPointerProblem(p) : 'is not a string';
      if (problem) throw invalid(name, `item ${i + 1} is not a valid JSON pointer: it ${problem}`);
      return p as string;
    });
  }

  /** One of the given literal values. */
  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const v = this.take(name);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      throw invalid(name, `must be one of ${values.map((x) => `'${x}'`).join(', ')}`);
    }
    return v as T;
  }

  /** A whole number within [min, max] (required unless a default is given). */
  int(name: string, opts: { min: number; max: number; default?: number }): number {
    const v = this.take(name);
    if (v === undefined || v === null) {
      if (opts.default !== undefined) return opts.default;
      throw invalid(name, 'is required');
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < opts.min || v > opts.max) {
      throw invalid(name, `must be a whole number from ${opts.min} to ${opts.max}`);
    }
    return v;
  }

  /** A whole number within [min, max], or undefined when absent. */
  optionalInt(name: string, opts: { min: number; max: number }): number | undefined {
    return this.has(name) ? this.int(name, opts) : (this.take(name), undefined);
  }

  /** A list of distinct whole numbers within [min, max]. */
  intList(
    name: string,
    opts: { min: number; max: number; maxLength: number; default: number[] },
  ): number[] {
    const v = this.take(name);
    if (v === undefined || v === null) return opts.default;
    if (!Array.isArray(v) || v.length === 0 || v.length > opts.maxLength) {
      throw invalid(name, `must be a list of 1 to ${opts.maxLength} whole numbers`);
    }
    const out = v.map((x, i) => {
      if (typeof x !== 'number' || !Number.isInteger(x) || x < opts.min || x > opts.max) {
        throw invalid(name, `item ${i + 1} must be a whole number from ${opts.min} to ${opts.max}`);
      }
      return x;
    });
    if (new Set(out).size !== out.length) throw invalid(name, 'must not repeat a number');
    return out;
  }

  /** A list of 1..max non-empty strings. */
  stringList(name: string, max: number): string[] | undefined {
    const v = this.take(name);
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.length === 0 || v.length > max) {
      throw invalid(name, `must be a list of 1 to ${max} names`);
    }
    return v.map((s, i) => {
      if (typeof s !== 'string' || s.trim() === '')
        throw invalid(name, `item ${i + 1} must be a non-empty string`);
      return s;
    });
  }

  /** An http(s) URL of a device on the local network. */
  url(name: string): string {
    const v = this.string(name, { maxLength: 2048 });
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      throw invalid(name, "must be an absolute URL such as 'http://192.168.1.50'");
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw invalid(name, 'must use http or https');
    return v;
  }

  /** Any JSON object (a nested selector); returned for the caller to read with a sub-reader. */
  object(name: string): Record<string, unknown> | undefined {
    const v = this.take(name);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw invalid(name, 'must be an object');
    return v as Record<string, unknown>;
  }

  /** A list of 1..max raw items (nested selectors), returned for the caller to read. */
  list(name: string, max: number, what: string): unknown[] | undefined {
    const v = this.take(name);
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.length === 0 || v.length > max) {
      throw invalid(name, `must be a list of 1 to ${max} ${what}`);
    }
    return v;
  }

  /** Refuses a combination the reader cannot express alone. */
  refuse(name: string, message: string): never {
    throw invalid(name, message);
  }
}

/**
 * Runs a settings validator over a raw value: the raw value must be an object, the validator
 * reads each setting by name, and any setting it did not read is refused as unknown.
 */
export function readSettings<S>(raw: unknown, read: (r: SettingsReader) => S): Outcome<S> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, error: invalid('settings', 'must be an object of settings') };
  }
  const reader = new SettingsReader(raw as Record<string, unknown>);
  try {
    const settings = read(reader);
    const unknown = reader.unknownNames();
    if (unknown.length > 0) {
      return { ok: false, error: invalid(unknown[0]!, 'is not a setting of this source type') };
    }
    return ok(settings);
  } catch (e) {
    if (e instanceof SourceError) return { ok: false, error: e };
    throw e; // a bug in a validator, not a bad setting
  }
}

/** The HTTP polling settings every polled type shares. */
export interface PolledSettings {
  /** The device's base URL on the local network, e.g. 'http://192.168.1.50'. */
  url: string;
  /** Seconds between polls, 1..300. */
  interval_s: number;
}

/** Reads `url` and `interval_s` (default 10 s). */
export function readPolled(r: SettingsReader): PolledSettings {
  return { url: r.url('url'), interval_s: r.int('interval_s', { min: 1, max: 300, default: 10 }) };
}

/** Sign convention of a plain power value. */
export type SignConvention = 'import-positive' | 'export-positive';
export const SIGN_CONVENTIONS = ['import-positive', 'export-positive'] as const;
export const UNITS = ['W', 'kW'] as const;
