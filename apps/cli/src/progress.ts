/** A one-line progress bar on stderr (redrawn in place on a terminal, a line per 10 % otherwise). */

/** "1h02m", "3m20s", "12s". */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const t = Math.round(s);
  if (t >= 3600)
    return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`;
  if (t >= 60) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
  return `${t}s`;
}

let lastDecile = -1;
let lastLabel = '';
let drawn = false;

export const progressBar = {
  /** Draw `label [#####.....] info` for a fraction 0..1. */
  draw(label: string, fraction: number, info: string): void {
    const width = 24;
    const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
    const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${info}`;
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${line}\x1b[K`);
      drawn = true;
      return;
    }
    const decile = Math.floor(fraction * 10);
    if (label !== lastLabel || decile !== lastDecile) {
      lastLabel = label;
      lastDecile = decile;
      if (decile > 0) process.stderr.write(`${line}\n`);
    }
  },
  /** What to print before a log line so that it does not mix with the bar. */
  clear(): string {
    if (!drawn) return '';
    drawn = false;
    return '\r\x1b[K';
  },
};
