/** The live mains power and latest per-appliance estimate of a building, from its SSE stream. */
import type { LiveEvent } from '@nilm/contracts';
import { useEffect, useState } from 'react';
import { ApiError } from '../lib/api.client.js';
import { readLiveEvents } from '../lib/live.stream.js';
import { useSession } from './session.js';

export interface LiveState {
  status: 'connecting' | 'open' | 'error';
  /** Why the stream is down (shown to the person); undefined while it is fine. */
  error?: string;
  powerW?: number;
  powerTime?: string;
  appliances?: NonNullable<LiveEvent['appliances']>;
  estimateTime?: string;
}

/**
 * Keeps one stream open per building, reconnecting with backoff (2 s doubling to 30 s). Callers
 * key the component by building, so a new building starts from a fresh 'connecting' state.
 */
export function useLive(buildingId: string): LiveState {
  const { api } = useSession();
  const [state, setState] = useState<LiveState>({ status: 'connecting' });

  useEffect(() => {
    const ctrl = new AbortController();
    let delay = 2000;
    const run = async () => {
      while (!ctrl.signal.aborted) {
        try {
          const res = await api.live(buildingId, ctrl.signal);
          setState((s) => ({ ...s, status: 'open', error: undefined }));
          delay = 2000;
          await readLiveEvents(
            res,
            (e) =>
              setState((s) =>
                e.type === 'reading'
                  ? { ...s, status: 'open', powerW: e.power_w, powerTime: e.time }
                  : { ...s, status: 'open', appliances: e.appliances, estimateTime: e.time },
              ),
            (message) => setState((s) => ({ ...s, error: message })),
          );
        } catch (e) {
          if (ctrl.signal.aborted) return;
          if (e instanceof ApiError && e.status === 401) return;
          const message = e instanceof Error ? e.message : String(e);
          setState((s) => ({ ...s, status: 'error', error: message }));
        }
        if (ctrl.signal.aborted) return;
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(30_000, delay * 2);
      }
    };
    void run();
    return () => ctrl.abort();
  }, [api, buildingId]);

  return state;
}
