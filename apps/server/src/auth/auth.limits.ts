/**
 * Limits on failed authentication, kept in this process's memory (bounded, least recently used
 * dropped): failures per client address, checked before any token is verified, and a backoff
 * per local account after repeated wrong passwords. Framework-free; the HTTP wiring asks
 * `blockedFor` first and reports each outcome. See docs/security.md.
 */
import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

/** The most keys each table holds; the least recently used is dropped beyond it. */
export const MAX_TRACKED_KEYS = 10_000;

/** A Map used as an LRU: reading or writing a key makes it the newest. */
class LruMap<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(k: string): V | undefined {
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(k: string, v: V): void {
    this.map.delete(k);
    this.map.set(k, v);
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
  delete(k: string): void {
    this.map.delete(k);
  }
  get size(): number {
    return this.map.size;
  }
}

/** The 8 groups of an IPv6 address, or undefined when `ip` is none. */
function ipv6Groups(ip: string): string[] | undefined {
  const bare = ip.split('%')[0]!;
  if (!isIPv6(bare)) return undefined;
  let text = bare;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const o = v4[1]!.split('.').map(Number);
    text = `${text.slice(0, -v4[1]!.length)}${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''));
}

/**
 * Whose failures count together: an IPv4 address as it is (also when written as IPv4-mapped
 * IPv6), an IPv6 address by its /64 network, which one subscriber holds whole (counting each
 * address would let a client rotate through 2^64 of them).
 */
export function addressKey(ip: string): string {
  if (isIPv4(ip)) return ip;
  const g = ipv6Groups(ip);
  if (!g) return ip;
  if (g.slice(0, 5).every((x) => x === '0') && g[5] === 'ffff') {
    const n = (x: string) => parseInt(x, 16);
    return [n(g[6]!) >> 8, n(g[6]!) & 255, n(g[7]!) >> 8, n(g[7]!) & 255].join('.');
  }
  return `${g.slice(0, 4).join(':')}::/64`;
}

export interface FailedAuthLimiterOptions {
  /** Failed authentications an address may have per window before it is refused. */
  maxFailures: number;
  windowMs: number;
  now?: () => number;
  maxKeys?: number;
}

/**
 * Counts failed authentications (a forged or expired JWT, an unknown device token) per address
 * in a fixed window. Past the limit, requests with credentials from that address are refused
 * before their token is verified, so forging tokens costs the server nothing but a map lookup.
 * Credentials that verified recently are let through, so an attacker sharing an address (a NAT)
 * cannot lock out the people already signed in behind it.
 */
export class FailedAuthLimiter {
  private readonly failures: LruMap<{ count: number; resetAt: number }>;
  /** sha256 of credentials that verified, and until when that is trusted. */
  private readonly good: LruMap<number>;
  private readonly now: () => number;

  constructor(readonly opts: FailedAuthLimiterOptions) {
    this.now = opts.now ?? Date.now;
    this.failures = new LruMap(opts.maxKeys ?? MAX_TRACKED_KEYS);
    this.good = new LruMap(opts.maxKeys ?? MAX_TRACKED_KEYS);
  }

  /** Seconds until `ip` may try again, or 0 when it may now (or `credential` is known good). */
  blockedFor(ip: string, credential?: string): number {
    const now = this.now();
    if (credential !== undefined) {
      const until = this.good.get(digest(credential));
      if (until !== undefined && until > now) return 0;
    }
    const f = this.failures.get(addressKey(ip));
    if (!f || f.resetAt <= now || f.count < this.opts.maxFailures) return 0;
    return Math.max(1, Math.ceil((f.resetAt - now) / 1000));
  }

  /** A request from `ip` failed to authenticate. */
  fail(ip: string): void {
    const key = addressKey(ip);
    const now = this.now();
    const f = this.failures.get(key);
    if (!f || f.resetAt <= now)
      this.failures.set(key, { count: 1, resetAt: now + this.opts.windowMs });
    else f.count += 1;
  }

  /** `credential` verified; trust it past a block until `untilMs` (its expiry, at most 10 min). */
  succeed(credential: string, untilMs?: number): void {
    const now = this.now();
    this.good.set(digest(credential), Math.min(untilMs ?? Infinity, now + 10 * 60_000));
  }
}

export interface LoginBackoffOptions {
  /** Wrong passwords in a row an account may have before it must wait. */
  freeAttempts: number;
  /** Longest wait, in seconds. */
  maxDelayS: number;
  now?: () => number;
  maxKeys?: number;
}

/**
 * Per-account backoff for local sign-in: after `freeAttempts` wrong passwords in a row, the
 * account must wait 1 s, then 2, 4, ... up to `maxDelayS` before the next attempt is even
 * checked; a right password resets it. Keyed by the e-mail as typed (lower-cased), so an unknown
 * address behaves exactly like a known one.
 */
export class LoginBackoff {
  private readonly accounts: LruMap<{ failures: number; until: number }>;
  private readonly now: () => number;

  constructor(readonly opts: LoginBackoffOptions) {
    this.now = opts.now ?? Date.now;
    this.accounts = new LruMap(opts.maxKeys ?? MAX_TRACKED_KEYS);
  }

  /** Seconds the account must still wait, or 0. */
  waitFor(email: string): number {
    const a = this.accounts.get(accountKey(email));
    if (!a) return 0;
    const left = a.until - this.now();
    return left > 0 ? Math.ceil(left / 1000) : 0;
  }

  /** A wrong password (or unknown account) for `email`. */
  fail(email: string): void {
    const key = accountKey(email);
    const a = this.accounts.get(key) ?? { failures: 0, until: 0 };
    a.failures += 1;
    const over = a.failures - this.opts.freeAttempts;
    if (over >= 0)
      a.until = this.now() + Math.min(this.opts.maxDelayS, 2 ** Math.min(over, 30)) * 1000;
    this.accounts.set(key, a);
  }

  /** A right password: the account starts afresh. */
  succeed(email: string): void {
    this.accounts.delete(accountKey(email));
  }
}

/** The limits one app keeps, shared by the request hook and the sign-in route. */
export interface AuthLimits {
  failures: FailedAuthLimiter;
  logins: LoginBackoff;
  /**
   * Throws (429) when `ip` is past its failed-authentication limit and `credential` is not one
   * that verified recently.
   */
  refuseIfFailing: (ip: string, credential?: string) => void;
}

const accountKey = (email: string): string => email.trim().toLowerCase();
const digest = (s: string): string => createHash('sha256').update(s).digest('base64url');
