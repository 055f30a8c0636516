// Proves the offline banner: hidden while online with fresh answers; "Offline — showing data from
// <time>" when the browser goes offline (the time of the last fresh answer) or when the service
// worker answers from its cache (the oldest kept answer's time), and gone again once the server
// answers.
import { act, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { createOfflineStatus } from '../lib/offline.status.js';
import { OfflineBanner } from './offline.banner.js';

function setup(online = true) {
  const win = new EventTarget();
  const sw = new EventTarget();
  let isOnline = online;
  const status = createOfflineStatus({ isOnline: () => isOnline, window: win, serviceWorker: sw });
  render(<OfflineBanner status={status} />);
  return {
    goOffline: () =>
      act(() => {
        isOnline = false;
        win.dispatchEvent(new Event('offline'));
      }),
    goOnline: () =>
      act(() => {
        isOnline = true;
        win.dispatchEvent(new Event('online'));
      }),
    fromWorker: (data: unknown) =>
      act(() => sw.dispatchEvent(new MessageEvent('message', { data }))),
  };
}

const at = (h: number, m: number) => new Date().setHours(h, m, 0, 0);
const shown = (ms: number) => new Date(ms).toLocaleTimeString(undefined, { timeStyle: 'short' });

describe('OfflineBanner', () => {
  it('shows nothing while online with fresh data', async () => {
    const t = setup();
    await t.fromWorker({ type: 'nilm-sw:fresh', at: at(8, 0) });
    expect(screen.queryByRole('status')).toBeNull();
  });

  it('says offline with the time of the last answer from the server when the browser goes offline', async () => {
    const t = setup();
    await t.fromWorker({ type: 'nilm-sw:fresh', at: at(8, 5) });
    await t.goOffline();
    expect(screen.getByRole('status')).toHaveTextContent(
      `Offline — showing data from ${shown(at(8, 5))}`,
    );
    await t.goOnline();
    expect(screen.queryByRole('status')).toBeNull();
  });

  it('says offline without a time when nothing came from the server in this visit', () => {
    setup(false);
    expect(screen.getByRole('status')).toHaveTextContent('Offline — showing the last data loaded');
  });

  it("shows the oldest kept answer's time while the worker answers from its cache, until the server answers", async () => {
    const t = setup();
    await t.fromWorker({ type: 'nilm-sw:cached', cachedAt: at(7, 30) });
    await t.fromWorker({ type: 'nilm-sw:cached', cachedAt: at(6, 45) });
    await t.fromWorker({ type: 'nilm-sw:cached', cachedAt: at(7, 50) });
    expect(screen.getByRole('status')).toHaveTextContent(
      `Offline — showing data from ${shown(at(6, 45))}`,
    );
    await t.fromWorker({ type: 'unrelated' });
    expect(screen.getByRole('status')).toBeInTheDocument();
    await t.fromWorker({ type: 'nilm-sw:fresh', at: at(9, 0) });
    expect(screen.queryByRole('status')).toBeNull();
  });

  it('names the day too when the kept data is from another day', async () => {
    const t = setup();
    const yesterday = at(21, 15) - 86_400_000;
    await t.fromWorker({ type: 'nilm-sw:cached', cachedAt: yesterday });
    expect(screen.getByRole('status')).toHaveTextContent(
      new Date(yesterday).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }),
    );
  });
});
