/**
 * Secrets a source needs to reach a device (a Home Assistant access token) are kept encrypted at
 * rest in the metadata store: AES-256-GCM with a key from NILM_SECRET_KEY (64 hex digits), or,
 * without it, a key made on first use and kept in the data folder (`secret.key`, readable by the
 * server's user only). Several processes sharing one metadata store must share the key: set
 * NILM_SECRET_KEY for all of them. A stored secret reads `enc:v1:<iv>:<tag>:<ciphertext>`.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PREFIX = 'enc:v1:';

export interface SecretBox {
  seal(plain: string): string;
  /** The secret; throws when it was sealed with another key or is not sealed. */
  open(sealed: string): string;
  isSealed(value: unknown): boolean;
}

/** The box for this server: its configured key, or the data folder's own. */
export function openSecretBox(config: { NILM_SECRET_KEY?: string; dataDir: string }): SecretBox {
  let key: Buffer;
  if (config.NILM_SECRET_KEY) key = Buffer.from(config.NILM_SECRET_KEY, 'hex');
  else {
    const file = join(config.dataDir, 'secret.key');
    if (!existsSync(file)) {
      mkdirSync(config.dataDir, { recursive: true });
      writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
    }
    key = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  }
  if (key.length !== 32) throw new Error('the secret key must be 32 bytes (64 hex digits)');
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return `${PREFIX}${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${ct.toString('base64')}`;
    },
    open(sealed) {
      if (!sealed.startsWith(PREFIX)) throw new Error('not a sealed secret');
      const [iv, tag, ct] = sealed.slice(PREFIX.length).split(':');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv ?? '', 'base64'));
      decipher.setAuthTag(Buffer.from(tag ?? '', 'base64'));
      return Buffer.concat([
        decipher.update(Buffer.from(ct ?? '', 'base64')),
        decipher.final(),
      ]).toString('utf8');
    },
    isSealed: (value) => typeof value === 'string' && value.startsWith(PREFIX),
  };
}

/** What the API shows instead of a stored secret. */
export const SECRET_SHOWN = '(stored encrypted)';
