/**
 * What the service worker does, apart from the worker global it runs in (sw.ts wires these to
 * `self`), so a test drives it with fake caches, clients and network:
 *
 * - install: the app shell (index.html, every built file, the manifest and icons) goes into a
 *   cache named after the build, so the app opens without a network;
 * - activate: caches of other builds are deleted;
 * - fetch: page loads are network-first with the cached shell as the fallback; built files come
 *   from the shell cache; GET requests for API data are network-first, and each JSON answer is
 *   kept (one per endpoint and query, times aside) to be served, marked with when it was kept,
 *   when the network fails. Sign-in, device tokens, push subscriptions, CSV downloads, the live
 *   stream and every non-GET request pass by untouched and are never stored;
 * - the page hears of each data answer ({@link SwMessage}), so it can say it is offline and how
 *   old what it shows is;
 * - push: an alert's payload becomes a notification; clicking it opens the building's Alerts.
 */

/** The header a kept API answer carries: when it was kept (epoch ms). */
export const CACHED_AT_HEADER = 'x-nilm-cached-at';

/** What the worker tells the page that made a data request. */
export type SwMessage =
  { type: 'nilm-sw:fresh'; at: number } | { type: 'nilm-sw:cached'; cachedAt: number };

/** The part of the Cache API used here (window and worker `caches` satisfy it). */
export interface SwCache {
  match(request: string, options?: { ignoreVary?: boolean }): Promise<Response | undefined>;
  put(request: string, response: Response): Promise<void>;
  addAll(requests: string[]): Promise<void>;
  keys(): Promise<ReadonlyArray<{ url: string }>>;
  delete(request: string): Promise<boolean>;
}

export interface SwCacheStorage {
  open(name: string): Promise<SwCache>;
  keys(): Promise<string[]>;
  delete(name: string): Promise<boolean>;
}

export interface SwWindow {
  url: string;
  focus(): Promise<unknown>;
  navigate?(url: string): Promise<unknown>;
}

/** The part of `self.clients` used here. */
export interface SwClients {
  get(id: string): Promise<{ postMessage(message: SwMessage): void } | undefined>;
  matchAll(options: { type: 'window'; includeUncontrolled: boolean }): Promise<readonly SwWindow[]>;
  openWindow(url: string): Promise<unknown>;
  claim(): Promise<void>;
}

export interface NotificationShown {
  body: string;
  tag?: string;
  icon: string;
  badge: string;
  data: { url: string };
}

export interface SwDeps {
  /** The worker's origin (`self.location.origin`). */
  origin: string;
  caches: SwCacheStorage;
  clients: SwClients;
  fetch: (request: Request) => Promise<Response>;
  showNotification: (title: string, options: NotificationShown) => Promise<void>;
  /** This build's id: names its caches. */
  version: string;
  /** Paths of the app shell, index.html first. */
  precache: readonly string[];
  now?: () => number;
}

const SHELL_PREFIX = 'nilm-shell-';
/** Kept API answers; the page deletes every cache with this prefix on sign-out. */
export const DATA_CACHE_PREFIX = 'nilm-data-';
const INDEX = '/index.html';
/** Paths that are the server's, not the app's: a page load of these never gets the shell. */
const SERVER_PATHS = /^\/(api|docs|metrics|live|ready)(\/|$)/;
/** Query parameters that name a time window: a kept answer matches a query that differs only there. */
const TIME_PARAMS = new Set(['start', 'end', 'from', 'to', 'since', 'until']);

/**
 * Whether a GET to `url` is API data the worker may keep: not sign-in (tokens), not device
 * tokens (their list is for managing them, and a new one's secret must never be stored), not
 * push subscriptions, not files (CSV) nor the live stream.
 */
export function isKeptData(url: URL, accept: string | null): boolean {
  const p = url.pathname;
  if (!p.startsWith('/api/v1/')) return false;
  if (/^\/api\/v1\/(auth|push|admin)(\/|$)/.test(p)) return false;
  if (/\/(tokens|live)(\/|$)/.test(p) || /\.csv$/.test(p)) return false;
  return !(accept ?? '').includes('text/event-stream');
}

/** An answer's identity apart from its time window: path and the other parameters, sorted. */
export function looseKey(url: URL): string {
  const rest = [...url.searchParams].filter(([k]) => !TIME_PARAMS.has(k)).sort();
  return `${url.pathname}?${new URLSearchParams(rest).toString()}`;
}

/** The service worker's event handlers over `deps`. */
export function serviceWorker(deps: SwDeps) {
  const now = deps.now ?? Date.now;
  const shellName = `${SHELL_PREFIX}${deps.version}`;
  const dataName = `${DATA_CACHE_PREFIX}${deps.version}`;

  async function tell(clientId: string, message: SwMessage): Promise<void> {
    if (!clientId) return;
    (await deps.clients.get(clientId))?.postMessage(message);
  }

  /** Keep `res` for `url`, replacing what was kept for the same endpoint and query. */
  async function keep(url: URL, res: Response): Promise<void> {
    const cache = await deps.caches.open(dataName);
    const loose = looseKey(url);
    for (const k of await cache.keys())
      if (k.url !== url.href && looseKey(new URL(k.url)) === loose) await cache.delete(k.url);
    const headers = new Headers(res.headers);
    headers.set(CACHED_AT_HEADER, String(now()));
    await cache.put(
      url.href,
      new Response(await res.arrayBuffer(), {
        status: res.status,
        statusText: res.statusText,
        headers,
      }),
    );
  }

  /** The kept answer for `url`, else the one for the same endpoint and query at another time. */
  async function kept(url: URL): Promise<Response | undefined> {
    const cache = await deps.caches.open(dataName);
    const exact = await cache.match(url.href, { ignoreVary: true });
    if (exact) return exact;
    const loose = looseKey(url);
    const other = (await cache.keys()).find((k) => looseKey(new URL(k.url)) === loose);
    return other ? cache.match(other.url, { ignoreVary: true }) : undefined;
  }

  async function data(
    request: Request,
    url: URL,
    clientId: string,
    waitUntil: (p: Promise<unknown>) => void,
  ): Promise<Response> {
    let res: Response | undefined;
    try {
      res = await deps.fetch(request);
    } catch (e) {
      const old = await kept(url);
      if (!old) throw e;
      await tell(clientId, { type: 'nilm-sw:cached', cachedAt: cachedAt(old) ?? now() });
      return old;
    }
    // A proxy in front says the server is down: the kept answer is better than its error page.
    if ([502, 503, 504].includes(res.status)) {
      const old = await kept(url);
      if (old) {
        await tell(clientId, { type: 'nilm-sw:cached', cachedAt: cachedAt(old) ?? now() });
        return old;
      }
    }
    if (res.ok && (res.headers.get('content-type') ?? '').includes('application/json')) {
      waitUntil(keep(url, res.clone()));
      waitUntil(tell(clientId, { type: 'nilm-sw:fresh', at: now() }));
    }
    return res;
  }

  async function page(request: Request): Promise<Response> {
    try {
      return await deps.fetch(request);
    } catch (e) {
      const shell = await (await deps.caches.open(shellName)).match(INDEX);
      if (!shell) throw e;
      return shell;
    }
  }

  async function file(request: Request, url: URL): Promise<Response> {
    const hit = await (await deps.caches.open(shellName)).match(url.pathname);
    return hit ?? deps.fetch(request);
  }

  return {
    install: async (): Promise<void> => {
      await (await deps.caches.open(shellName)).addAll([...deps.precache]);
    },

    activate: async (): Promise<void> => {
      for (const name of await deps.caches.keys())
        if (
          (name.startsWith(SHELL_PREFIX) || name.startsWith(DATA_CACHE_PREFIX)) &&
          name !== shellName &&
          name !== dataName
        )
          await deps.caches.delete(name);
      await deps.clients.claim();
    },

    /**
     * The answer to `request`, or undefined to let the browser fetch it as if there were no
     * worker (another origin, non-GET, sign-in and the other requests never kept).
     */
    fetch: (
      request: Request,
      clientId: string,
      waitUntil: (p: Promise<unknown>) => void,
    ): Promise<Response> | undefined => {
      const url = new URL(request.url);
      if (url.origin !== deps.origin || request.method !== 'GET') return undefined;
      if (request.headers.has('range')) return undefined;
      if (request.mode === 'navigate')
        return SERVER_PATHS.test(url.pathname) ? undefined : page(request);
      if (url.pathname.startsWith('/api/'))
        return isKeptData(url, request.headers.get('accept'))
          ? data(request, url, clientId, waitUntil)
          : undefined;
      if (SERVER_PATHS.test(url.pathname)) return undefined;
      return file(request, url);
    },

    /** An alert (the server's push payload, JSON) as a notification. */
    push: (payload: string | null): Promise<void> => {
      let alert: { title?: unknown; message?: unknown; id?: unknown; building_id?: unknown } = {};
      try {
        alert = payload ? (JSON.parse(payload) as typeof alert) : {};
      } catch {
        alert = { message: payload };
      }
      const building = typeof alert.building_id === 'string' ? alert.building_id : undefined;
      return deps.showNotification(typeof alert.title === 'string' ? alert.title : 'NILM Monitor', {
        body: typeof alert.message === 'string' ? alert.message : '',
        ...(typeof alert.id === 'string' ? { tag: alert.id } : {}),
        icon: '/icons/icon-192.png',
        badge: '/icons/icon-192.png',
        data: { url: building ? `/b/${encodeURIComponent(building)}/alerts` : '/' },
      });
    },

    /** Focus a window of the app on the notification's page, or open one. */
    notificationClick: async (data: unknown): Promise<void> => {
      const path =
        typeof (data as { url?: unknown } | null)?.url === 'string'
          ? (data as { url: string }).url
          : '/';
      const target = new URL(path, deps.origin).href;
      const windows = await deps.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const open = windows.find((w) => new URL(w.url).origin === deps.origin);
      if (!open) {
        await deps.clients.openWindow(target);
        return;
      }
      await open.focus();
      if (open.url !== target) await open.navigate?.(target).catch(() => undefined);
    },
  };
}

function cachedAt(res: Response): number | undefined {
  const v = Number(res.headers.get(CACHED_AT_HEADER));
  return Number.isFinite(v) && v > 0 ? v : undefined;
}
