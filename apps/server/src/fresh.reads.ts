/**
 * Reads that a caller may share with others only if the read began after the caller asked: at
 * most one read per key in flight, and one queued behind it that every caller arriving meanwhile
 * joins. Under many concurrent requests that is two reads per read time, whatever the number of
 * requests, and each request still gets rows read after it arrived. Keys are held only while a
 * read is in flight. Used for what a request must see as of its arrival: the readings routes'
 * fingerprints and views, and `authorize`'s building and membership.
 */
export class FreshReads<T> {
  private readonly flights = new Map<string, { running: Promise<T>; queued?: Promise<T> }>();

  get(key: string, read: () => Promise<T>): Promise<T> {
    const flight = this.flights.get(key);
    if (!flight) return this.start(key, read);
    // The read in flight began before this caller: its result may predate a write the caller
    // must see. Wait for the next one, which starts when this one ends.
    const next = (): Promise<T> => this.start(key, read);
    flight.queued ??= flight.running.then(next, next);
    return flight.queued;
  }

  /** Keys with a read in flight (for tests: the map empties when reads end). */
  get inFlight(): number {
    return this.flights.size;
  }

  private start(key: string, read: () => Promise<T>): Promise<T> {
    const running: Promise<T> = read().finally(() => {
      if (this.flights.get(key)?.running === running) this.flights.delete(key);
    });
    this.flights.set(key, { running });
    return running;
  }
}
