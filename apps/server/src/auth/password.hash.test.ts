// Proves scrypt password hashes verify the right password, reject wrong ones, carry their parameters, and refuse corrupt or hostile stored hashes.
import { describe, expect, it } from 'vitest';

import { AuthError } from './auth.errors.js';
import {
  DEFAULT_SCRYPT_PARAMS,
  hashPassword,
  needsRehash,
  verifyPassword,
} from './password.hash.js';

/** Cheap parameters so the suite stays fast; the default cost is exercised once below. */
const FAST = { ln: 10, r: 8, p: 1 };

describe('password hashing', () => {
  it('hashes with the default (OWASP) parameters and verifies', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    expect(needsRehash(hash)).toBe(false);
  });

  it('rejects a wrong password, including near misses', async () => {
    const hash = await hashPassword('hunter2-but-longer', FAST);
    for (const wrong of ['hunter2-but-longe', 'Hunter2-but-longer', 'hunter2-but-longer ', '']) {
      expect(await verifyPassword(wrong, hash)).toBe(false);
    }
  });

  it('salts every hash and stores the parameters used', async () => {
    const a = await hashPassword('same', FAST);
    const b = await hashPassword('same', FAST);
    expect(a).not.toBe(b);
    expect(a.startsWith('$scrypt$ln=10,r=8,p=1$')).toBe(true);
    expect(await verifyPassword('same', b)).toBe(true);
  });

  it('treats composed and decomposed Unicode as the same password', async () => {
    const hash = await hashPassword('caf\u00e9', FAST);
    expect(await verifyPassword('cafe\u0301', hash)).toBe(true);
  });

  it('flags weaker stored parameters for re-hashing', async () => {
    const hash = await hashPassword('pw', FAST);
    expect(needsRehash(hash)).toBe(true);
    expect(needsRehash(hash, FAST)).toBe(false);
    expect(DEFAULT_SCRYPT_PARAMS).toEqual({ ln: 17, r: 8, p: 1 });
  });

  it('refuses malformed or hostile stored hashes instead of answering false', async () => {
    const good = await hashPassword('pw', FAST);
    const [, , , salt, key] = good.split('$');
    for (const stored of [
      '',
      'plaintext-password',
      `$scrypt$ln=30,r=8,p=1$${salt}$${key}`,
      `$scrypt$ln=10,r=8,p=99$${salt}$${key}`,
      `$scrypt$ln=20,r=32,p=1$${salt}$${key}`,
      `$scrypt$ln=17,r=8,p=16$${salt}$${key}`,
      `$scrypt$ln=10,r=8,p=1$AAAA$${key}`,
      `$bcrypt$ln=10,r=8,p=1$${salt}$${key}`,
    ]) {
      await expect(verifyPassword('pw', stored)).rejects.toSatisfy(
        (e: unknown) => e instanceof AuthError && e.code === 'AUTH_HASH_INVALID',
      );
    }
    await expect(hashPassword('pw', { ln: 4, r: 8, p: 1 })).rejects.toThrow(AuthError);
  });
});
