// Proves the flag checks of `nilm replay` without a network: each bad flag is a CONFIG_INVALID
// error that says what to pass instead, and good flags give the pace and the HTTP sender's
// ingest endpoint (a base URL's path kept).
import { describe, expect, it } from 'vitest';
import { openSink, replayPace, type ReplayOptions } from './replay.options.js';

const base: ReplayOptions = {
  data: 'data.csv',
  building: 'home',
  topic: 'nilm/+/power',
  speed: '60',
};

async function refusal(o: Partial<ReplayOptions>): Promise<{ code: string; message: string }> {
  const flags = { ...base, ...o };
  try {
    replayPace(flags);
    await openSink(flags);
  } catch (e) {
    return { code: (e as { code: string }).code, message: (e as Error).message };
  }
  throw new Error('expected a refusal');
}

describe('replay flags', () => {
  it('gives the pace from --speed and --max-seconds', () => {
    expect(replayPace(base)).toEqual({ speed: 60, maxSeconds: undefined });
    expect(replayPace({ ...base, speed: '1', maxSeconds: '0' })).toEqual({
      speed: 1,
      maxSeconds: 0,
    });
  });

  it('refuses bad flags with CONFIG_INVALID and what to pass instead', async () => {
    const cases: Array<[Partial<ReplayOptions>, string]> = [
      [{ building: 'no good' }, '--building "no good" is not a building id'],
      [{ speed: '0.5' }, '--speed must be a number >= 1, got "0.5"'],
      [{ speed: 'fast' }, '--speed must be a number >= 1, got "fast"'],
      [{ maxSeconds: '-1' }, '--max-seconds must be a number >= 0, got "-1"'],
      [{}, 'say where to send the readings: --url <api base> --token <token>, or --mqtt <url>'],
      [{ url: 'http://127.0.0.1:8080' }, '--url needs --token <device token>'],
      [
        { url: 'http://127.0.0.1:8080', token: 't', password: 'p' },
        '--username and --password are for --mqtt; HTTP uses --token',
      ],
      [{ url: 'x', token: 't' }, '--url "x" is not a URL'],
      [{ url: 'ftp://x', token: 't' }, '--url "ftp://x" must start with http:// or https://'],
      [{ mqtt: 'mqtt://127.0.0.1:1883', topic: 'a/b' }, '--topic: topic pattern "a/b"'],
    ];
    for (const [flags, message] of cases) {
      const r = await refusal(flags);
      expect(r.code, message).toBe('CONFIG_INVALID');
      expect(r.message).toContain(message);
    }
  });

  it('sends over HTTP to the ingest endpoint under the base URL, its path kept', async () => {
    const direct = await openSink({ ...base, url: 'http://127.0.0.1:8080', token: 't' });
    expect(direct.target).toBe('http://127.0.0.1:8080/api/v1/ingest');
    const proxied = await openSink({ ...base, url: 'https://example.org/nilm', token: 't' });
    expect(proxied.target).toBe('https://example.org/nilm/api/v1/ingest');
    await Promise.all([direct.close(), proxied.close()]);
  });
});
