/**
 * Test support: a local stand-in for a Web Push service (RFC 8030) that checks what a real one
 * checks, the VAPID JWT (RFC 8292: ES256 over the subscription's origin, signed by the key in
 * `k=`) and the encrypted payload's headers, and decrypts the payload as the browser would
 * (RFC 8291, aes128gcm) with a subscription key pair it made. Only test files import it.
 */
import { createECDH, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { importJWK, jwtVerify, type JWTPayload } from 'jose';

export interface PushReceived {
  /** The decrypted payload. */
  payload: string;
  headers: Record<string, string | string[] | undefined>;
  jwt: JWTPayload;
  /** The VAPID public key the request was signed with (`k=`). */
  vapidKey: string;
}

export interface PushStandIn {
  /** The browser's subscription, as `subscription.toJSON()` gives it. */
  subscription: { endpoint: string; keys: { p256dh: string; auth: string } };
  received: PushReceived[];
  /** Refusals (status and why), for requests that a real push service would refuse. */
  refused: string[];
  /** Answer every request with this status from now on (e.g. 410: subscription gone). */
  answer: number;
  close(): Promise<void>;
}

const b64u = (b: Buffer): string => b.toString('base64url');

/** Start the stand-in on a free port of 127.0.0.1. */
export async function startPushStandIn(): Promise<PushStandIn> {
  const ua = createECDH('prime256v1');
  ua.generateKeys();
  const authSecret = randomBytes(16);
  const state = { received: [] as PushReceived[], refused: [] as string[], answer: 201 };

  const decrypt = (body: Buffer): string => {
    const salt = body.subarray(0, 16);
    const idlen = body[20]!;
    const asPublic = body.subarray(21, 21 + idlen);
    const ciphertext = body.subarray(21 + idlen);
    const ecdhSecret = ua.computeSecret(asPublic);
    const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), ua.getPublicKey(), asPublic]);
    const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, authSecret, keyInfo, 32));
    const cek = Buffer.from(hkdfSync('sha256', ikm, salt, 'Content-Encoding: aes128gcm\0', 16));
    const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, 'Content-Encoding: nonce\0', 12));
    const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
    decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
    const plain = Buffer.concat([
      decipher.update(ciphertext.subarray(0, ciphertext.length - 16)),
      decipher.final(),
    ]);
    // The last record ends with the delimiter 0x02, then padding zeros.
    const end = plain.lastIndexOf(2);
    return plain.subarray(0, end).toString('utf8');
  };

  let origin = '';
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const refuse = (status: number, why: string): void => {
          state.refused.push(`${status}: ${why}`);
          res.writeHead(status).end(why);
        };
        const auth = req.headers.authorization ?? '';
        const m = /^vapid t=([^,]+), k=([A-Za-z0-9_-]+)$/.exec(auth);
        if (!m) return refuse(401, `no VAPID authorization: ${auth}`);
        const key = Buffer.from(m[2]!, 'base64url');
        if (key.length !== 65 || key[0] !== 4) return refuse(401, 'k= is no P-256 public key');
        let jwt: JWTPayload;
        try {
          const pub = await importJWK(
            { kty: 'EC', crv: 'P-256', x: b64u(key.subarray(1, 33)), y: b64u(key.subarray(33)) },
            'ES256',
          );
          jwt = (await jwtVerify(m[1]!, pub, { audience: origin, algorithms: ['ES256'] })).payload;
        } catch (e) {
          return refuse(403, `VAPID JWT refused: ${(e as Error).message}`);
        }
        if (!jwt.sub?.startsWith('mailto:') && !jwt.sub?.startsWith('https:'))
          return refuse(403, `VAPID sub must be mailto: or https: (got ${jwt.sub})`);
        if (req.headers['content-encoding'] !== 'aes128gcm')
          return refuse(415, `content-encoding ${req.headers['content-encoding']}`);
        if (req.headers.ttl === undefined) return refuse(400, 'no TTL header');
        let payload: string;
        try {
          payload = decrypt(Buffer.concat(chunks));
        } catch (e) {
          return refuse(400, `payload does not decrypt: ${(e as Error).message}`);
        }
        if (state.answer >= 300) return refuse(state.answer, 'told to refuse');
        state.received.push({ payload, headers: req.headers, jwt, vapidKey: m[2]! });
        res.writeHead(201).end();
      })();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    subscription: {
      endpoint: `${origin}/push/${b64u(randomBytes(8))}`,
      keys: { p256dh: b64u(ua.getPublicKey()), auth: b64u(authSecret) },
    },
    get received() {
      return state.received;
    },
    get refused() {
      return state.refused;
    },
    get answer() {
      return state.answer;
    },
    set answer(v: number) {
      state.answer = v;
    },
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
