// Proves Supabase defaults are derived with slash normalisation, explicit settings win, and invalid settings stop start-up with a named error.
import { describe, expect, it } from 'vitest';

import { hasExternalAuth, resolveAuthSettings, supabaseDefaults } from './auth.config.js';
import { AuthError } from './auth.errors.js';

describe('auth settings', () => {
  it.each(['https://abc.supabase.co', 'https://abc.supabase.co/', 'https://abc.supabase.co//'])(
    'derives Supabase defaults from %s',
    (url) => {
      expect(supabaseDefaults(url)).toEqual({
        jwksUrl: 'https://abc.supabase.co/auth/v1/.well-known/jwks.json',
        issuer: 'https://abc.supabase.co/auth/v1',
        audience: 'authenticated',
      });
    },
  );

  it('keeps a path prefix of a self-hosted Supabase', () => {
    expect(supabaseDefaults('http://kong:8000/supabase/').issuer).toBe(
      'http://kong:8000/supabase/auth/v1',
    );
  });

  it('lets explicit settings win over derived ones and drops supabaseUrl', () => {
    const resolved = resolveAuthSettings({
      supabaseUrl: 'https://abc.supabase.co',
      audience: 'my-api',
      jwksUrl: 'https://keys.example.test/jwks.json',
    });
    expect(resolved).toEqual({
      jwksUrl: 'https://keys.example.test/jwks.json',
      issuer: 'https://abc.supabase.co/auth/v1',
      audience: 'my-api',
    });
    expect(hasExternalAuth(resolved)).toBe(true);
  });

  it('resolves nothing to nothing', () => {
    expect(resolveAuthSettings({})).toEqual({});
    expect(hasExternalAuth(resolveAuthSettings({}))).toBe(false);
    expect(hasExternalAuth(resolveAuthSettings({ hs256Secret: 'x'.repeat(32) }))).toBe(true);
  });

  it.each([
    [{ supabaseUrl: 'abc.supabase.co' }, /supabaseUrl is not a URL/],
    [{ supabaseUrl: 'ftp://abc.supabase.co' }, /http or https/],
    [{ jwksUrl: 'not a url' }, /jwksUrl is not a URL/],
    [{ hs256Secret: 'too-short' }, /hs256Secret is shorter than 32/],
    [{ issuer: '' }, /issuer is empty/],
  ])('refuses invalid settings %o', (settings, message) => {
    expect(() => resolveAuthSettings(settings)).toThrow(AuthError);
    expect(() => resolveAuthSettings(settings)).toThrow(message);
  });
});
