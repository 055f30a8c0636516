// @vitest-environment node
// Proves the service worker's rules on fake caches, clients and network: the shell is precached
// under the build's name and old builds' caches go; API data is network-first, kept with when it
// was kept, and served from the cache (the page told so) when the network fails, also for a later
// time window of the same query; sign-in, device tokens, push, CSV, the live stream and writes
// are never kept nor answered; an alert push becomes a notification that opens the building's
// Alerts.
import { describe, expect, it } from 'vitest';
import { DATA_CACHE_PREFIX as PAGE_DATA_PREFIX } from '../lib/offline.status.js';
import {
  CACHED_AT_HEADER,
  DATA_CACHE_PREFIX,
  isKeptData,
  serviceWorker,
  type NotificationShown,
  type SwCache,
  type SwCacheStorage,
  type SwMessage,
  type SwWindow,
} from './sw.handlers.js';

const ORIGIN = 'http://nilm.test';

class FakeCache implements SwCache {
  readonly entries = new Map<string, Response>();
  async match(request: string) {
    return this.entries.get(new URL(request, ORIGIN).href)?.clone();
  }
  async put(request: string, response: Response) {
    this.entries.set(new URL(request, ORIGIN).href, response.clone());
  }
  async addAll(requests: string[]) {
    for (const r of requests) this.entries.set(new URL(r, ORIGIN).href, new Response(`file ${r}`));
  }
  async keys() {
    return [...this.entries.keys()].map((url) => ({ url }));
  }
  async delete(request: string) {
    return this.entries.delete(new URL(request, ORIGIN).href);
  }
}

class FakeCaches implements SwCacheStorage {
  readonly all = new Map<string, FakeCache>();
  async open(name: string) {
    if (!this.all.has(name)) this.all.set(name, new FakeCache());
    return this.all.get(name)!;
  }
  async keys() {
    return [...this.all.keys()];
  }
  async delete(name: string) {
    return this.all.delete(name);
  }
}

function setup(opts: { windows?: SwWindow[] } = {}) {
  const caches = new FakeCaches();
  const messages: Array<{ client: string; message: SwMessage }> = [];
  const notifications: Array<{ title: string; options: NotificationShown }> = [];
  const opened: string[] = [];
  const net = {
    down: false,
    calls: [] as string[],
    answer: (url: string): Response =>
      new Response(JSON.stringify({ url }), { headers: { 'content-type': 'application/json' } }),
  };
  let clock = Date.UTC(2026, 11, 5, 7, 0);
  const sw = serviceWorker({
    origin: ORIGIN,
    caches,
    clients: {
      get: async (id) => ({ postMessage: (message) => messages.push({ client: id, message }) }),
      matchAll: async () => opts.windows ?? [],
      openWindow: async (url) => void opened.push(url),
      claim: async () => undefined,
    },
    fetch: async (request) => {
      net.calls.push(request.url);
      if (net.down) throw new TypeError('Failed to fetch');
      return net.answer(request.url);
    },
    showNotification: async (title, options) => void notifications.push({ title, options }),
    version: 'v2',
    precache: ['/index.html', '/assets/index-abc.js', '/manifest.webmanifest'],
    now: () => clock,
  });
  const pending: Array<Promise<unknown>> = [];
  const get = async (path: string, init: RequestInit & { mode?: RequestMode } = {}) => {
    const { mode, ...rest } = init;
    const request = new Request(`${ORIGIN}${path}`, rest);
    // Node's Request cannot be made with mode "navigate"; the worker reads only the property.
    if (mode === 'navigate') Object.defineProperty(request, 'mode', { value: 'navigate' });
    const answer = sw.fetch(request, 'page-1', (p) => pending.push(p));
    const res = answer ? await answer : undefined;
    await Promise.all(pending.splice(0));
    return res;
  };
  return {
    sw,
    caches,
    net,
    messages,
    notifications,
    opened,
    get,
    tick: (ms: number) => (clock += ms),
    now: () => clock,
  };
}

describe('install and activate', () => {
  it("precaches the shell under this build's name and deletes other builds' caches", async () => {
    const t = setup();
    await (await t.caches.open('nilm-shell-v1')).put('/index.html', new Response('old'));
    await t.caches.open(`${DATA_CACHE_PREFIX}v1`);
    await t.caches.open('someone-else');
    await t.sw.install();
    await t.sw.activate();
    expect([...t.caches.all.keys()].sort()).toEqual(['nilm-shell-v2', 'someone-else']);
    expect([...t.caches.all.get('nilm-shell-v2')!.entries.keys()]).toEqual([
      `${ORIGIN}/index.html`,
      `${ORIGIN}/assets/index-abc.js`,
      `${ORIGIN}/manifest.webmanifest`,
    ]);
  });

  it('names its data caches as the page expects when it forgets them on sign-out', () => {
    expect(DATA_CACHE_PREFIX).toBe(PAGE_DATA_PREFIX);
  });
});

describe('the app shell', () => {
  it('loads pages from the network, and from the precached index.html when it is down', async () => {
    const t = setup();
    await t.sw.install();
    const online = await t.get('/b/home/alerts', { mode: 'navigate' });
    expect(await online!.json()).toEqual({ url: `${ORIGIN}/b/home/alerts` });
    t.net.down = true;
    const offline = await t.get('/b/home/alerts', { mode: 'navigate' });
    expect(await offline!.text()).toBe('file /index.html');
  });

  it('serves built files from the precache without the network', async () => {
    const t = setup();
    await t.sw.install();
    expect(await (await t.get('/assets/index-abc.js'))!.text()).toBe('file /assets/index-abc.js');
    expect(t.net.calls).toEqual([]);
  });

  it("never answers a page load of the server's own paths with the shell", async () => {
    const t = setup();
    expect(await t.get('/docs', { mode: 'navigate' })).toBeUndefined();
  });
});

describe('API data', () => {
  const readings = '/api/v1/buildings/home/readings?start=-24h&resolution=1m';

  it('answers from the network and keeps the answer with when it was kept', async () => {
    const t = setup();
    const res = await t.get(readings);
    expect(await res!.json()).toEqual({ url: `${ORIGIN}${readings}` });
    const kept = t.caches.all.get(`${DATA_CACHE_PREFIX}v2`)!.entries.get(`${ORIGIN}${readings}`)!;
    expect(kept.headers.get(CACHED_AT_HEADER)).toBe(String(t.now()));
    expect(t.messages).toEqual([
      { client: 'page-1', message: { type: 'nilm-sw:fresh', at: t.now() } },
    ]);
  });

  it('serves the kept answer when the network fails and tells the page how old it is', async () => {
    const t = setup();
    await t.get(readings);
    const keptAt = t.now();
    t.tick(3_600_000);
    t.net.down = true;
    const res = await t.get(readings);
    expect(await res!.json()).toEqual({ url: `${ORIGIN}${readings}` });
    expect(t.messages.at(-1)).toEqual({
      client: 'page-1',
      message: { type: 'nilm-sw:cached', cachedAt: keptAt },
    });
  });

  it("serves yesterday's answer for today's window of the same query, and keeps one per query", async () => {
    const t = setup();
    const day = (d: string) => `/api/v1/buildings/home/energy?start=${d}&period=day`;
    await t.get(day('2026-12-04T00:00:00.000Z'));
    await t.get(day('2026-12-05T00:00:00.000Z'));
    await t.get('/api/v1/buildings/home/energy?start=2026-12-01&period=week');
    expect([...t.caches.all.get(`${DATA_CACHE_PREFIX}v2`)!.entries.keys()]).toEqual([
      `${ORIGIN}${day('2026-12-05T00:00:00.000Z')}`,
      `${ORIGIN}/api/v1/buildings/home/energy?start=2026-12-01&period=week`,
    ]);
    t.net.down = true;
    const res = await t.get(day('2026-12-06T00:00:00.000Z'));
    expect(await res!.json()).toEqual({ url: `${ORIGIN}${day('2026-12-05T00:00:00.000Z')}` });
  });

  it('fails as the network failed when nothing was kept', async () => {
    const t = setup();
    t.net.down = true;
    await expect(t.get(readings)).rejects.toThrow('Failed to fetch');
  });

  it('keeps neither errors nor answers that are not JSON', async () => {
    const t = setup();
    t.net.answer = () => new Response('{}', { status: 401 });
    await t.get('/api/v1/buildings');
    t.net.answer = () => new Response('a,b', { headers: { 'content-type': 'text/plain' } });
    await t.get('/api/v1/buildings/home');
    expect(t.caches.all.get(`${DATA_CACHE_PREFIX}v2`)?.entries.size ?? 0).toBe(0);
  });

  it('leaves sign-in, device tokens, push, CSV, the live stream and writes to the browser', async () => {
    const t = setup();
    for (const path of [
      '/api/v1/auth/me',
      '/api/v1/auth/config',
      '/api/v1/buildings/home/tokens',
      '/api/v1/push/vapid-public-key',
      '/api/v1/admin/users',
      '/api/v1/buildings/home/readings.csv?start=-1d',
    ])
      expect(await t.get(path), path).toBeUndefined();
    expect(
      await t.get('/api/v1/buildings/home/live', { headers: { accept: 'text/event-stream' } }),
    ).toBeUndefined();
    expect(
      await t.get('/api/v1/buildings/home/tariff', { method: 'PUT', body: '{}' }),
    ).toBeUndefined();
    expect(await t.get('/api/v1/buildings', { headers: { range: 'bytes=0-1' } })).toBeUndefined();
    expect(t.net.calls).toEqual([]);
    expect(t.caches.all.size).toBe(0);
  });

  it('says which paths are data to keep', () => {
    const kept = (p: string, accept: string | null = null) =>
      isKeptData(new URL(p, ORIGIN), accept);
    expect(kept('/api/v1/buildings/home/energy?start=-7d')).toBe(true);
    expect(kept('/api/v1/models')).toBe(true);
    expect(kept('/api/v1/authors')).toBe(true);
    expect(kept('/api/v1/auth/login')).toBe(false);
    expect(kept('/api/v1/buildings/home/tokens/t1')).toBe(false);
    expect(kept('/api/v1/buildings/home/readings', 'text/event-stream')).toBe(false);
  });
});

describe('push notifications', () => {
  it("shows an alert's title and message, tagged by its id, linking to the building's Alerts", async () => {
    const t = setup();
    await t.sw.push(
      JSON.stringify({
        id: 'a1',
        building_id: 'my home',
        kind: 'meter_silent',
        title: 'Meter silent',
        message: 'No reading for 20 minutes',
      }),
    );
    expect(t.notifications).toEqual([
      {
        title: 'Meter silent',
        options: {
          body: 'No reading for 20 minutes',
          tag: 'a1',
          icon: '/icons/icon-192.png',
          badge: '/icons/icon-192.png',
          data: { url: '/b/my%20home/alerts' },
        },
      },
    ]);
  });

  it('shows a push that is not an alert as plain text', async () => {
    const t = setup();
    await t.sw.push('hello');
    expect(t.notifications[0]).toMatchObject({
      title: 'NILM Monitor',
      options: { body: 'hello', data: { url: '/' } },
    });
  });

  it('focuses an open window of the app on the alert page, or opens one', async () => {
    const focused: string[] = [];
    const navigated: string[] = [];
    const win: SwWindow = {
      url: `${ORIGIN}/b/home`,
      focus: async () => void focused.push(win.url),
      navigate: async (url) => void navigated.push(url),
    };
    const other: SwWindow = { url: 'http://elsewhere.test/', focus: async () => undefined };
    const withWindow = setup({ windows: [other, win] });
    await withWindow.sw.notificationClick({ url: '/b/home/alerts' });
    expect(focused).toEqual([`${ORIGIN}/b/home`]);
    expect(navigated).toEqual([`${ORIGIN}/b/home/alerts`]);
    expect(withWindow.opened).toEqual([]);

    const none = setup();
    await none.sw.notificationClick({ url: '/b/home/alerts' });
    expect(none.opened).toEqual([`${ORIGIN}/b/home/alerts`]);
  });
});
