/**
 * Reads the building's live SSE stream (a fetch Response, since EventSource cannot send the
 * Authorization header) and hands each `reading` / `estimate` payload to the caller.
 */
import type { LiveEvent } from '@nilm/contracts';
import { SseParser } from './sse.parser.js';

/** Reads until the stream ends or the signal aborts; malformed payloads are skipped. */
export async function readLiveEvents(
  res: Response,
  onEvent: (e: LiveEvent) => void,
  onServerError?: (message: string) => void,
): Promise<void> {
  if (!res.body) return;
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    for (const ev of parser.push(decoder.decode(value, { stream: true }))) {
      let payload: unknown;
      try {
        payload = JSON.parse(ev.data);
      } catch {
        continue;
      }
      if (ev.event === 'error') {
        const m = (payload as { message?: unknown }).message;
        onServerError?.(typeof m === 'string' ? m : 'live stream error');
      } else if (ev.event === 'reading' || ev.event === 'estimate') {
        onEvent(payload as LiveEvent);
      }
    }
  }
}
