/**
 * Whether the app is offline and how old the data it shows is: from the browser's online and
 * offline events and from the service worker's word on each API answer (fresh from the server,
 * or kept from an earlier visit, with when). Also registers the worker, and forgets the kept
 * answers when a session ends, so the next person on this device never sees them.
 */
import { useSyncExternalStore } from 'react';
import type { SwMessage } from '../sw/sw.handlers.js';

/** The cache names of kept API answers start with this (sw.handlers.ts's DATA_CACHE_PREFIX). */
export const DATA_CACHE_PREFIX = 'nilm-data-';

export interface OfflineState {
  /** What the browser says (`navigator.onLine`); false means surely offline. */
  online: boolean;
  /**
   * When the oldest answer shown since the server was last reached was kept (epoch ms), or
   * null while every answer is fresh: set when the worker answers from its cache.
   */
  cachedAt: number | null;
  /** When the server last answered (epoch ms), or null if not in this visit. */
  lastFreshAt: number | null;
}

export interface OfflineStatus {
  subscribe: (onChange: () => void) => () => void;
  getSnapshot: () => OfflineState;
}

/** What the status listens to: the window (online/offline) and the service worker container. */
export interface OfflineSources {
  isOnline: () => boolean;
  window: Pick<EventTarget, 'addEventListener'>;
  serviceWorker?: Pick<EventTarget, 'addEventListener'>;
}

function isSwMessage(v: unknown): v is SwMessage {
  const t = (v as { type?: unknown } | null)?.type;
  return t === 'nilm-sw:fresh' || t === 'nilm-sw:cached';
}

/** A store of the offline state, listening from now on (it never stops: one per page). */
export function createOfflineStatus(src: OfflineSources): OfflineStatus {
  let state: OfflineState = { online: src.isOnline(), cachedAt: null, lastFreshAt: null };
  const listeners = new Set<() => void>();
  const set = (next: OfflineState) => {
    state = next;
    for (const l of listeners) l();
  };
  src.window.addEventListener('online', () => set({ ...state, online: true }));
  src.window.addEventListener('offline', () => set({ ...state, online: false }));
  src.serviceWorker?.addEventListener('message', (e) => {
    const m = (e as MessageEvent).data as unknown;
    if (!isSwMessage(m)) return;
    if (m.type === 'nilm-sw:fresh') set({ ...state, cachedAt: null, lastFreshAt: m.at });
    else if (state.cachedAt === null || m.cachedAt < state.cachedAt) {
      set({ ...state, cachedAt: m.cachedAt });
    }
  });
  return {
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    getSnapshot: () => state,
  };
}

let shared: OfflineStatus | undefined;

/** This page's offline status (created on first use, listening from then on). */
export function pageOfflineStatus(): OfflineStatus {
  shared ??= createOfflineStatus({
    isOnline: () => navigator.onLine,
    window,
    serviceWorker: 'serviceWorker' in navigator ? navigator.serviceWorker : undefined,
  });
  return shared;
}

/** The offline state of `status` (the page's unless given), re-rendering on change. */
export function useOfflineStatus(status: OfflineStatus = pageOfflineStatus()): OfflineState {
  return useSyncExternalStore(status.subscribe, status.getSnapshot);
}

/**
 * Start listening, and register the service worker (built apps only: the dev server has none).
 * Registration failing (a browser that refuses workers, private mode) leaves an online-only app.
 */
export function startOfflineSupport(): void {
  pageOfflineStatus();
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((e: unknown) => {
    console.warn('service worker not registered; the app works online only', e);
  });
}

/** Delete the kept API answers (on sign-out). */
export async function forgetOfflineData(storage: CacheStorage | undefined = globalThis.caches) {
  if (!storage) return;
  for (const name of await storage.keys())
    if (name.startsWith(DATA_CACHE_PREFIX)) await storage.delete(name);
}
