/**
 * The few helpers every part of `nilm replay` shares: its stderr notes, its bad-input error and
 * its wait. Kept apart so that the senders, the flag checks and the loop need not import each
 * other.
 */
import { NilmError } from '@nilm/ml';

/** Wait `ms` milliseconds (none when negative). */
export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** One line of progress or warning on stderr; stdout stays free for data. */
export function note(line: string): void {
  process.stderr.write(`replay: ${line}\n`);
}

/** A problem the user can fix (a flag, the server's answer): CONFIG_INVALID, exit code 2. */
export function invalid(message: string): NilmError {
  return new NilmError('CONFIG_INVALID', message);
}
