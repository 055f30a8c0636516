// Proves the live hub's rules with fakes (no HTTP, no stores): a stream whose right cannot be
// checked (the metadata store fails) keeps streaming for the grace period and then ends with
// access_unverifiable; a client that does not read is cut off past the buffer limit; an admin is
// not ended by a member removal; and every stream of a building shares one feed.
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { LatestReadings } from './latest.readings.js';
import { LiveHub, type LiveHubOptions } from './live.hub.js';

/** A ServerResponse stand-in that records what was written. */
class FakeRes extends EventEmitter {
  text = '';
  destroyed = false;
  writable = true;
  writableLength = 0;
  /** Bytes left unread per write (a client that does not read). */
  constructor(private readonly unread = 0) {
    super();
  }
  write(s: string): boolean {
    this.text += s;
    this.writableLength += this.unread ? s.length : 0;
    return true;
  }
  end(s?: string): void {
    if (s) this.text += s;
    this.writable = false;
    this.emit('close');
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
}

const until = async (what: () => boolean, ms = 3000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!what() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  if (!what()) throw new Error('condition not met in time');
};

function hub(over: Partial<LiveHubOptions> & { clock?: { t: number } } = {}) {
  const clock = over.clock ?? { t: Date.UTC(2026, 0, 1) };
  let storeDown = false;
  let reads = 0;
  const opts: LiveHubOptions = {
    timeseries: {
      latestReadingTs: async () => clock.t - 60_000,
      latestEstimateTs: async () => null,
      readReadings: async (_id, from) => {
        reads += 1;
        return from <= clock.t - 60_000 ? [{ ts: clock.t - 60_000, powerW: 500 }] : [];
      },
      readEstimates: async () => [],
    },
    metadata: {
      getBuilding: async (id) => {
        if (storeDown) throw new Error('connect ECONNREFUSED 10.0.0.5:5432');
        return { id, name: id, timezone: 'UTC', isDemo: false, modelRef: null, createdAt: 0 };
      },
      getMemberRole: async () => 'viewer',
      getAppliancesPresent: async () => null,
    },
    pollMs: 20,
    recheckMs: 20,
    maxPerUser: 10,
    maxTotal: 100,
    now: () => clock.t,
    ...over,
  };
  return {
    h: new LiveHub(opts),
    clock,
    setStoreDown: (v: boolean) => (storeDown = v),
    reads: () => reads,
  };
}

const viewer = (userId: string, role: 'admin' | 'user' = 'user') => ({
  userId,
  role,
  expiresAt: Date.UTC(2027, 0, 1),
});
const asRes = (r: FakeRes) => r as unknown as ServerResponse;

describe('LiveHub', () => {
  it('keeps streaming while the store cannot confirm access, then ends after the grace period', async () => {
    const { h, clock, setStoreDown } = hub();
    const res = new FakeRes();
    h.open('b', viewer('u'), asRes(res));
    await until(() => res.text.includes('"power_w":500'));
    setStoreDown(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(res.writable).toBe(true);
    clock.t += 31_000;
    await until(() => !res.writable);
    expect(res.text).toMatch(/event: end\ndata: \{"reason":"access_unverifiable"/);
    expect(res.text).not.toContain('10.0.0.5');
    expect(h.stats()).toEqual({ streams: 0, feeds: 0, users: 0 });
  });

  it('cuts off a client that does not read, past the buffer limit', async () => {
    const { h } = hub({ maxBufferedBytes: 200 });
    const slow = new FakeRes(1);
    h.open('b', viewer('u'), asRes(slow));
    await until(() => slow.destroyed);
    expect(h.stats().streams).toBe(0);
  });

  it("ends a removed member's streams but not an admin's, and serves a building from one feed", async () => {
    const { h, reads } = hub({ pollMs: 50, maxPerUser: 100 });
    const streams = Array.from({ length: 20 }, () => new FakeRes());
    streams.forEach((r, i) =>
      h.open('b', viewer(i === 0 ? 'root' : 'u', i === 0 ? 'admin' : 'user'), asRes(r)),
    );
    expect(h.stats()).toEqual({ streams: 20, feeds: 1, users: 2 });
    await new Promise((r) => setTimeout(r, 260));
    // About one read per poll (every 50 ms), not one per stream.
    expect(reads()).toBeLessThanOrEqual(8);
    h.revoke('b', 'root');
    h.revoke('b', 'u');
    expect(streams[0]!.writable).toBe(true);
    expect(streams.slice(1).every((r) => /"reason":"access_revoked"/.test(r.text))).toBe(true);
    h.close();
    expect(streams[0]!.text).toMatch(/"reason":"server_shutdown"/);
    expect(h.stats()).toEqual({ streams: 0, feeds: 0, users: 0 });
    expect(() => h.admit(viewer('u'))).toThrow(/shutting down/);
  });

  it('shows the reading this process stored at once, before the store answers, and only once', async () => {
    const clock = { t: Date.UTC(2026, 0, 1) };
    const latest = new LatestReadings();
    latest.note('b', [
      { ts: clock.t - 120_000, powerW: 400 },
      { ts: clock.t - 60_000, powerW: 500 },
    ]);
    // A store that has not answered yet (busy behind other reads); its newest is the same reading.
    let answer: (ts: number) => void = () => undefined;
    const blocked = new Promise<number>((r) => (answer = r));
    const { h } = hub({
      clock,
      latest,
      timeseries: {
        latestReadingTs: () => blocked,
        latestEstimateTs: async () => null,
        readReadings: async (_id, from) =>
          from <= clock.t - 60_000 ? [{ ts: clock.t - 60_000, powerW: 500 }] : [],
        readEstimates: async () => [],
      },
    });
    const res = new FakeRes();
    h.open('b', viewer('u'), asRes(res));
    expect(res.text).toContain('"power_w":500');
    answer(clock.t - 60_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(res.text.match(/"power_w":500/g)).toHaveLength(1);
    // A deleted building is forgotten.
    h.revoke('b');
    expect(latest.get('b')).toBeUndefined();
    h.close();
  });
});

describe('LatestReadings', () => {
  it('keeps the newest reading per building, ignores an older batch, and drops the least recently written past its size', () => {
    const l = new LatestReadings(2);
    l.note('a', [
      { ts: 2, powerW: 20 },
      { ts: 1, powerW: 10 },
    ]);
    l.note('a', [{ ts: 1, powerW: 11 }]);
    expect(l.get('a')).toEqual({ ts: 2, powerW: 20 });
    l.note('b', [{ ts: 5, powerW: 50 }]);
    l.note('a', [{ ts: 3, powerW: 30 }]);
    l.note('c', [{ ts: 9, powerW: 90 }]);
    expect(l.get('b')).toBeUndefined();
    expect(l.get('a')).toEqual({ ts: 3, powerW: 30 });
    l.note('c', []);
    expect(l.get('c')).toEqual({ ts: 9, powerW: 90 });
  });
});
