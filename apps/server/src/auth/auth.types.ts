/** Types shared by the auth modules (kept apart so no module imports another just for a type). */

/** A user's platform-wide role. Only `admin` grants anything beyond building membership. */
export type PlatformRole = 'admin' | 'user';

/** Milliseconds since the epoch; injected so tests control time. */
export type Clock = () => number;

/** The real clock. */
export const systemClock: Clock = () => Date.now();
