/**
 * The service worker, built to /sw.js by vite.config.ts's `serviceWorker` plugin, which writes
 * the build's file list and id over the two placeholders below. It only wires the worker's
 * events to sw.handlers.ts; it imports nothing at run time, so the build is one classic script.
 * A new build takes over at once (skipWaiting + claim): its files replace the old ones on the
 * server anyway, so an old page could not load them from there either.
 */
import { serviceWorker, type NotificationShown, type SwClients } from './sw.handlers.js';

declare const __NILM_PRECACHE__: string[];
declare const __NILM_VERSION__: string;

interface ExtendableEvent extends Event {
  waitUntil(p: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  request: Request;
  clientId: string;
  respondWith(r: Promise<Response>): void;
}
interface PushEvent extends ExtendableEvent {
  data: { text(): string } | null;
}
interface NotificationEvent extends ExtendableEvent {
  notification: { data: unknown; close(): void };
}
interface WorkerScope {
  location: Location;
  caches: CacheStorage;
  clients: SwClients;
  registration: {
    showNotification(title: string, options: NotificationShown): Promise<void>;
  };
  skipWaiting(): Promise<void>;
  fetch: typeof fetch;
  addEventListener(type: 'install' | 'activate', fn: (e: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', fn: (e: FetchEvent) => void): void;
  addEventListener(type: 'push', fn: (e: PushEvent) => void): void;
  addEventListener(type: 'notificationclick', fn: (e: NotificationEvent) => void): void;
}

const sw = self as unknown as WorkerScope;
const handlers = serviceWorker({
  origin: sw.location.origin,
  caches: sw.caches as unknown as Parameters<typeof serviceWorker>[0]['caches'],
  clients: sw.clients,
  fetch: (r) => sw.fetch(r),
  showNotification: (title, options) => sw.registration.showNotification(title, options),
  version: __NILM_VERSION__,
  precache: __NILM_PRECACHE__,
});

sw.addEventListener('install', (e) => {
  e.waitUntil(handlers.install().then(() => sw.skipWaiting()));
});
sw.addEventListener('activate', (e) => e.waitUntil(handlers.activate()));
sw.addEventListener('fetch', (e) => {
  const answer = handlers.fetch(e.request, e.clientId, (p) => e.waitUntil(p));
  if (answer) e.respondWith(answer);
});
sw.addEventListener('push', (e) => e.waitUntil(handlers.push(e.data?.text() ?? null)));
sw.addEventListener('notificationclick', (e) => {
  e.notification.close();
  e.waitUntil(handlers.notificationClick(e.notification.data));
});
