/**
 * Alerts as notifications on this device (Web Push): ask permission, subscribe through the
 * service worker's PushManager with the server's application server key, and tell the server
 * where to send (or to stop sending). The browser's APIs come in as {@link PushBrowser}, so
 * tests use fakes; {@link browserPush} is the real one.
 */
import type { PushSubscriptionBody } from '@nilm/contracts';
import { i18n } from '../i18n/i18n.setup.js';

/** This device: no Web Push here, notifications blocked, not subscribed, or subscribed. */
export type PushState = 'unsupported' | 'denied' | 'off' | 'on';

export interface DevicePushSubscription {
  endpoint: string;
  toJSON(): unknown;
  unsubscribe(): Promise<boolean>;
}

/** The browser's side: Notification permission and the service worker's PushManager. */
export interface PushBrowser {
  permission(): 'default' | 'granted' | 'denied';
  requestPermission(): Promise<'default' | 'granted' | 'denied'>;
  /** The PushManager of this page's service worker, or undefined when none runs it. */
  pushManager(): Promise<DevicePushManager | undefined>;
}

export interface DevicePushManager {
  getSubscription(): Promise<DevicePushSubscription | null>;
  subscribe(options: {
    userVisibleOnly: true;
    applicationServerKey: Uint8Array<ArrayBuffer>;
  }): Promise<DevicePushSubscription>;
}

/** How long a first visit waits for the service worker to start before calling push unsupported. */
const WORKER_WAIT_MS = 10_000;

/** The server's side (the API client's methods). */
export interface PushServer {
  vapidPublicKey(): Promise<{ public_key: string }>;
  subscribePush(subscription: PushSubscriptionBody): Promise<void>;
  unsubscribePush(endpoint: string): Promise<void>;
}

/** Thrown when the person (or the browser) refused notifications. */
export class NotificationsRefused extends Error {
  constructor() {
    super(
      "Notifications are blocked for this site. Allow them in the browser's site settings, then try again.",
    );
    this.name = 'NotificationsRefused';
  }
}

/** The browser's Web Push, or undefined where it has none (or no service worker runs the app). */
export function browserPush(): PushBrowser | undefined {
  if (
    typeof window === 'undefined' ||
    !('serviceWorker' in navigator) ||
    !('PushManager' in window) ||
    !('Notification' in window)
  )
    return undefined;
  return {
    permission: () => Notification.permission,
    requestPermission: () => Notification.requestPermission(),
    // A first visit registers the worker as the page starts: wait for it a while. Where none
    // comes (the dev server, a refused registration), `ready` would never settle.
    pushManager: async () =>
      (
        (await navigator.serviceWorker.getRegistration()) ??
        (await Promise.race([
          navigator.serviceWorker.ready,
          new Promise<undefined>((done) => setTimeout(done, WORKER_WAIT_MS, undefined)),
        ]))
      )?.pushManager,
  };
}

/** A base64url string (the VAPID public key) as bytes. */
export function base64UrlBytes(s: string): Uint8Array<ArrayBuffer> {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Where this device stands. */
export async function pushState(browser: PushBrowser | undefined): Promise<PushState> {
  if (!browser) return 'unsupported';
  if (browser.permission() === 'denied') return 'denied';
  const manager = await browser.pushManager();
  if (!manager) return 'unsupported';
  return (await manager.getSubscription()) ? 'on' : 'off';
}

/**
 * Ask for permission, subscribe with the server's key and register the subscription there.
 * Throws NotificationsRefused when permission is not granted; a subscription the server refuses
 * is dropped again, so the device never stays half subscribed.
 */
export async function subscribeDevice(browser: PushBrowser, server: PushServer): Promise<void> {
  if ((await browser.requestPermission()) !== 'granted') throw new NotificationsRefused();
  const manager = await browser.pushManager();
  if (!manager) throw new Error(i18n.t('push.noWorker'));
  const { public_key } = await server.vapidPublicKey();
  const subscription =
    (await manager.getSubscription()) ??
    (await manager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: base64UrlBytes(public_key),
    }));
  try {
    await server.subscribePush(subscription.toJSON() as PushSubscriptionBody);
  } catch (e) {
    await subscription.unsubscribe();
    throw e;
  }
}

/** Stop alerts to this device: the server forgets the subscription, then the browser drops it. */
export async function unsubscribeDevice(browser: PushBrowser, server: PushServer): Promise<void> {
  const subscription = await (await browser.pushManager())?.getSubscription();
  if (!subscription) return;
  try {
    await server.unsubscribePush(subscription.endpoint);
  } catch (e) {
    // The server had already forgotten it: dropping it here is all that is left.
    if ((e as { status?: unknown }).status !== 404) throw e;
  }
  await subscription.unsubscribe();
}
