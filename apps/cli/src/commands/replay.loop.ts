/**
 * The replay itself: check the flags and open the sender, load the recording, then once a
 * wall-clock second hand the readings `ReplayClock` says are due to the sender until the
 * recording or --max-seconds runs out.
 */
import { loadDataset, NilmError, ReplayClock, type Series } from '@nilm/ml';
import { formatDuration } from '../progress.js';
import { loadOptions } from './eval.command.js';
import { openSink, replayPace, type ReplayOptions } from './replay.options.js';
import { ReplayProgress } from './replay.progress.js';
import { note, sleep } from './replay.shared.js';

/** Play the recording `o.data` to the destination the flags name; see `nilm replay --help`. */
export async function replay(o: ReplayOptions): Promise<void> {
  const { speed, maxSeconds } = replayPace(o);
  // Check the destination flags before spending time on loading data.
  const sink = await openSink(o);
  try {
    const all: Series[] = await loadDataset(o.data, {
      ...loadOptions(o),
      log: (m) => note(m),
    });
    const series = all[0];
    if (!series) throw new NilmError('DATA_EMPTY', `${o.data} holds no series to replay`);
    if (all.length > 1) note(`replaying the first of ${all.length} series: ${series.source}`);
    const durationMs = series.mains.length * series.periodS * 1000;
    note(
      `${series.source}: ${formatDuration(durationMs / 1000)} of data at ${speed}x (${formatDuration(durationMs / 1000 / speed)}) to ${sink.target}`,
    );

    const start = Date.now();
    const deadline = maxSeconds === undefined ? Infinity : start + maxSeconds * 1000;
    const clock = new ReplayClock(series, speed, start);
    const progress = new ReplayProgress(series, durationMs, speed, start);
    for (;;) {
      const due = clock.due(Math.min(Date.now(), deadline));
      if (due.length > 0) progress.delivered(due, await sink.send(due, deadline));
      progress.tick();
      if (clock.done) break;
      if (Date.now() >= deadline) {
        progress.line();
        note(`stopped after --max-seconds ${maxSeconds}`);
        return;
      }
      // One batch per wall-clock second of the replay.
      const nextTick = 1000 - ((Date.now() - start) % 1000);
      await sleep(Math.min(nextTick, deadline - Date.now()));
    }
    progress.line();
    note('done: the whole recording was sent');
  } finally {
    await sink.close();
  }
}
