/**
 * The server's configuration: parsed and validated once from the environment at start; a bad
 * variable stops the process with a message naming it. Nothing else reads `process.env`.
 * Every variable is listed, with its default, in `.env.example`.
 */
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';

/** Whether `tz` names a time zone this runtime knows (an IANA name such as Europe/London). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** MQTT's registered port, the embedded broker's first choice when none is configured. */
export const DEFAULT_MQTT_PORT = 1883;

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
/** The parsed URL, or undefined for a string that is none (`.url()` reports that one). */
const parsedUrl = (u: string): URL | undefined => (URL.canParse(u) ? new URL(u) : undefined);
const url = (protocols: string[]) =>
  z
    .string()
    .url()
    .refine(
      (u) => {
        const p = parsedUrl(u);
        return p === undefined || protocols.includes(p.protocol);
      },
      {
        message: `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`,
      },
    );

/**
 * Why `key` cannot be a Supabase public key, or null when it can: a legacy anon key (a JWT whose
 * `role` is `anon`) or a new publishable key (`sb_publishable_...`). The service_role and
 * `sb_secret_` keys bypass row-level security and must never reach a browser.
 */
function anonKeyProblem(key: string): string | null {
  if (key.startsWith('sb_publishable_')) return null;
  if (key.startsWith('sb_secret_'))
    return 'is a secret key (sb_secret_...), which must never reach a browser; use the publishable key (sb_publishable_...) or the anon key';
  const role = jwtClaims(key)?.role;
  if (role === undefined)
    return "must be the project's anon key (a JWT) or publishable key (sb_publishable_...), from the Supabase dashboard's API settings";
  if (role === 'service_role')
    return 'is the service_role key, which bypasses row-level security and must never reach a browser; use the anon key';
  if (role !== 'anon') return `is a JWT with role ${JSON.stringify(role)}; use the anon key`;
  return null;
}

/** The payload of a compact JWT, unverified; undefined when `token` is not one. */
function jwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims)
      ? (claims as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Address ranges proxy-addr (Fastify's `trustProxy`) knows by name. */
const NAMED_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/** Why `entry` is not an address, a CIDR range or a named range, or null when it is one. */
function proxyEntryProblem(entry: string): string | null {
  if (NAMED_RANGES.includes(entry)) return null;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family !== 0 && rest.length === 0) {
    if (prefix === undefined) return null;
    const bits = family === 4 ? 32 : 128;
    if (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits) return null;
    return `"${entry}" has a prefix length outside 0..${bits}`;
  }
  return `"${entry}" is not an IP address, a CIDR range (10.0.0.0/8) or one of ${NAMED_RANGES.join(', ')}`;
}

/**
 * TRUST_PROXY: off (`false`, the default), or the comma-separated addresses and CIDR ranges of
 * the reverse proxies in front of this server, whose X-Forwarded-For/-Proto/-Host are then
 * believed. `true` (trust everyone) is refused: any client could then pick its own address and
 * so escape every per-IP limit, including the sign-in limit.
 */
const trustProxy = z
  .string()
  .trim()
  .transform((v, ctx): false | string[] => {
    if (['', 'false', '0', 'no', 'off'].includes(v.toLowerCase())) return false;
    if (['true', '1', 'yes', 'on', '*'].includes(v.toLowerCase())) {
      ctx.addIssue({
        code: 'custom',
        message:
          'must list the proxy addresses or CIDR ranges (e.g. 127.0.0.1 or 172.16.0.0/12), not trust every sender: any client could then choose its own address and escape the per-IP limits',
      });
      return z.NEVER;
    }
    const entries = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const e of entries) {
      const problem = proxyEntryProblem(e);
      if (problem) {
        ctx.addIssue({ code: 'custom', message: problem });
        return z.NEVER;
      }
    }
    return entries;
  });

export const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** all: API + worker + MQTT + demo in one process; api; worker. */
  NILM_ROLE: z.enum(['all', 'api', 'worker']).default('all'),
  /** Where embedded stores and the local signing key live. */
  NILM_DATA_DIR: z.string().default('.nilm-data'),
  NILM_MODELS_DIR: z.string().optional(),
  /** Built web app to serve at / (apps/web/dist by default, when it exists). */
  NILM_WEB_DIR: z.string().optional(),
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  REDIS_URL: url(['redis:', 'rediss:']).optional(),
  INFLUX_URL: url(['http:', 'https:']).optional(),
  INFLUX_DATABASE: z.string().min(1).default('nilm'),
  INFLUX_USERNAME: z.string().optional(),
  INFLUX_PASSWORD: z.string().optional(),
  INFLUX_TOKEN: z.string().optional(),
  MQTT_URL: url(['mqtt:', 'mqtts:', 'ws:', 'wss:']).optional(),
  /** Topic pattern; `+` stands for the building id. */
  MQTT_TOPIC: z.string().default('nilm/+/power'),
  /**
   * Publish estimates into Home Assistant over MQTT discovery, on the broker of MQTT_URL (the
   * one Home Assistant reads, e.g. its Mosquitto add-on).
   */
  HA_DISCOVERY: bool.default(false),
  /** Home Assistant's discovery prefix (its MQTT integration's setting). */
  HA_DISCOVERY_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9_-]+(\/[a-zA-Z0-9_-]+)*$/, 'MQTT topic levels without wildcards')
    .default('homeassistant'),
  /** Root of the state and availability topics: `<root>/<building>/ha/state`. */
  HA_STATE_TOPIC_ROOT: z
    .string()
    .regex(/^[a-zA-Z0-9_-]+(\/[a-zA-Z0-9_-]+)*$/, 'MQTT topic levels without wildcards')
    .default('nilm'),
  /**
   * Key (64 hex digits) that encrypts secrets kept for sources (a Home Assistant token). Unset:
   * a key made on first start in the data folder; processes sharing a database must share it.
   */
  NILM_SECRET_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits (32 bytes), e.g. from: openssl rand -hex 32')
    .optional(),
  /** How often Home Assistant's configs are brought in line with buildings and appliances. */
  HA_SYNC_MS: z.coerce.number().int().min(1000).default(60_000),
  /**
   * Run an embedded MQTT broker (aedes) on this port (0 = off). Unset: on for `nilm start` /
   * `npm start` without MQTT_URL, on port 1883 or the next free one; off otherwise.
   */
  MQTT_EMBEDDED_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /**
   * The broker address devices are told to use (GET /api/v1/ingest/info) when the one this
   * server knows is not theirs: behind NAT, a port forward or a TLS proxy, or a broker known by
   * a container name. Handed to every signed-in user, so it may carry no credentials.
   */
  MQTT_PUBLIC_URL: url(['mqtt:', 'mqtts:'])
    .refine(
      (u) => {
        const p = parsedUrl(u);
        return p === undefined || (p.username === '' && p.password === '');
      },
      {
        message:
          'must not contain a user name or password: it is shown to every signed-in user (devices sign in with their device token)',
      },
    )
    .refine(
      (u) => {
        const p = parsedUrl(u);
        return (
          p === undefined || ((p.pathname === '' || p.pathname === '/') && !p.search && !p.hash)
        );
      },
      { message: 'must be mqtt://host[:port] or mqtts://host[:port], without a path or query' },
    )
    .optional(),
  AUTH_JWKS_URL: url(['http:', 'https:']).optional(),
  AUTH_HS256_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  AUTH_ISSUER: z.string().optional(),
  AUTH_AUDIENCE: z.string().optional(),
  SUPABASE_URL: url(['http:', 'https:']).optional(),
  /**
   * The project's public anon (or publishable) key; with SUPABASE_URL it lets the web app sign
   * in against Supabase Auth. It is handed to every browser, so a secret key is refused.
   */
  SUPABASE_ANON_KEY: z
    .string()
    .trim()
    .superRefine((key, ctx) => {
      const problem = anonKeyProblem(key);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  /** Local admin created on first start of the embedded default. */
  NILM_ADMIN_EMAIL: z.string().email().default('admin@nilm.local'),
  NILM_ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
  /**
   * Time zone of a building created without one (an IANA name such as Europe/London). Unset: the
   * server's own zone (its TZ variable, else the system's).
   */
  DEFAULT_TIMEZONE: z
    .string()
    .trim()
    .refine(isTimeZone, { message: 'must be an IANA time zone such as Europe/London' })
    .optional(),
  /**
   * Create and stream the demo home ("demo-home"). Unset: on, except where NODE_ENV=production
   * (the Docker image), so a production server never gains a demo building it was not asked for.
   */
  DEMO: bool.optional(),
  /**
   * Replay speed of the demo home after the backfill: 1 = real time (a reading a minute, the
   * recording's own rate), 60 = a recorded minute per second, stamped so they never lie in the
   * future (the stream then runs behind the clock).
   */
  DEMO_SPEED: z.coerce.number().min(1).max(10_000).default(1),
  /**
   * Hours of the recording written at once on start, ending now (history for the charts): at least
   * these, less than a day more, so that (at speed 1) each reading keeps its time of day.
   */
  DEMO_BACKFILL_HOURS: z.coerce.number().min(0).max(330).default(312),
  RATE_LIMIT_PER_USER: z.coerce.number().int().positive().default(600),
  RATE_LIMIT_PER_IP: z.coerce.number().int().positive().default(1200),
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(2 * 1024 * 1024),
  /**
   * Body limit of a history import (`POST /buildings/{id}/import`, one CSV file): a year of
   * one-minute readings in the dataset layout with a few appliance columns is about 40 MB.
   */
  IMPORT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(64 * 1024 * 1024),
  CORS_ORIGINS: z.string().default(''),
  /** Reverse proxies whose X-Forwarded-For is believed: off, or their addresses/CIDR ranges. */
  TRUST_PROXY: trustProxy.default(false),
  /**
   * Failed authentications (a forged or expired token, an unknown device token) an address may
   * have per minute; beyond it, requests with credentials from there get 429 before any token is
   * verified. IPv6 addresses count by /64.
   */
  AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().positive().default(20),
  /** Wrong passwords in a row a local account may have before each next try must wait. */
  LOGIN_BACKOFF_AFTER: z.coerce.number().int().min(1).default(5),
  /** Longest wait of the per-account sign-in backoff (1 s doubling up to this), in seconds. */
  LOGIN_BACKOFF_MAX_S: z.coerce.number().int().min(1).default(900),
  /** Open live streams (`/buildings/{id}/live`) one user may hold; 429 beyond. */
  LIVE_STREAMS_PER_USER: z.coerce.number().int().positive().default(8),
  /** Open live streams this process holds in total; 429 beyond. */
  LIVE_STREAMS_TOTAL: z.coerce.number().int().positive().default(500),
  /** How often each building's live feed asks the store for new readings and estimates. */
  LIVE_POLL_MS: z.coerce.number().int().min(100).default(2000),
  /** How often an open stream's access is checked again (member removed, building deleted). */
  LIVE_RECHECK_MS: z.coerce.number().int().min(100).default(5000),
  /** Worker: jobs run at once per process. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /** How often the worker looks for buildings whose estimates lag behind their readings. */
  WORKER_RECONCILE_MS: z.coerce.number().int().min(100).default(30_000),
  /**
   * Dynamic price API (Octopus Energy's public products API, or a stand-in that answers like
   * it): buildings whose tariff takes prices from Octopus fetch them from here.
   */
  PRICE_API_URL: z.string().url().default('https://api.octopus.energy'),
  /** How often the worker fetches dynamic prices (Agile publishes the next day's by 16:00 UK). */
  PRICE_REFRESH_MS: z.coerce.number().int().min(1000).default(3_600_000),
  /** A price API page that takes longer than this fails the fetch (shown, retried next time). */
  PRICE_FETCH_TIMEOUT_MS: z.coerce.number().int().min(100).default(15_000),
  /**
   * BullMQ job lock: a worker that dies mid-job has its job handed back to another worker after
   * about two to three times this.
   */
  QUEUE_LOCK_MS: z.coerce.number().int().min(500).default(30_000),
});

export type Env = z.infer<typeof EnvSchema>;

export interface ServerConfig extends Omit<
  Env,
  'MQTT_EMBEDDED_PORT' | 'DEMO' | 'DEFAULT_TIMEZONE'
> {
  /** Whether the demo home runs (DEMO, else on unless NODE_ENV=production). */
  DEMO: boolean;
  /** Time zone of a building created without one: DEFAULT_TIMEZONE, else the server's zone. */
  DEFAULT_TIMEZONE: string;
  /** The embedded broker's port (0 = off); once it listens, the port it really took. */
  MQTT_EMBEDDED_PORT: number;
  /** MQTT_EMBEDDED_PORT was not set: 1883 is only a first choice, a busy one moves on. */
  mqttPortAuto: boolean;
  dataDir: string;
  modelsDir: string;
  webDir: string;
  corsOrigins: string[];
  /** External auth configured (JWKS, HS256 or Supabase); otherwise local accounts. */
  externalAuth: boolean;
  /** How the web app signs people in (served by `GET /api/v1/auth/config`). */
  webSignIn: WebSignIn;
}

/**
 * `local`: this server's own accounts; `supabase`: Supabase Auth with the project's URL and
 * public key; `external`: tokens come from another identity provider, not from a sign-in form.
 */
export type WebSignIn =
  | { mode: 'local' }
  | { mode: 'supabase'; supabaseUrl: string; anonKey: string }
  | { mode: 'external' };

/** A configuration problem, naming the variable. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Parse the environment. `repoRoot` locates the shipped models and the built web app. */
export function loadConfig(env: NodeJS.ProcessEnv, repoRoot: string): ServerConfig {
  const parsed = EnvSchema.safeParse(
    Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')),
  );
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid environment:\n  ${lines.join('\n  ')}\nsee .env.example`);
  }
  const e = parsed.data;
  if ((e.INFLUX_USERNAME === undefined) !== (e.INFLUX_PASSWORD === undefined)) {
    throw new ConfigError('INFLUX_USERNAME and INFLUX_PASSWORD go together; set both or neither');
  }
  if (e.SUPABASE_ANON_KEY !== undefined && e.SUPABASE_URL === undefined) {
    throw new ConfigError(
      'SUPABASE_ANON_KEY is set without SUPABASE_URL; set both (sign-in with Supabase) or neither',
    );
  }
  const mqttAuto = e.MQTT_EMBEDDED_PORT === undefined && e.NILM_ROLE === 'all' && !e.MQTT_URL;
  const embeddedPort = e.MQTT_EMBEDDED_PORT ?? (mqttAuto ? DEFAULT_MQTT_PORT : 0);
  if (e.MQTT_PUBLIC_URL !== undefined && embeddedPort === 0 && e.MQTT_URL === undefined) {
    throw new ConfigError(
      'MQTT_PUBLIC_URL is set but MQTT ingest is off; set MQTT_EMBEDDED_PORT (built-in broker) or MQTT_URL (your broker) too, or unset MQTT_PUBLIC_URL',
    );
  }
  if (e.HA_DISCOVERY && e.MQTT_URL === undefined) {
    throw new ConfigError(
      'HA_DISCOVERY=true needs MQTT_URL: the broker Home Assistant reads (e.g. mqtt://user:pass@homeassistant.local:1883)',
    );
  }
  const externalAuth = !!(e.AUTH_JWKS_URL || e.AUTH_HS256_SECRET || e.SUPABASE_URL);
  let webSignIn: WebSignIn = { mode: externalAuth ? 'external' : 'local' };
  if (e.SUPABASE_URL !== undefined && e.SUPABASE_ANON_KEY !== undefined) {
    const supabaseUrl = e.SUPABASE_URL.replace(/\/+$/, '');
    // A hosted project's anon key names its project; a key from another project would only
    // fail later, at every sign-in, with Supabase's terse "Invalid API key".
    const ref = jwtClaims(e.SUPABASE_ANON_KEY)?.ref;
    const host = new URL(supabaseUrl).hostname;
    if (typeof ref === 'string' && host.endsWith('.supabase.co') && host !== `${ref}.supabase.co`) {
      throw new ConfigError(
        `SUPABASE_ANON_KEY belongs to project "${ref}", but SUPABASE_URL is ${supabaseUrl}; use the anon key of the same project`,
      );
    }
    webSignIn = { mode: 'supabase', supabaseUrl, anonKey: e.SUPABASE_ANON_KEY };
  }
  return {
    ...e,
    DEMO: e.DEMO ?? env.NODE_ENV !== 'production',
    DEFAULT_TIMEZONE: e.DEFAULT_TIMEZONE ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    MQTT_EMBEDDED_PORT: embeddedPort,
    mqttPortAuto: mqttAuto,
    dataDir: resolve(e.NILM_DATA_DIR),
    modelsDir: resolve(e.NILM_MODELS_DIR ?? resolve(repoRoot, 'models')),
    webDir: resolve(e.NILM_WEB_DIR ?? resolve(repoRoot, 'apps/web/dist')),
    corsOrigins: e.CORS_ORIGINS.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    externalAuth,
    webSignIn,
  };
}
