/**
 * `nilm replay`: play a recorded data set to a running server as if it were a live meter, over
 * HTTP (`POST /api/v1/ingest` with a device token) or MQTT. The timing comes from `ReplayClock`
 * in @nilm/ml, the clock the server's demo home uses, so readings are stamped exactly as the
 * demo home stamps them: real spacing, never in the future, the recording compressed by
 * `--speed`. This file declares the command; its parts live beside it: replay.options.ts (the
 * flags' checks and the sender they name), replay.http.sink.ts and replay.mqtt.sink.ts (the
 * senders), replay.loop.ts (the clock-driven loop), replay.progress.ts (progress lines).
 */
import { Option, type Command } from 'commander';
import { DEFAULT_TOPIC_PATTERN } from '@nilm/contracts';
import { SUMMARIES } from './command.summaries.js';
import { withDataFlags } from './eval.command.js';
import { replay } from './replay.loop.js';
import type { ReplayOptions } from './replay.options.js';

/** Register `nilm replay`. */
export function registerReplay(program: Command): void {
  const cmd = program
    .command('replay')
    .description(SUMMARIES.replay)
    .requiredOption('-d, --data <path>', 'file, directory or glob of data to replay')
    .requiredOption('-b, --building <id>', 'building the readings belong to')
    .addOption(
      new Option('--url <base>', 'HTTP: API base URL, e.g. http://127.0.0.1:8080').conflicts(
        'mqtt',
      ),
    )
    .option('--token <token>', "the building's device token (HTTP header; MQTT payload field)")
    .addOption(
      new Option('--mqtt <url>', 'MQTT: broker URL, e.g. mqtt://127.0.0.1:1883').conflicts('url'),
    )
    .option('--username <id>', 'MQTT username (embedded broker: the building id, the default)')
    .option('--password <token>', 'MQTT password (embedded broker: a device token of the building)')
    .option('--topic <pattern>', 'MQTT topic pattern, + is the building id', DEFAULT_TOPIC_PATTERN)
    .option('--speed <N>', 'replay N times faster than real time (>= 1)', '60')
    .option('--max-seconds <s>', 'stop after this many seconds of wall time');
  withDataFlags(cmd)
    .addHelpText(
      'after',
      `
Each second of the replay sends the readings that fell due as one batch: one POST
/api/v1/ingest (header X-Ingest-Token), or one JSON message on nilm/<building>/power at
QoS 1. 503 and 429 answers are retried as long as the server asks (Retry-After); any other
4xx stops the replay with an error. Progress goes to stderr.

Examples:
  nilm replay --data data/house.csv.gz --building home --url http://127.0.0.1:8080 --token nilm_dev_...
  nilm replay --data data/house.csv.gz --building home --mqtt mqtt://127.0.0.1:1883 --token nilm_dev_...
  nilm replay --data data/house.csv.gz --building home --mqtt mqtt://127.0.0.1:1884 --password nilm_dev_...`,
    )
    .action(async (opts: ReplayOptions) => {
      await replay(opts);
    });
}
