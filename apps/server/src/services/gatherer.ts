/**
 * Gathers concurrent writes (or reads) into one store call (issue 16.2). A write that finds nothing in
 * flight goes out at once, alone, so a quiet system adds no delay; writes that arrive while a
 * call is in flight wait for it to end and then go out together in the next call (up to
 * `maxItems`). Under load the calls grow by themselves: each costs one transaction and one
 * rollup refresh (DuckDB) or one request (InfluxDB) however many buildings it holds, where a
 * call per write paid that for every reading.
 *
 * Every caller's promise settles with its own write: resolved once the call that carried it
 * is durable, rejected with that call's error. An unavailable store fails the whole call (each
 * caller retries, as before). Any other error, such as one batch the store refuses, must not
 * fail the writes it happened to share a call with, so the call is retried one write at a time
 * and only the write at fault fails.
 */
import { StoreUnavailableError } from '@nilm/stores';

interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (e: unknown) => void;
}

export interface GathererOptions<T, R = void> {
  /**
   * Write (or read) these items in one call, in order: a later item of one building wins; a
   * read answers one result per item, in the same order.
   */
  call: (items: T[]) => Promise<R[] | void>;
  /** Most items in one call (default 1000). */
  maxItems?: number;
  /**
   * Whether an error fails the whole call (default: an unavailable store) instead of sending
   * its items again one at a time to find the one at fault.
   */
  failsAll?: (e: unknown) => boolean;
}

export class Gatherer<T, R = void> {
  private queue: Array<Waiting<T, R>> = [];
  private flushing = false;
  /** Calls made and items they carried (benchmarks print them). */
  calls = 0;
  items = 0;

  constructor(private readonly opts: GathererOptions<T, R>) {}

  /**
   * Write `item` with whatever else is waiting; settles when it is durable or has failed (a
   * read: with its own result).
   */
  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    const max = this.opts.maxItems ?? 1000;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, max);
        this.calls++;
        this.items += batch.length;
        try {
          const results = await this.opts.call(batch.map((w) => w.item));
          batch.forEach((w, i) => w.resolve(results?.[i] as R));
        } catch (e) {
          const failsAll = this.opts.failsAll ?? ((x) => x instanceof StoreUnavailableError);
          if (batch.length === 1 || failsAll(e)) {
            for (const w of batch) w.reject(e);
            continue;
          }
          // One write the store refused must not fail the others: each alone, in order.
          for (const w of batch) {
            try {
              const [result] = (await this.opts.call([w.item])) ?? [];
              w.resolve(result as R);
            } catch (one) {
              w.reject(one);
            }
          }
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
