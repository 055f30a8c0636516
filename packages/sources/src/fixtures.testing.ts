/**
 * Test-only helpers: read a recorded payload from packages/sources/fixtures, and split a capture
 * file (`<topic> <payload>` per line) into messages. The package itself does no I/O; only its
 * tests import this file.
 */
import { readFileSync } from 'node:fs';

/** The fixture's text exactly as stored. */
export function fixture(path: string): string {
  return readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');
}

/** The fixture's text without the final newline that files end with (payloads have none). */
export function payload(path: string): string {
  return fixture(path).replace(/\n$/, '');
}

/** The messages of a capture file: one `<topic> <payload>` per line. */
export function capture(path: string): Array<{ topic: string; payload: string }> {
  return fixture(path)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const i = l.indexOf(' ');
      return { topic: l.slice(0, i), payload: l.slice(i + 1) };
    });
}
