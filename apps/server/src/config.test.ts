// Proves how the environment chooses the web app's sign-in (local, Supabase, external), that
// only a Supabase public key is accepted as SUPABASE_ANON_KEY (never a service_role or secret
// key), that MQTT_PUBLIC_URL is a plain mqtt(s) address, and that TRUST_PROXY is off unless it
// names the proxies (never "trust everyone"), that Home Assistant publishing needs a broker,
// each named in every refusal, that the demo is off by default in production, and that new
// buildings default to the configured or the server's time zone.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
/** A key shaped like a Supabase legacy API key (the signature is not checked here). */
const legacyKey = (claims: object) => `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}.c2ln`;
const anon = legacyKey({ iss: 'supabase', ref: 'abcd', role: 'anon', exp: 2e9 });

const load = (env: Record<string, string>) => loadConfig(env, '/repo');

describe('webSignIn', () => {
  it('is local with no external auth, and external for a JWKS or HS256 issuer', () => {
    expect(load({}).webSignIn).toEqual({ mode: 'local' });
    expect(load({ AUTH_JWKS_URL: 'https://idp.example/jwks.json' }).webSignIn).toEqual({
      mode: 'external',
    });
    expect(load({ AUTH_HS256_SECRET: 's'.repeat(32) }).webSignIn).toEqual({ mode: 'external' });
  });

  it('is supabase with the URL (trailing slashes dropped) and the anon key', () => {
    const c = load({ SUPABASE_URL: 'https://abcd.supabase.co//', SUPABASE_ANON_KEY: anon });
    expect(c.webSignIn).toEqual({
      mode: 'supabase',
      supabaseUrl: 'https://abcd.supabase.co',
      anonKey: anon,
    });
    expect(c.externalAuth).toBe(true);
  });

  it('is external for Supabase without an anon key (tokens still verified, no sign-in form)', () => {
    expect(load({ SUPABASE_URL: 'https://abcd.supabase.co' }).webSignIn).toEqual({
      mode: 'external',
    });
  });

  it('accepts a publishable key and a self-hosted URL whatever its anon key names', () => {
    expect(
      load({ SUPABASE_URL: 'http://127.0.0.1:54321', SUPABASE_ANON_KEY: 'sb_publishable_abc123' })
        .webSignIn,
    ).toMatchObject({ mode: 'supabase', anonKey: 'sb_publishable_abc123' });
    expect(
      load({ SUPABASE_URL: 'http://localhost:8000', SUPABASE_ANON_KEY: anon }).webSignIn,
    ).toMatchObject({ mode: 'supabase', supabaseUrl: 'http://localhost:8000' });
  });
});

describe('SUPABASE_ANON_KEY validation', () => {
  const url = 'https://abcd.supabase.co';
  const refused = (key: string): string => {
    try {
      load({ SUPABASE_URL: url, SUPABASE_ANON_KEY: key });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error(`${key} was accepted`);
  };

  it('refuses the service_role key and secret keys, naming the variable', () => {
    expect(refused(legacyKey({ ref: 'abcd', role: 'service_role' }))).toMatch(
      /SUPABASE_ANON_KEY: is the service_role key/,
    );
    expect(refused('sb_secret_abc123')).toMatch(/SUPABASE_ANON_KEY: is a secret key/);
  });

  it('refuses something that is not a Supabase key, and a JWT with another role', () => {
    expect(refused('not-a-key')).toMatch(/SUPABASE_ANON_KEY: must be the project's anon key/);
    expect(refused(legacyKey({ ref: 'abcd', role: 'authenticated' }))).toMatch(
      /role "authenticated"/,
    );
  });

  it("refuses a hosted project's key for another project", () => {
    expect(refused(legacyKey({ ref: 'wxyz', role: 'anon' }))).toMatch(
      /belongs to project "wxyz", but SUPABASE_URL is https:\/\/abcd\.supabase\.co/,
    );
  });

  it('needs SUPABASE_URL', () => {
    expect(() => load({ SUPABASE_ANON_KEY: anon })).toThrow(
      /SUPABASE_ANON_KEY is set without SUPABASE_URL/,
    );
  });
});

describe('MQTT_PUBLIC_URL validation', () => {
  const broker = { MQTT_URL: 'mqtt://mosquitto:1883' };
  const refused = (env: Record<string, string>): string => {
    try {
      load(env);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error(`${JSON.stringify(env)} was accepted`);
  };

  it('accepts an mqtt:// or mqtts:// address with either broker, and is unset by default', () => {
    expect(load(broker).MQTT_PUBLIC_URL).toBeUndefined();
    expect(
      load({ ...broker, MQTT_PUBLIC_URL: 'mqtts://energy.example.org:8883' }).MQTT_PUBLIC_URL,
    ).toBe('mqtts://energy.example.org:8883');
    expect(
      load({ MQTT_EMBEDDED_PORT: '1884', MQTT_PUBLIC_URL: 'mqtt://203.0.113.7:21884/' })
        .MQTT_PUBLIC_URL,
    ).toBe('mqtt://203.0.113.7:21884/');
  });

  it('refuses credentials without repeating them, other schemes, paths and non-URLs', () => {
    const creds = refused({ ...broker, MQTT_PUBLIC_URL: 'mqtt://meter:hunter22@energy.example' });
    expect(creds).toMatch(/MQTT_PUBLIC_URL: must not contain a user name or password/);
    expect(creds).not.toMatch(/hunter22/);
    expect(refused({ ...broker, MQTT_PUBLIC_URL: 'mqtt://meter@energy.example' })).toMatch(
      /MQTT_PUBLIC_URL: must not contain a user name or password/,
    );
    expect(refused({ ...broker, MQTT_PUBLIC_URL: 'wss://energy.example/mqtt' })).toMatch(
      /MQTT_PUBLIC_URL: must start with mqtt:\/\/ or mqtts:\/\//,
    );
    expect(refused({ ...broker, MQTT_PUBLIC_URL: 'mqtt://energy.example/nilm' })).toMatch(
      /MQTT_PUBLIC_URL: must be mqtt:\/\/host\[:port\] or mqtts:\/\/host\[:port\], without a path/,
    );
    expect(refused({ ...broker, MQTT_PUBLIC_URL: 'energy.example:1883' })).toMatch(
      /MQTT_PUBLIC_URL: /,
    );
    expect(refused({ ...broker, MQTT_PUBLIC_URL: 'not a url' })).toMatch(/MQTT_PUBLIC_URL: /);
  });

  it('needs a broker to describe', () => {
    const off: Array<Record<string, string>> = [{ MQTT_EMBEDDED_PORT: '0' }, { NILM_ROLE: 'api' }];
    for (const o of off)
      expect(refused({ MQTT_PUBLIC_URL: 'mqtt://energy.example', ...o })).toMatch(
        /MQTT_PUBLIC_URL is set but MQTT ingest is off; set MQTT_EMBEDDED_PORT .* or MQTT_URL/,
      );
  });
});

describe('MQTT_EMBEDDED_PORT', () => {
  it('is on by default for the one-process start (1883, moving on when taken), off otherwise', () => {
    const start = load({});
    expect([start.MQTT_EMBEDDED_PORT, start.mqttPortAuto]).toEqual([1883, true]);
    const others: Array<Record<string, string>> = [
      { NILM_ROLE: 'api' },
      { NILM_ROLE: 'worker' },
      { MQTT_URL: 'mqtt://b' },
    ];
    for (const env of others) {
      const c = load(env);
      expect([c.MQTT_EMBEDDED_PORT, c.mqttPortAuto]).toEqual([0, false]);
    }
    // A port set by hand is kept exactly: taken, the start fails rather than move.
    const fixed = load({ MQTT_EMBEDDED_PORT: '1999' });
    expect([fixed.MQTT_EMBEDDED_PORT, fixed.mqttPortAuto]).toEqual([1999, false]);
    expect(load({ MQTT_EMBEDDED_PORT: '0' }).MQTT_EMBEDDED_PORT).toBe(0);
  });
});

describe('TRUST_PROXY', () => {
  const refused = (value: string): string => {
    try {
      load({ TRUST_PROXY: value });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error(`TRUST_PROXY=${value} was accepted`);
  };

  it('is off by default and for false, 0, no and off', () => {
    expect(load({}).TRUST_PROXY).toBe(false);
    for (const v of ['false', '0', 'no', 'off', 'FALSE'])
      expect(load({ TRUST_PROXY: v }).TRUST_PROXY).toBe(false);
  });

  it('takes a list of addresses, CIDR ranges and named ranges', () => {
    expect(
      load({ TRUST_PROXY: ' 127.0.0.1, 172.16.0.0/12 ,::1,fd00::/8,uniquelocal' }).TRUST_PROXY,
    ).toEqual(['127.0.0.1', '172.16.0.0/12', '::1', 'fd00::/8', 'uniquelocal']);
  });

  it('refuses trusting every sender, host names and bad prefixes, naming the variable', () => {
    expect(refused('true')).toMatch(/TRUST_PROXY: must list the proxy addresses/);
    expect(refused('*')).toMatch(/TRUST_PROXY: must list the proxy addresses/);
    expect(refused('proxy.local')).toMatch(/TRUST_PROXY: "proxy.local" is not an IP address/);
    expect(refused('10.0.0.0/33')).toMatch(/TRUST_PROXY: "10.0.0.0\/33" has a prefix length/);
    expect(refused('10.0.0.1/8/8')).toMatch(/TRUST_PROXY: "10.0.0.1\/8\/8" is not an IP/);
  });
});

describe('Home Assistant publishing', () => {
  it('is off by default, needs MQTT_URL, and refuses wildcards in its topics', () => {
    expect(load({}).HA_DISCOVERY).toBe(false);
    expect(() => load({ HA_DISCOVERY: 'true' })).toThrow(/HA_DISCOVERY=true needs MQTT_URL/);
    const on = load({ HA_DISCOVERY: 'true', MQTT_URL: 'mqtt://ha.local:1883' });
    expect([on.HA_DISCOVERY, on.HA_DISCOVERY_PREFIX, on.HA_STATE_TOPIC_ROOT]).toEqual([
      true,
      'homeassistant',
      'nilm',
    ]);
    expect(() =>
      load({ HA_DISCOVERY: 'true', MQTT_URL: 'mqtt://ha.local', HA_DISCOVERY_PREFIX: 'ha/#' }),
    ).toThrow(/HA_DISCOVERY_PREFIX/);
  });
});

describe('demo and default zone', () => {
  it('runs the demo unless NODE_ENV=production, and DEMO says so either way', () => {
    expect(load({}).DEMO).toBe(true);
    expect(load({ NODE_ENV: 'production' }).DEMO).toBe(false);
    expect(load({ NODE_ENV: 'production', DEMO: 'true' }).DEMO).toBe(true);
    expect(load({ DEMO: 'false' }).DEMO).toBe(false);
  });

  it("gives new buildings DEFAULT_TIMEZONE, else the server's zone, and refuses an unknown zone", () => {
    expect(load({ DEFAULT_TIMEZONE: 'Asia/Tokyo' }).DEFAULT_TIMEZONE).toBe('Asia/Tokyo');
    expect(load({}).DEFAULT_TIMEZONE).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
    expect(() => load({ DEFAULT_TIMEZONE: 'Mars/Olympus' })).toThrow(
      /DEFAULT_TIMEZONE: must be an IANA time zone/,
    );
  });
});
