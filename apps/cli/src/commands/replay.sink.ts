/** What the replay loop sends to: the contract the HTTP and MQTT senders both keep. */
import type { StampedReading } from '@nilm/ml';

/** Where replayed readings go. `send` resolves with how many were delivered before `deadline`. */
export interface Sink {
  readonly target: string;
  send(readings: StampedReading[], deadline: number): Promise<number>;
  close(): Promise<void>;
}

/** `items` cut into pieces of at most `size`, in order (a sender's batch limit). */
export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
