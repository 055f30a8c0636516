// Proves the home-assistant type: its settings (an http(s) base URL, a sensor entity id, a
// token; a bad one named), the WebSocket address it connects to, and each state Home Assistant
// sends (W or kW, import-positive or not; unavailable and non-power sensors refused with a reason).
import { describe, expect, it } from 'vitest';
import {
  homeAssistantReading,
  homeAssistantSocketUrl,
  validateHomeAssistant,
} from './home-assistant.source.js';

const ok = { url: 'http://homeassistant.local:8123', entity_id: 'sensor.grid_power', token: 't' };

describe('home-assistant', () => {
  it('validates its settings, naming a bad one', () => {
    const v = validateHomeAssistant(ok);
    expect(v).toEqual({ ok: true, value: { ...ok, sign: 'import-positive' } });
    for (const [bad, setting] of [
      [{ ...ok, url: 'ftp://x' }, 'url'],
      [{ ...ok, entity_id: 'Grid Power' }, 'entity_id'],
      [{ ...ok, token: '' }, 'token'],
      [{ ...ok, colour: 'red' }, 'colour'],
    ] as const) {
      const r = validateHomeAssistant(bad);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.details.setting).toBe(setting);
    }
  });

  it('connects to the WebSocket API under the base URL', () => {
    expect(homeAssistantSocketUrl({ ...ok, sign: 'import-positive' })).toBe(
      'ws://homeassistant.local:8123/api/websocket',
    );
    expect(
      homeAssistantSocketUrl({
        ...ok,
        url: 'https://ha.example.org/base/',
        sign: 'import-positive',
      }),
    ).toBe('wss://ha.example.org/base/api/websocket');
  });

  it('reads states in W or kW with the sign convention, and refuses what is not power', () => {
    const s = { ...ok, sign: 'import-positive' as const };
    expect(homeAssistantReading(s, '1.25', 'kW')).toEqual({ ok: true, value: { netW: 1250 } });
    expect(homeAssistantReading(s, '-430', 'W')).toEqual({ ok: true, value: { netW: -430 } });
    expect(homeAssistantReading({ ...s, sign: 'export-positive' }, '430', undefined)).toEqual({
      ok: true,
      value: { netW: -430 },
    });
    const unavailable = homeAssistantReading(s, 'unavailable', 'W');
    expect(unavailable.ok || unavailable.error.message).toMatch(/unavailable/);
    const energy = homeAssistantReading(s, '12.5', 'kWh');
    expect(energy.ok || energy.error.message).toMatch(/W or kW/);
  });
});
