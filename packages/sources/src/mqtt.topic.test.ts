// Proves MQTT topic filters match as the MQTT specification says (+ one level, # the parent and
// below, $-topics hidden from leading wildcards) and that invalid filters are explained.
import { describe, expect, it } from 'vitest';
import { lastLevel, topicFilterProblem, topicMatches, topicNameProblem } from './mqtt.topic.js';

describe('topicMatches', () => {
  it('follows the examples of the MQTT specification (4.7)', () => {
    const yes: Array<[string, string]> = [
      ['sport/tennis/player1/#', 'sport/tennis/player1'],
      ['sport/tennis/player1/#', 'sport/tennis/player1/ranking'],
      ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon'],
      ['sport/#', 'sport'],
      ['sport/tennis/+', 'sport/tennis/player1'],
      ['sport/+', 'sport/'],
      ['+/+', '/finance'],
      ['/+', '/finance'],
      ['#', 'anything/at/all'],
      ['+/monitor/Clients', 'x/monitor/Clients'],
    ];
    const no: Array<[string, string]> = [
      ['sport/tennis/+', 'sport/tennis/player1/ranking'],
      ['sport/+', 'sport'],
      ['+', '/finance'],
      ['#', '$SYS/broker/load'],
      ['+/monitor/Clients', '$SYS/monitor/Clients'],
      ['sport/tennis', 'sport/tennis/player1'],
      ['sport/tennis', 'Sport/tennis'],
    ];
    for (const [f, t] of yes) expect(topicMatches(f, t), `${f} ~ ${t}`).toBe(true);
    for (const [f, t] of no) expect(topicMatches(f, t), `${f} !~ ${t}`).toBe(false);
    expect(topicMatches('$SYS/#', '$SYS/broker/load')).toBe(true);
  });

  it('never matches a topic name that itself holds wildcards', () => {
    expect(topicMatches('#', 'a/+/b')).toBe(false);
    expect(topicNameProblem('a/#')).toBe('must not contain wildcards');
  });

  it('matches a topic to itself and to # for every level count (property, plain loop)', () => {
    const levels = ['shellies', 'emeter', '0', 'power', '', 'ümlaut', 'em:0', 'a b'];
    for (let n = 1; n <= 5; n++) {
      for (let seed = 0; seed < 40; seed++) {
        const topic = Array.from(
          { length: n },
          (_, i) => levels[(seed * 7 + i * 3) % levels.length]!,
        ).join('/');
        if (topic === '') continue; // a topic name needs at least one character
        expect(topicMatches(topic, topic)).toBe(true);
        expect(topicMatches('#', topic)).toBe(true);
        const plus = topic
          .split('/')
          .map(() => '+')
          .join('/');
        expect(topicMatches(plus, topic)).toBe(true);
        expect(topicMatches(`${plus}/+`, topic)).toBe(false);
      }
    }
  });
});

describe('topicFilterProblem', () => {
  it('accepts valid filters and explains invalid ones', () => {
    for (const f of [
      'a',
      'a/b',
      'a/+/c',
      'a/#',
      '#',
      '+',
      '/',
      'shellypro3em-c8f09e8a1b2c/status/em:0',
    ]) {
      expect(topicFilterProblem(f), f).toBeUndefined();
    }
    expect(topicFilterProblem('')).toBe('must not be empty');
    expect(topicFilterProblem('a/#/b')).toBe(
      "may use '#' only as the whole last level (as in 'shellies/#')",
    );
    expect(topicFilterProblem('a#')).toBe(
      "may use '#' only as the whole last level (as in 'shellies/#')",
    );
    expect(topicFilterProblem('a/b+')).toBe(
      "may use '+' only as a whole level (as in 'shellies/+/emeter/0/power')",
    );
    expect(topicFilterProblem('a\u0000b')).toBe('must not contain the NUL character');
  });

  it('gives the last level of a topic', () => {
    expect(lastLevel('shellies/x/emeter/0/power')).toBe('power');
    expect(lastLevel('power')).toBe('power');
  });
});
