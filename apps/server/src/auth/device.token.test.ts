// Proves device tokens have the documented format and entropy, hash to sha256 hex, compare correctly, and are recognised in Authorization headers.
import { createHash } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import {
  deviceTokenFromHeader,
  deviceTokenMatches,
  generateDeviceToken,
  hashDeviceToken,
  isDeviceToken,
} from './device.token.js';

describe('device tokens', () => {
  it('generates nilm_dev_ + 32 random bytes in base64url, with hash and hint', () => {
    const { secret, hash, hint } = generateDeviceToken();
    expect(secret).toMatch(/^nilm_dev_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(secret.slice('nilm_dev_'.length), 'base64url')).toHaveLength(32);
    expect(hash).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(hint).toBe(secret.slice(0, 13));
    expect(isDeviceToken(secret)).toBe(true);
  });

  it('never repeats a secret', () => {
    const secrets = new Set(Array.from({ length: 1000 }, () => generateDeviceToken().secret));
    expect(secrets.size).toBe(1000);
  });

  it('hashes to lowercase sha256 hex (known vector)', () => {
    const secret = `nilm_dev_${'A'.repeat(43)}`;
    expect(hashDeviceToken(secret)).toBe(
      createHash('sha256').update(Buffer.from(secret, 'utf8')).digest('hex'),
    );
    expect(hashDeviceToken('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('matches only the right secret against the stored hash', () => {
    const a = generateDeviceToken();
    const b = generateDeviceToken();
    expect(deviceTokenMatches(a.secret, a.hash)).toBe(true);
    expect(deviceTokenMatches(b.secret, a.hash)).toBe(false);
    expect(deviceTokenMatches(a.secret, a.hash.toUpperCase())).toBe(false);
    expect(deviceTokenMatches(a.secret, 'not-a-hash')).toBe(false);
    expect(deviceTokenMatches(a.secret.slice(0, -1), a.hash)).toBe(false);
    expect(deviceTokenMatches('', a.hash)).toBe(false);
  });

  it('extracts a device token from a bearer header and nothing else', () => {
    const { secret } = generateDeviceToken();
    expect(deviceTokenFromHeader(`Bearer ${secret}`)).toBe(secret);
    expect(deviceTokenFromHeader(`bearer ${secret}`)).toBeNull();
    expect(deviceTokenFromHeader(`Bearer ${secret} `)).toBeNull();
    expect(deviceTokenFromHeader('Bearer nilm_dev_short')).toBeNull();
    expect(deviceTokenFromHeader('Bearer eyJhbGciOiJIUzI1NiJ9.e30.x')).toBeNull();
    expect(deviceTokenFromHeader(undefined)).toBeNull();
  });
});
