// Proves the copyable ingest commands: once a shell has split them into words, curl posts the API's ingest body with the device token header, and mosquitto_pub publishes to the building's topic with the token where the configured broker expects it (login for the embedded broker, "token" in the payload for an external one).
import type { IngestInfo } from '@nilm/contracts';
import { describe, expect, it } from 'vitest';
import { ingestExamples, shellQuote, topicFor } from './ingest.examples.js';

const TOKEN = 'nilm_dev_Ab-9_xYz';
const NOW = '2026-01-02T03:04:05Z';

/**
 * The words a POSIX shell makes of `cmd`, for the subset the examples use: backslash-newline
 * continuations, single quotes, double quotes, and `$(...)` inside double quotes (replaced by
 * NOW, as `date -u +%Y-%m-%dT%H:%M:%SZ` would print).
 */
function shellWords(cmd: string): string[] {
  const s = cmd.replace(/\\\n/g, ' ');
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === ' ' || c === '\n') {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      word = (word ?? '') + s.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      const end = s.indexOf('"', i + 1);
      const inner = s.slice(i + 1, end);
      word = (word ?? '') + inner.replace(/\$\([^)]*\)/g, NOW);
      i = end;
    } else if (c === '\\') {
      word = (word ?? '') + s[i + 1];
      i++;
    } else word = (word ?? '') + c;
  }
  if (word !== null) words.push(word);
  return words;
}

/** The argument after `flag` in `words`. */
const arg = (words: string[], flag: string) => words[words.indexOf(flag) + 1];

const http: IngestInfo['http'] = {
  method: 'POST',
  path: '/api/v1/ingest',
  token_header: 'X-Ingest-Token',
  max_readings: 10_000,
};
const mqttOff: IngestInfo['mqtt'] = {
  enabled: false,
  broker: null,
  url: null,
  host: null,
  port: null,
  tls: false,
  websocket: false,
  topic_pattern: 'nilm/+/power',
  auth: null,
  loopback_only: false,
  max_readings_per_message: 10_000,
};
const embedded: IngestInfo['mqtt'] = {
  ...mqttOff,
  enabled: true,
  broker: 'embedded',
  url: 'mqtt://energy.lan:1884',
  host: 'energy.lan',
  port: 1884,
  auth: 'broker_login',
};

describe('ingestExamples', () => {
  it('builds a curl command that posts one reading with the device token', () => {
    const ex = ingestExamples({
      info: { http, mqtt: mqttOff },
      origin: 'https://energy.example',
      buildingId: 'home-1',
      token: TOKEN,
    });
    const words = shellWords(ex.curl);
    expect(words.slice(0, 4)).toEqual([
      'curl',
      '-X',
      'POST',
      'https://energy.example/api/v1/ingest',
    ]);
    expect(words.filter((_, i) => words[i - 1] === '-H')).toEqual([
      'Content-Type: application/json',
      `X-Ingest-Token: ${TOKEN}`,
    ]);
    expect(JSON.parse(arg(words, '-d')!)).toEqual({
      building_id: 'home-1',
      readings: [{ ts: NOW, power_w: 431.5 }],
    });
    expect(ex.mqtt).toBeNull();
  });

  it('signs in to the embedded broker with the building id and token', () => {
    const ex = ingestExamples({
      info: { http, mqtt: { ...embedded, topic_pattern: 'meters/+/w' } },
      origin: 'http://energy.lan:8080',
      buildingId: 'home-1',
      token: TOKEN,
      now: new Date('2026-01-02T03:04:05.678Z'),
    });
    const words = shellWords(ex.mqtt!.command!);
    expect(words[0]).toBe('mosquitto_pub');
    expect(arg(words, '-h')).toBe('energy.lan');
    expect(arg(words, '-p')).toBe('1884');
    expect(arg(words, '-q')).toBe('1');
    expect(arg(words, '-u')).toBe('home-1');
    expect(arg(words, '-P')).toBe(TOKEN);
    expect(arg(words, '-t')).toBe('meters/home-1/w');
    expect(words).not.toContain('-r');
    expect(JSON.parse(arg(words, '-m')!)).toEqual({ ts: NOW, power_w: 431.5 });
    expect(ex.mqtt!.topic).toBe('meters/home-1/w');
    expect(ex.mqtt!.payload).toBe('{"ts":"2026-01-02T03:04:05Z","power_w":431.5}');
    expect(ex.mqtt!.notes.join(' ')).toMatch(/user name = building id/);
  });

  it('says when the embedded broker only listens on this computer', () => {
    const ex = ingestExamples({
      info: { http, mqtt: { ...embedded, host: '127.0.0.1', loopback_only: true } },
      origin: 'http://127.0.0.1:8080',
      buildingId: 'h',
      token: TOKEN,
    });
    expect(ex.mqtt!.notes.join(' ')).toMatch(/listens on 127\.0\.0\.1 only.*HOST=0\.0\.0\.0/);
  });

  it('puts the token in the payload for an external broker, with TLS when it asks for it', () => {
    const ex = ingestExamples({
      info: {
        http,
        mqtt: {
          ...mqttOff,
          enabled: true,
          broker: 'external',
          url: 'mqtts://broker.example:8883',
          host: 'broker.example',
          port: 8883,
          tls: true,
          auth: 'payload',
        },
      },
      origin: 'https://energy.example',
      buildingId: 'home-1',
      token: TOKEN,
    });
    const words = shellWords(ex.mqtt!.command!);
    expect(words).not.toContain('-u');
    expect(words).not.toContain('-P');
    expect(arg(words, '--capath')).toBe('/etc/ssl/certs');
    expect(arg(words, '-t')).toBe('nilm/home-1/power');
    expect(JSON.parse(arg(words, '-m')!)).toEqual({ ts: NOW, power_w: 431.5, token: TOKEN });
    expect(JSON.parse(ex.mqtt!.payload)).toMatchObject({ token: TOKEN });
  });

  it('gives no mosquitto_pub command for a WebSocket broker, but the topic and payload', () => {
    const ex = ingestExamples({
      info: {
        http,
        mqtt: {
          ...mqttOff,
          enabled: true,
          broker: 'external',
          url: 'wss://broker.example:443/mqtt',
          host: 'broker.example',
          port: 443,
          tls: true,
          websocket: true,
          auth: 'payload',
        },
      },
      origin: 'https://energy.example',
      buildingId: 'b',
      token: TOKEN,
    });
    expect(ex.mqtt!.command).toBeNull();
    expect(ex.mqtt!.topic).toBe('nilm/b/power');
    expect(ex.mqtt!.notes[0]).toMatch(/WebSocket \(wss:\/\/broker\.example:443\/mqtt\)/);
  });
});

describe('shellQuote and topicFor', () => {
  it('quotes single quotes so the shell reads the text back unchanged', () => {
    expect(shellWords(`echo ${shellQuote("it's $HOME")}`)).toEqual(['echo', "it's $HOME"]);
  });

  it('replaces only the + level of the topic pattern', () => {
    expect(topicFor('site/+/mains/power', 'flat-2')).toBe('site/flat-2/mains/power');
  });
});
