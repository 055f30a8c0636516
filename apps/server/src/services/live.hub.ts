/**
 * Live streams (`/buildings/{id}/live`, server-sent events), bounded and kept to their right.
 *
 * - One feed per building, however many streams watch it: the feed asks the store for new
 *   readings and estimates every `pollMs` (so it shows what any API or worker process wrote) and
 *   pushes each event to every stream of the building.
 * - At most `maxPerUser` streams per user and `maxTotal` in this process (`STREAM_LIMIT`, 429).
 * - Every `recheckMs` a feed checks its streams' right again: a stream whose token expired, whose
 *   member was removed or whose building was deleted ends with an `end` event saying why. This
 *   process's own member removals and deletions end streams at once (`revoke`).
 * - A client that does not read (more than `maxBufferedBytes` waiting) is cut off, so a stalled
 *   reader cannot hold memory.
 */
import type { ServerResponse } from 'node:http';
import type { MetadataStore, TimeSeriesStore } from '@nilm/stores';
import { decideAccess } from '../auth/index.js';
import { ApiError } from '../errors.js';
import type { LatestReadings } from './latest.readings.js';
import { isShown, presentAppliances } from './appliances.service.js';

/** Why a stream ended, sent as `event: end` with `{"reason", "message"}`. */
export type LiveEndReason =
  | 'token_expired'
  | 'access_revoked'
  | 'building_deleted'
  | 'access_unverifiable'
  | 'slow_consumer'
  | 'server_shutdown';

const END_MESSAGES: Record<LiveEndReason, string> = {
  token_expired: 'your sign-in expired; sign in again and reconnect',
  access_revoked: 'you are no longer a member of this building',
  building_deleted: 'this building was deleted',
  access_unverifiable:
    'your access to this building could not be checked (the metadata store is unavailable); reconnect later',
  slow_consumer: 'the stream was not being read; reconnect',
  server_shutdown: 'the server is shutting down; reconnect shortly',
};

/** Who watches a stream: what its right is checked against. */
export interface LiveViewer {
  userId: string;
  role: 'admin' | 'user';
  /** When the viewer's token expires, ms since the epoch. */
  expiresAt: number;
}

export interface LiveHubOptions {
  timeseries: Pick<
    TimeSeriesStore,
    'latestReadingTs' | 'latestEstimateTs' | 'readReadings' | 'readEstimates'
  >;
  metadata: Pick<MetadataStore, 'getBuilding' | 'getMemberRole' | 'getAppliancesPresent'>;
  pollMs: number;
  recheckMs: number;
  maxPerUser: number;
  maxTotal: number;
  /** A stream with more than this waiting to be sent is cut off. Default 1 MiB. */
  maxBufferedBytes?: number;
  /**
   * The newest reading this process stored per building: a stream that opens shows it at once
   * instead of after the store answers (which, behind a dashboard's heavier reads, takes seconds
   * on a busy machine).
   */
  latest?: Pick<LatestReadings, 'get' | 'forget'>;
  now?: () => number;
  log?: { warn: (o: object, m: string) => void };
}

interface Stream {
  viewer: LiveViewer;
  res: ServerResponse;
  feed: Feed;
  ended: boolean;
}

interface Feed {
  buildingId: string;
  streams: Set<Stream>;
  /** The newest reading as an SSE frame, for streams that join later; null until loaded. */
  latest: string | null;
  /** The time of `latest`, ms since the epoch. */
  latestTs: number | null;
  lastReading: number;
  lastEstimate: number;
  loaded: boolean;
  /** Last time the streams' right was confirmed by the store. */
  verifiedAt: number;
  pollTimer?: NodeJS.Timeout;
  recheckTimer?: NodeJS.Timeout;
  stopped: boolean;
}

const frame = (event: string, data: unknown): string =>
  `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/** The live streams of one app: open, fan out, check and end them. */
export class LiveHub {
  private readonly feeds = new Map<string, Feed>();
  private readonly perUser = new Map<string, number>();
  private total = 0;
  private closed = false;
  private readonly now: () => number;
  private readonly maxBuffered: number;

  constructor(private readonly opts: LiveHubOptions) {
    this.now = opts.now ?? Date.now;
    this.maxBuffered = opts.maxBufferedBytes ?? 1024 * 1024;
  }

  /** Open streams, buildings with a feed, and streams per user (for tests and metrics). */
  stats(): { streams: number; feeds: number; users: number } {
    return { streams: this.total, feeds: this.feeds.size, users: this.perUser.size };
  }

  /**
   * Refuse (429 `STREAM_LIMIT`) a stream the caps leave no room for; call before answering.
   * `open` must follow synchronously for the count to hold.
   */
  admit(viewer: LiveViewer): void {
    if (this.closed)
      throw new ApiError(
        'NOT_READY',
        'the server is shutting down; reconnect shortly',
        undefined,
        5,
      );
    const mine = this.perUser.get(viewer.userId) ?? 0;
    if (mine >= this.opts.maxPerUser)
      throw new ApiError(
        'STREAM_LIMIT',
        `you already have ${mine} live streams open (the limit is ${this.opts.maxPerUser}); close one first`,
        { limit: this.opts.maxPerUser, scope: 'user' },
        5,
      );
    if (this.total >= this.opts.maxTotal)
      throw new ApiError(
        'STREAM_LIMIT',
        `this server has its maximum of ${this.opts.maxTotal} live streams open; retry later`,
        { limit: this.opts.maxTotal, scope: 'server' },
        30,
      );
  }

  /**
   * Start a stream of `buildingId` on `res` (headers already written), for a viewer `admit` let
   * in. It ends when the client goes, or with an `end` event for the reasons above.
   */
  open(buildingId: string, viewer: LiveViewer, res: ServerResponse): void {
    this.admit(viewer);
    let feed = this.feeds.get(buildingId);
    if (!feed) {
      feed = {
        buildingId,
        streams: new Set(),
        latest: null,
        latestTs: null,
        lastReading: 0,
        lastEstimate: 0,
        loaded: false,
        verifiedAt: this.now(),
        stopped: false,
      };
      this.feeds.set(buildingId, feed);
      const known = this.opts.latest?.get(buildingId);
      if (known) this.setLatest(feed, known.ts, known.powerW);
      this.start(feed);
    }
    const stream: Stream = { viewer, res, feed, ended: false };
    feed.streams.add(stream);
    this.total += 1;
    this.perUser.set(viewer.userId, (this.perUser.get(viewer.userId) ?? 0) + 1);
    res.on('close', () => this.remove(stream));
    if (feed.latest) this.write(stream, feed.latest);
  }

  /**
   * End, at once, the streams of `buildingId` that lost their right in this process: of
   * `userId` (removed as a member), or all of them (the building was deleted).
   */
  revoke(buildingId: string, userId?: string): void {
    if (userId === undefined) this.opts.latest?.forget(buildingId);
    const feed = this.feeds.get(buildingId);
    if (!feed) return;
    for (const s of [...feed.streams])
      if (userId === undefined) this.end(s, 'building_deleted');
      else if (s.viewer.userId === userId && s.viewer.role !== 'admin')
        this.end(s, 'access_revoked');
  }

  /** End every stream (`server_shutdown`) and refuse new ones. */
  close(): void {
    this.closed = true;
    for (const feed of [...this.feeds.values()])
      for (const s of [...feed.streams]) this.end(s, 'server_shutdown');
  }

  private start(feed: Feed): void {
    const load = async (): Promise<void> => {
      try {
        const id = feed.buildingId;
        const latestReading = await this.opts.timeseries.latestReadingTs(id);
        feed.lastReading = latestReading ?? this.now() - 3_600_000;
        feed.lastEstimate = (await this.opts.timeseries.latestEstimateTs(id)) ?? feed.lastReading;
        // Streams were already shown this reading when this process stored it.
        if (latestReading !== null && latestReading !== feed.latestTs) {
          const [r] = await this.opts.timeseries.readReadings(id, latestReading, latestReading + 1);
          if (r && r.ts !== feed.latestTs) {
            this.setLatest(feed, r.ts, r.powerW);
            for (const s of feed.streams) this.write(s, feed.latest!);
          }
        }
        feed.loaded = true;
      } catch (e) {
        this.storeTrouble(feed, e);
      }
    };
    const poll = async (): Promise<void> => {
      if (feed.stopped) return;
      if (!feed.loaded) await load();
      else await this.poll(feed);
      if (!feed.stopped) feed.pollTimer = setTimeout(() => void poll(), this.opts.pollMs);
    };
    const recheck = async (): Promise<void> => {
      if (feed.stopped) return;
      await this.recheck(feed);
      if (!feed.stopped) feed.recheckTimer = setTimeout(() => void recheck(), this.opts.recheckMs);
    };
    void poll();
    feed.recheckTimer = setTimeout(() => void recheck(), this.opts.recheckMs);
  }

  private setLatest(feed: Feed, ts: number, powerW: number): void {
    feed.latest = this.readingFrame(feed.buildingId, ts, powerW);
    feed.latestTs = ts;
  }

  private readingFrame(id: string, ts: number, powerW: number): string {
    return frame('reading', {
      type: 'reading',
      building_id: id,
      time: new Date(ts).toISOString(),
      power_w: powerW,
    });
  }

  /** New readings and estimates since the last poll, to every stream of the feed. */
  private async poll(feed: Feed): Promise<void> {
    const id = feed.buildingId;
    const frames: string[] = [];
    try {
      const horizon = this.now() + 60_000;
      const rs = await this.opts.timeseries.readReadings(id, feed.lastReading + 1, horizon);
      for (const r of rs.slice(-50)) frames.push(this.readingFrame(id, r.ts, r.powerW));
      if (rs.length) {
        const last = rs[rs.length - 1]!;
        feed.lastReading = last.ts;
        this.setLatest(feed, last.ts, last.powerW);
      }
      const es = await this.opts.timeseries.readEstimates(id, feed.lastEstimate + 1, horizon);
      // Appliances the building lacks are not streamed (read each poll: a change applies at once).
      const present = es.length ? await presentAppliances(this.opts.metadata, id) : null;
      const byTs = new Map<number, Record<string, { power_w: number; on_prob: number }>>();
      for (const e of es) {
        if (!isShown(present, e.appliance)) continue;
        let at = byTs.get(e.ts);
        if (!at) byTs.set(e.ts, (at = {}));
        at[e.appliance] = { power_w: e.powerW, on_prob: e.onProb };
      }
      for (const [ts, appliances] of [...byTs].slice(-20))
        frames.push(
          frame('estimate', {
            type: 'estimate',
            building_id: id,
            time: new Date(ts).toISOString(),
            appliances,
          }),
        );
      if (es.length) feed.lastEstimate = es[es.length - 1]!.ts;
      frames.push(': keep-alive\n\n');
    } catch (e) {
      this.storeTrouble(feed, e);
      return;
    }
    const text = frames.join('');
    for (const s of [...feed.streams]) this.write(s, text);
  }

  /** Tell the feed's streams the store is failing (the details go to the log only). */
  private storeTrouble(feed: Feed, e: unknown): void {
    this.opts.log?.warn({ err: e, buildingId: feed.buildingId }, 'live feed: store read failed');
    const text = frame('error', {
      message: 'the store is unavailable; the stream goes on when it is back',
    });
    for (const s of [...feed.streams]) this.write(s, text);
  }

  /** Check every stream's right again: token expiry, the building, each user's membership. */
  private async recheck(feed: Feed): Promise<void> {
    const now = this.now();
    for (const s of [...feed.streams]) if (s.viewer.expiresAt <= now) this.end(s, 'token_expired');
    if (feed.streams.size === 0) return;
    try {
      const building = await this.opts.metadata.getBuilding(feed.buildingId);
      if (!building) {
        for (const s of [...feed.streams]) this.end(s, 'building_deleted');
        return;
      }
      const users = new Map<string, LiveViewer>();
      for (const s of feed.streams) users.set(s.viewer.userId, s.viewer);
      for (const viewer of users.values()) {
        const memberRole =
          viewer.role === 'admin'
            ? null
            : await this.opts.metadata.getMemberRole(feed.buildingId, viewer.userId);
        const d = decideAccess({
          caller: { kind: 'user', userId: viewer.userId, role: viewer.role },
          action: 'read',
          buildingId: feed.buildingId,
          memberRole,
        });
        if (!d.allow)
          for (const s of [...feed.streams])
            if (s.viewer.userId === viewer.userId) this.end(s, 'access_revoked');
      }
      feed.verifiedAt = this.now();
    } catch (e) {
      // The store cannot say: keep streaming for a grace period (a restart of the database must
      // not cut every dashboard), then end the streams whose right cannot be confirmed.
      this.opts.log?.warn(
        { err: e, buildingId: feed.buildingId },
        'live feed: access recheck failed',
      );
      const grace = Math.max(30_000, 3 * this.opts.recheckMs);
      if (this.now() - feed.verifiedAt > grace)
        for (const s of [...feed.streams]) this.end(s, 'access_unverifiable');
    }
  }

  private write(s: Stream, text: string): void {
    if (s.ended || s.res.destroyed) return;
    s.res.write(text);
    if (s.res.writableLength > this.maxBuffered) {
      s.res.destroy();
      this.remove(s);
    }
  }

  /** Send `end` with the reason and close the stream. */
  private end(s: Stream, reason: LiveEndReason): void {
    if (s.ended) return;
    if (!s.res.destroyed && s.res.writable)
      s.res.end(frame('end', { reason, message: END_MESSAGES[reason] }));
    this.remove(s);
  }

  private remove(s: Stream): void {
    if (s.ended) return;
    s.ended = true;
    const feed = s.feed;
    feed.streams.delete(s);
    this.total -= 1;
    const left = (this.perUser.get(s.viewer.userId) ?? 1) - 1;
    if (left > 0) this.perUser.set(s.viewer.userId, left);
    else this.perUser.delete(s.viewer.userId);
    if (feed.streams.size === 0) {
      feed.stopped = true;
      clearTimeout(feed.pollTimer);
      clearTimeout(feed.recheckTimer);
      if (this.feeds.get(feed.buildingId) === feed) this.feeds.delete(feed.buildingId);
    }
  }
}
