// Proves that MQTT payloads and topics are parsed into readings and building ids exactly as
// documented, and that every malformed payload, topic and pattern is refused with a clear error.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TOPIC_PATTERN,
  MAX_PAYLOAD_BYTES,
  MAX_READINGS_PER_MESSAGE,
  MqttInputError,
  buildingIdFromTopic,
  checkTopicPattern,
  parsePayload,
  topicForBuilding,
} from './mqtt.rules.js';

const RECEIVED = Date.UTC(2024, 4, 1, 12, 0, 0);
const TOKEN = `nilm_dev_${'a'.repeat(43)}`;

function refusal(fn: () => unknown): MqttInputError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MqttInputError);
    return e as MqttInputError;
  }
  throw new Error('expected an MqttInputError, nothing was thrown');
}

describe('parsePayload', () => {
  it('stamps a plain number with the receive time', () => {
    expect(parsePayload('431.5', RECEIVED)).toEqual({
      readings: [{ ts: RECEIVED, power_w: 431.5 }],
      token: undefined,
    });
    expect(parsePayload(Buffer.from(' 12\n'), RECEIVED + 0.4).readings).toEqual([
      { ts: RECEIVED, power_w: 12 },
    ]);
    expect(parsePayload('1e3', RECEIVED).readings[0]!.power_w).toBe(1000);
    expect(parsePayload('-5', RECEIVED).readings[0]!.power_w).toBe(-5);
    expect(parsePayload('.5', RECEIVED).readings[0]!.power_w).toBe(0.5);
  });

  it('reads plain bytes as a Buffer would: UTF-8, a leading byte-order mark trimmed', () => {
    const bytes = new TextEncoder().encode('\uFEFF{"ts":1714564800000,"power_w":7}');
    expect(bytes).not.toBeInstanceOf(Buffer);
    expect(parsePayload(bytes, RECEIVED)).toEqual(parsePayload(Buffer.from(bytes), RECEIVED));
    expect(parsePayload(bytes, RECEIVED).readings).toEqual([{ ts: 1714564800000, power_w: 7 }]);
    // A string is measured in UTF-8 bytes, not characters: 'é' is two bytes.
    const limit = refusal(() => parsePayload('é'.repeat(MAX_PAYLOAD_BYTES / 2 + 1), RECEIVED));
    expect(limit.message).toContain(`payload of ${MAX_PAYLOAD_BYTES + 2} bytes`);
  });

  it('reads one JSON object with an ISO or epoch time and an optional token', () => {
    expect(parsePayload('{"ts":"2024-05-01T12:00:00Z","power_w":100}', RECEIVED)).toEqual({
      readings: [{ ts: '2024-05-01T12:00:00Z', power_w: 100 }],
      token: undefined,
    });
    expect(
      parsePayload(JSON.stringify({ ts: RECEIVED, power_w: 0, token: TOKEN }), RECEIVED),
    ).toEqual({ readings: [{ ts: RECEIVED, power_w: 0 }], token: TOKEN });
  });

  it('reads a JSON array as a batch, with the token from any element', () => {
    const batch = [
      { ts: RECEIVED, power_w: 1 },
      { ts: RECEIVED + 1000, power_w: 2, token: TOKEN },
      { ts: RECEIVED + 2000, power_w: 3, token: TOKEN },
    ];
    expect(parsePayload(JSON.stringify(batch), RECEIVED)).toEqual({
      readings: [
        { ts: RECEIVED, power_w: 1 },
        { ts: RECEIVED + 1000, power_w: 2 },
        { ts: RECEIVED + 2000, power_w: 3 },
      ],
      token: TOKEN,
    });
  });

  it('reads per-phase power (phases_w) beside power_w', () => {
    expect(
      parsePayload('{"ts":5,"power_w":-600,"phases_w":[-900,-400,700]}', RECEIVED).readings,
    ).toEqual([{ ts: 5, power_w: -600, phases_w: [-900, -400, 700] }]);
  });

  it('leaves range checks to IngestService: shape only', () => {
    // Negative power and a 1970 time are well-formed; IngestService.validate refuses them.
    expect(parsePayload('{"ts":5,"power_w":-1}', RECEIVED).readings).toEqual([
      { ts: 5, power_w: -1 },
    ]);
  });

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['abc', /neither a number nor JSON/],
    ['12W', /neither a number nor JSON/],
    ['0x10', /neither a number nor JSON/],
    ['{"ts":1', /neither a number nor JSON/],
    ['"431"', /payload is not an object/],
    ['null', /payload is not an object/],
    ['true', /payload is not an object/],
    ['[]', /empty array/],
    ['[1,2]', /payload\[0\] is not an object/],
    ['[[{"ts":1,"power_w":1}]]', /payload\[0\] is not an object/],
    ['{"power_w":1}', /has no "ts"/],
    ['{"ts":1}', /has no "power_w"/],
    ['{"ts":true,"power_w":1}', /\.ts must be an ISO-8601 string or epoch milliseconds/],
    ['{"ts":null,"power_w":1}', /\.ts must be/],
    ['{"ts":1,"power_w":"1"}', /\.power_w must be a number/],
    ['{"ts":1,"power_w":null}', /\.power_w must be a number/],
    ['{"ts":1,"power_w":1,"token":5}', /\.token must be a string/],
    ['{"ts":1,"power_w":1,"voltage":230}', /unknown field "voltage"/],
    ['{"ts":1,"power_w":1,"phases_w":[]}', /\.phases_w must be 1 to 3 numbers/],
    ['{"ts":1,"power_w":1,"phases_w":[1,0,0,0]}', /\.phases_w must be 1 to 3 numbers/],
    ['{"ts":1,"power_w":1,"phases_w":["1"]}', /\.phases_w must be 1 to 3 numbers/],
    ['{"ts":1,"power_w":1,"phases_w":1}', /\.phases_w must be 1 to 3 numbers/],
    ['[{"ts":1,"power_w":1},{"ts":2}]', /payload\[1\] has no "power_w"/],
  ])('refuses %j', (payload, message) => {
    const e = refusal(() => parsePayload(payload, RECEIVED));
    expect(e.code).toBe('MQTT_PAYLOAD');
    expect(e.message).toMatch(message);
  });

  it('refuses a batch whose elements carry different tokens', () => {
    const other = `nilm_dev_${'b'.repeat(43)}`;
    const batch = [
      { ts: 1, power_w: 1, token: TOKEN },
      { ts: 2, power_w: 2, token: other },
    ];
    expect(refusal(() => parsePayload(JSON.stringify(batch), RECEIVED)).message).toMatch(
      /payload\[1\]\.token differs/,
    );
  });

  it('refuses too many readings and too many bytes', () => {
    const many = Array.from({ length: MAX_READINGS_PER_MESSAGE + 1 }, (_, i) => ({
      ts: i,
      power_w: 1,
    }));
    expect(refusal(() => parsePayload(JSON.stringify(many), RECEIVED)).message).toMatch(
      /10001 readings; send at most 10000/,
    );
    const big = Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20);
    expect(refusal(() => parsePayload(big, RECEIVED)).message).toMatch(/bytes is over/);
    // Exactly the limit is read (all spaces: empty after trimming).
    expect(
      refusal(() => parsePayload(Buffer.alloc(MAX_PAYLOAD_BYTES, 0x20), RECEIVED)).message,
    ).toMatch(/empty/);
  });
});

describe('topics', () => {
  it('finds the building id under the default and a custom pattern', () => {
    expect(DEFAULT_TOPIC_PATTERN).toBe('nilm/+/power');
    expect(buildingIdFromTopic('nilm/house-1_A/power', DEFAULT_TOPIC_PATTERN)).toBe('house-1_A');
    expect(buildingIdFromTopic('site/h1', 'site/+')).toBe('h1');
    expect(buildingIdFromTopic('h1/meter', '+/meter')).toBe('h1');
    expect(buildingIdFromTopic(`a/${'x'.repeat(64)}/b`, 'a/+/b')).toBe('x'.repeat(64));
  });

  it.each([
    [
      'nilm/house1/energy',
      /does not match "nilm\/\+\/power"; publish to nilm\/<building id>\/power/,
    ],
    ['nilm/house1/power/extra', /does not match/],
    ['nilm/house1', /does not match/],
    ['other/house1/power', /does not match/],
    ['nilm//power', /"" is not a building id/],
    ['nilm/house 1/power', /"house 1" is not a building id/],
    ['nilm/h.1/power', /is not a building id/],
    [`nilm/${'x'.repeat(65)}/power`, /is not a building id/],
  ])('refuses topic %j', (topic, message) => {
    const e = refusal(() => buildingIdFromTopic(topic, DEFAULT_TOPIC_PATTERN));
    expect(e.code).toBe('MQTT_TOPIC');
    expect(e.message).toMatch(message);
  });

  it('builds a building topic and refuses a bad building id', () => {
    expect(topicForBuilding(DEFAULT_TOPIC_PATTERN, 'h1')).toBe('nilm/h1/power');
    expect(topicForBuilding('t-1/nilm/+/power', 'h1')).toBe('t-1/nilm/h1/power');
    expect(refusal(() => topicForBuilding(DEFAULT_TOPIC_PATTERN, 'a/b')).code).toBe('MQTT_TOPIC');
    expect(refusal(() => topicForBuilding(DEFAULT_TOPIC_PATTERN, '+')).code).toBe('MQTT_TOPIC');
  });

  it('accepts patterns with one whole + level', () => {
    expect(checkTopicPattern('nilm/+/power')).toBe(1);
    expect(checkTopicPattern('+')).toBe(0);
    expect(checkTopicPattern('a/b/+')).toBe(2);
  });

  it.each(['nilm/power', 'nilm/+/+', 'nilm/#', 'nilm/+/#', 'nilm/a+/power', 'nilm/+x/power', ''])(
    'refuses pattern %j',
    (pattern) => {
      const e = refusal(() => checkTopicPattern(pattern));
      expect(e.code).toBe('MQTT_TOPIC_PATTERN');
      expect(e.message).toMatch(/exactly one level that is "\+"/);
      expect(refusal(() => buildingIdFromTopic('nilm/h1/power', pattern)).code).toBe(
        'MQTT_TOPIC_PATTERN',
      );
    },
  );
});
