// Proves the Shelly types (shelly-gen2 over MQTT, shelly-rpc over HTTP, shelly-gen1 over MQTT)
// turn the recorded and documented payloads into the exact readings, with export negative, and
// refuse the documentation example that does not add up once its typo is corrected.
import { describe, expect, it } from 'vitest';
import { capture, payload } from '../fixtures.testing.js';
import { ReadingAssembler } from '../reading.assembler.js';
import { toReading } from '../reading.rules.js';
import type { Outcome } from '../source.errors.js';
import { sourceRequestUrl, validateSource } from '../source.registry.js';
import { shellyGen1 } from './shelly-gen1.source.js';
import { shellyGen2 } from './shelly-gen2.source.js';
import { shellyRpc } from './shelly-rpc.source.js';

function value<T>(o: Outcome<T>): T {
  if (!o.ok) throw new Error(`${o.error.code}: ${o.error.message}`);
  return o.value;
}

const PRO3EM = 'shellies/shellypro3em-00000000000';

describe('shelly-gen2', () => {
  const settings = value(shellyGen2.validate({ topic: `${PRO3EM}/#` }));

  it('reads a recorded Pro 3EM status/em:0: signed total and phases, L1 exporting', () => {
    const msg = value(
      shellyGen2.parseMessage(
        settings,
        `${PRO3EM}/status/em:0`,
        payload('shelly-gen2/pro3em-status-em0.txt'),
      ),
    );
    expect(msg.complete).toBe(true);
    expect(value(toReading(msg))).toEqual({ netW: 392.572, phasesW: [-60.2, 72.8, 379.9] });
  });

  it('reads the EM.GetStatus documentation example as its total only, since it spells c_active_power', () => {
    const msg = value(
      shellyGen2.parseMessage(
        settings,
        `${PRO3EM}/status/em:0`,
        payload('shelly-gen2/em-getstatus-doc-example.txt'),
      ),
    );
    expect(value(toReading(msg))).toEqual({ netW: 2484.782 });
  });

  it('refuses the documentation example once c_act_power is spelled right: its phases add up to 715.5 W', () => {
    const corrected = payload('shelly-gen2/em-getstatus-doc-example.txt').replace(
      'c_active_power',
      'c_act_power',
    );
    const out = toReading(
      value(shellyGen2.parseMessage(settings, `${PRO3EM}/status/em:0`, corrected)),
    );
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.error.code).toBe('SOURCE_PHASE_MISMATCH');
    expect(out.error.message).toBe('the phases add up to 715.5 W but the total is 2484.782 W');
  });

  it('reads the EM1.GetStatus documentation example on status/em1:0 as the net power', () => {
    const msg = value(
      shellyGen2.parseMessage(
        settings,
        `${PRO3EM}/status/em1:0`,
        payload('shelly-gen2/em1-getstatus-doc-example.txt'),
      ),
    );
    expect(value(toReading(msg))).toEqual({ netW: 1327.6 });
  });

  it('overlays a NotifyStatus frame (changed attributes only, ts in seconds) on the last status', () => {
    const assembler = new ReadingAssembler();
    assembler.add(
      value(
        shellyGen2.parseMessage(
          settings,
          `${PRO3EM}/status/em:0`,
          payload('shelly-gen2/pro3em-status-em0.txt'),
        ),
      ),
      1_000,
    );
    const changed = payload('shelly-gen2/notifystatus-em0-partial.txt')
      .replace('"a_act_power":-60.2', '"a_act_power":-1460.2')
      .replace('"total_act_power":392.572', '"total_act_power":-1007.428');
    const note = value(shellyGen2.parseMessage(settings, `${PRO3EM}/events/rpc`, changed));
    expect(note.ts).toBe(1_708_179_956_300);
    expect(note.complete).toBeUndefined();
    assembler.add(note, 2_000);
    expect(value(assembler.read(2_100)!)).toEqual({
      ts: 1_708_179_956_300,
      netW: -1007.428,
      phasesW: [-1460.2, 72.8, 379.9],
    });
  });

  it('reads the recorded NotifyStatus frame on its own without inventing a one-phase list', () => {
    const note = value(
      shellyGen2.parseMessage(
        settings,
        `${PRO3EM}/events/rpc`,
        payload('shelly-gen2/notifystatus-em0-partial.txt'),
      ),
    );
    expect(value(toReading(note))).toEqual({ ts: 1_708_179_956_300, netW: 392.572 });
  });

  it('ignores notifications and status topics that carry no power', () => {
    const note = value(
      shellyGen2.parseMessage(
        settings,
        `${PRO3EM}/events/rpc`,
        payload('shelly-gen2/notifystatus-switch-temperature.txt'),
      ),
    );
    expect(note).toEqual({
      parts: [],
      ignored: 'the notification changes no power value',
      ts: 1_708_179_956_300,
    });
    expect(
      value(shellyGen2.parseMessage(settings, `${PRO3EM}/status/sys`, '{"unixtime":1}')).ignored,
    ).toBe('sys status carries no power');
  });

  it('says which part a topic is, and that other devices are not this source', () => {
    expect(shellyGen2.matchTopic(settings, `${PRO3EM}/status/em:0`)).toEqual({
      part: 'em:0 status',
      power: true,
    });
    expect(shellyGen2.matchTopic(settings, `${PRO3EM}/events/rpc`)).toEqual({
      part: 'RPC notifications',
      power: true,
    });
    expect(shellyGen2.matchTopic(settings, `${PRO3EM}/status/wifi`)).toEqual({
      part: 'wifi status',
      power: false,
    });
    expect(shellyGen2.matchTopic(settings, `${PRO3EM}/online`)).toEqual({
      part: 'online',
      power: false,
    });
    expect(
      shellyGen2.matchTopic(settings, 'shellies/shellypro3em-other/status/em:0'),
    ).toBeUndefined();
  });

  it('places EM1 channels: one mains channel and a production clamp (Pro EM with solar)', () => {
    const proEm = value(
      shellyGen2.validate({ topic: 'proem/status/+', mains_channels: [0], production_channel: 1 }),
    );
    const a = new ReadingAssembler();
    a.add(
      value(shellyGen2.parseMessage(proEm, 'proem/status/em1:0', '{"id":0,"act_power":-1899.8}')),
      0,
    );
    a.add(
      value(shellyGen2.parseMessage(proEm, 'proem/status/em1:1', '{"id":1,"act_power":2410.5}')),
      10,
    );
    expect(value(a.read(20)!)).toEqual({ netW: -1899.8, productionW: 2410.5 });
  });

  it('refuses a status without its power attribute and a payload that is not JSON', () => {
    const noPower = shellyGen2.parseMessage(settings, `${PRO3EM}/status/em:0`, '{"id":0}');
    expect(noPower.ok || noPower.error.code).toBe('SOURCE_PAYLOAD_UNPARSEABLE');
    const notJson = shellyGen2.parseMessage(settings, `${PRO3EM}/status/em:0`, '392.5');
    expect(notJson.ok || notJson.error.message).toBe('the payload is JSON but not an object');
    const garbage = shellyGen2.parseMessage(
      settings,
      `${PRO3EM}/status/em:0`,
      '{"total_act_power":',
    );
    expect(garbage.ok || garbage.error.code).toBe('SOURCE_PAYLOAD_UNPARSEABLE');
  });

  it('validates settings, naming the setting at fault', () => {
    const cases: Array<[unknown, string]> = [
      [{}, 'topic'],
      [{ topic: 'a/#/b' }, 'topic'],
      [{ topic: 'a/b+' }, 'topic'],
      [{ topic: 'a/#', topc: 'x' }, 'topc'],
      [{ topic: 'a/#', mains_channels: [0], production_channel: 0 }, 'production_channel'],
      [{ topic: 'a/#', mains_channels: [0, 0] }, 'mains_channels'],
      [{ topic: 'a/#', mains_channels: [0, 1, 2, 3] }, 'mains_channels'],
      ['a/#', 'settings'],
    ];
    for (const [raw, setting] of cases) {
      const out = shellyGen2.validate(raw);
      expect(out.ok).toBe(false);
      if (out.ok) continue;
      expect(out.error.code).toBe('SOURCE_SETTING_INVALID');
      expect(out.error.setting).toBe(setting);
    }
    expect(value(shellyGen2.validate({ topic: 'x/status/em:0' }))).toEqual({
      topic: 'x/status/em:0',
      mains_channels: [0],
    });
  });
});

describe('shelly-rpc', () => {
  it('polls EM.GetStatus by default and reads the documentation example', () => {
    const config = value(validateSource('shelly-rpc', { url: 'http://192.168.1.50/' }));
    expect(sourceRequestUrl(config)).toBe('http://192.168.1.50/rpc/EM.GetStatus?id=0');
    const s = value(shellyRpc.validate({ url: 'http://192.168.1.50' }));
    expect(s).toEqual({
      url: 'http://192.168.1.50',
      interval_s: 10,
      method: 'EM.GetStatus',
      id: 0,
      mains_channels: [0],
    });
    expect(
      value(shellyRpc.parseResponse(s, payload('shelly-rpc/em-getstatus-doc-example.txt'))),
    ).toEqual({ netW: 2484.782 });
  });

  it('unwraps a JSON-RPC envelope and reports an RPC error as unparseable', () => {
    const s = value(shellyRpc.validate({ url: 'http://shelly.local' }));
    const wrapped = `{"id":1,"src":"shellypro3em-0","result":${payload('shelly-gen2/pro3em-status-em0.txt')}}`;
    expect(value(shellyRpc.parseResponse(s, wrapped))).toEqual({
      netW: 392.572,
      phasesW: [-60.2, 72.8, 379.9],
    });
    const err = shellyRpc.parseResponse(
      s,
      '{"id":1,"error":{"code":-105,"message":"Argument \'id\', value 5 not found!"}}',
    );
    expect(err.ok || err.error.message).toBe(
      "the device answered error -105: Argument 'id', value 5 not found!",
    );
  });

  it('reads the EM1.GetStatus documentation example', () => {
    const s = value(
      shellyRpc.validate({
        url: 'http://shelly.local',
        method: 'EM1.GetStatus',
        mains_channels: [0],
      }),
    );
    expect(shellyRpc.requestPath(s)).toBe('/rpc/EM1.GetStatus?id=0');
    expect(
      value(shellyRpc.parseResponse(s, payload('shelly-rpc/em1-getstatus-doc-example.txt'))),
    ).toEqual({ netW: 1327.6 });
  });

  it("reads a Pro EM-50's Shelly.GetStatus: channel 0 mains, channel 1 production", () => {
    const body = payload('shelly-rpc/proem50-getstatus-em1-channels.txt');
    const solar = value(
      shellyRpc.validate({ url: 'http://e', method: 'Shelly.GetStatus', production_channel: 1 }),
    );
    expect(value(shellyRpc.parseResponse(solar, body))).toEqual({ netW: 0, productionW: 501.8 });
    const mains1 = value(
      shellyRpc.validate({ url: 'http://e', method: 'Shelly.GetStatus', mains_channels: [1] }),
    );
    expect(value(shellyRpc.parseResponse(mains1, body))).toEqual({ netW: 501.8 });
  });

  it('validates url, interval_s and method, naming the setting', () => {
    const cases: Array<[unknown, string]> = [
      [{}, 'url'],
      [{ url: 'ftp://shelly.local' }, 'url'],
      [{ url: 'not a url' }, 'url'],
      [{ url: 'http://s', interval_s: 0 }, 'interval_s'],
      [{ url: 'http://s', interval_s: 301 }, 'interval_s'],
      [{ url: 'http://s', interval_s: 1.5 }, 'interval_s'],
      [{ url: 'http://s', method: 'Switch.GetStatus' }, 'method'],
      [{ url: 'http://s', method: 'EM1.GetStatus', production_channel: 1 }, 'method'],
    ];
    for (const [raw, setting] of cases) {
      const out = shellyRpc.validate(raw);
      expect(out.ok ? 'ok' : out.error.setting).toBe(setting);
    }
  });
});

describe('shelly-gen1', () => {
  const topic = 'shellies/shellyem3-483FDAC37E3F/emeter/+/power';

  it('assembles a 3EM capture: channels 0..2 are L1..L3, net is their sum, L1 exporting', () => {
    const s = value(shellyGen1.validate({ topic, mains_channels: [0, 1, 2] }));
    const a = new ReadingAssembler();
    let routed = 0;
    for (const m of capture('shelly-gen1/3em-capture.txt')) {
      if (!shellyGen1.matchTopic(s, m.topic)) continue; // pf, current, voltage, total: not subscribed
      routed++;
      a.add(value(shellyGen1.parseMessage(s, m.topic, m.payload)), 100);
    }
    expect(routed).toBe(3);
    expect(value(a.read(200)!)).toEqual({ netW: 343.96, phasesW: [-8.4, 340.31, 12.05] });
  });

  it('reads a Shelly EM: channel 0 the mains, channel 1 the solar clamp', () => {
    const s = value(
      shellyGen1.validate({ topic: 'shellies/shellyem-A1/emeter/+/power', production_channel: 1 }),
    );
    expect(shellyGen1.matchTopic(s, 'shellies/shellyem-A1/emeter/1/power')).toEqual({
      part: 'channel 1 production',
      power: true,
      quantity: 'production',
    });
    const msg = value(shellyGen1.parseMessage(s, 'shellies/shellyem-A1/emeter/0/power', '-8.40'));
    expect(value(toReading(msg))).toEqual({ netW: -8.4 });
  });

  it('knows the non-power topics under a wider filter and refuses a non-number', () => {
    const s = value(
      shellyGen1.validate({
        topic: 'shellies/shellyem3-483FDAC37E3F/#',
        mains_channels: [0, 1, 2],
      }),
    );
    expect(shellyGen1.matchTopic(s, 'shellies/shellyem3-483FDAC37E3F/emeter/0/voltage')).toEqual({
      part: 'voltage',
      power: false,
    });
    expect(shellyGen1.matchTopic(s, 'shellies/shellyem3-483FDAC37E3F/emeter/2/power')).toEqual({
      part: 'channel 2 L3',
      power: true,
      quantity: 'net',
      phase: 3,
    });
    const bad = shellyGen1.parseMessage(s, 'shellies/shellyem3-483FDAC37E3F/emeter/0/power', 'on');
    expect(bad.ok || bad.error.message).toBe("the payload 'on' is not a plain number");
  });
});
