// Proves "Notify this device" with fake browser APIs and a fake server: it asks permission,
// subscribes with the server's VAPID key (decoded from base64url) and posts the subscription;
// "Stop" deletes it on the server and in the browser; a refused permission, a blocked site and
// a browser without Web Push each say what to do; a subscription the server refuses is dropped.
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { DevicePushSubscription, PushBrowser } from '../lib/push.client.js';
import { apiError, renderWithApi, type Routes } from '../test/api.fixture.js';
import { PushDevice } from './push.device.js';

// 65 bytes (an uncompressed P-256 point): 0x04 then 1..64, as base64url without padding.
const KEY_BYTES = Uint8Array.from([4, ...Array.from({ length: 64 }, (_, i) => i + 1)]);
const KEY = btoa(String.fromCharCode(...KEY_BYTES))
  .replace(/\+/g, '-')
  .replace(/\//g, '_')
  .replace(/=+$/, '');
const JSON_SUB = {
  endpoint: 'https://push.example/send/abc',
  expirationTime: null,
  keys: { p256dh: 'BPublicKeyOfTheBrowser0123456789', auth: 'authSecret123' },
};

function fakeBrowser(opts: {
  permission?: 'default' | 'granted' | 'denied';
  answer?: 'default' | 'granted' | 'denied';
  subscribed?: boolean;
}) {
  const log: string[] = [];
  let permission = opts.permission ?? 'default';
  let current: DevicePushSubscription | null = null;
  const subscription: DevicePushSubscription = {
    endpoint: JSON_SUB.endpoint,
    toJSON: () => JSON_SUB,
    unsubscribe: async () => {
      log.push('unsubscribe');
      current = null;
      return true;
    },
  };
  if (opts.subscribed) current = subscription;
  let key: Uint8Array | undefined;
  const browser: PushBrowser = {
    permission: () => permission,
    requestPermission: async () => {
      log.push('requestPermission');
      permission = opts.answer ?? 'granted';
      return permission;
    },
    pushManager: async () => ({
      getSubscription: async () => current,
      subscribe: async (o) => {
        log.push('subscribe');
        key = o.applicationServerKey;
        current = subscription;
        return subscription;
      },
    }),
  };
  return { browser, log, key: () => key };
}

const server = {
  'GET /api/v1/push/vapid-public-key': { body: { public_key: KEY } },
  'POST /api/v1/push/subscriptions': { status: 204 },
  'DELETE /api/v1/push/subscriptions': { status: 204 },
} satisfies Routes;

describe('PushDevice', () => {
  it('asks permission, subscribes with the server key and registers the subscription', async () => {
    const f = fakeBrowser({});
    const sent = renderWithApi('/', '/', <PushDevice browser={f.browser} />, server);
    await userEvent.click(await screen.findByRole('button', { name: 'Notify this device' }));
    expect(await screen.findByText('This device gets notifications.')).toBeInTheDocument();
    expect(f.log).toEqual(['requestPermission', 'subscribe']);
    expect([...f.key()!]).toEqual([...KEY_BYTES]);
    expect(sent.filter((r) => r.method !== 'GET')).toEqual([
      { method: 'POST', path: '/api/v1/push/subscriptions', body: JSON_SUB },
    ]);
  });

  it('stops: the server forgets the subscription, then the browser drops it', async () => {
    const f = fakeBrowser({ permission: 'granted', subscribed: true });
    const sent = renderWithApi('/', '/', <PushDevice browser={f.browser} />, server);
    await userEvent.click(
      await screen.findByRole('button', { name: 'Stop notifications on this device' }),
    );
    expect(await screen.findByRole('button', { name: 'Notify this device' })).toBeInTheDocument();
    expect(sent).toEqual([
      {
        method: 'DELETE',
        path: '/api/v1/push/subscriptions',
        body: { endpoint: JSON_SUB.endpoint },
      },
    ]);
    expect(f.log).toEqual(['unsubscribe']);
  });

  it('says how to allow notifications when the person refuses, and subscribes nothing', async () => {
    const f = fakeBrowser({ answer: 'denied' });
    const sent = renderWithApi('/', '/', <PushDevice browser={f.browser} />, server);
    await userEvent.click(await screen.findByRole('button', { name: 'Notify this device' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      "Notifications are blocked for this site. Allow them in the browser's site settings",
    );
    expect(f.log).toEqual(['requestPermission']);
    expect(sent).toEqual([]);
  });

  it('drops the browser subscription again when the server refuses it, showing why', async () => {
    const f = fakeBrowser({});
    renderWithApi('/', '/', <PushDevice browser={f.browser} />, {
      ...server,
      'POST /api/v1/push/subscriptions': apiError(
        422,
        'VALIDATION_FAILED',
        'endpoint must be the push service URL of the subscription',
      ),
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Notify this device' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'endpoint must be the push service URL of the subscription',
    );
    expect(f.log).toEqual(['requestPermission', 'subscribe', 'unsubscribe']);
    expect(screen.getByRole('button', { name: 'Notify this device' })).toBeEnabled();
  });

  it('tells a blocked site how to allow notifications, without a button', async () => {
    const f = fakeBrowser({ permission: 'denied' });
    renderWithApi('/', '/', <PushDevice browser={f.browser} />, server);
    expect(await screen.findByText(/Notifications are blocked for this site/)).toBeInTheDocument();
    expect(screen.queryByRole('button')).toBeNull();
  });

  it('says push is not available where no service worker runs the app', async () => {
    const f = fakeBrowser({});
    renderWithApi(
      '/',
      '/',
      <PushDevice browser={{ ...f.browser, pushManager: async () => undefined }} />,
      server,
    );
    expect(
      await screen.findByText(/This browser cannot receive notifications/),
    ).toBeInTheDocument();
    expect(screen.queryByRole('button')).toBeNull();
  });

  it('says so in a browser without Web Push', () => {
    renderWithApi('/', '/', <PushDevice browser={null} />, server);
    expect(screen.getByText(/This browser cannot receive notifications/)).toBeInTheDocument();
    expect(screen.queryByRole('button')).toBeNull();
  });
});
