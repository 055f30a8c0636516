/** `nilm data inspect`: what a data file or set holds. */
import type { Command } from 'commander';
import { SUMMARIES } from './command.summaries.js';
import { loadDataset, summarise, type SeriesSummary } from '@nilm/ml';
import { fmt, table } from '../output.js';
import { loadOptions, withDataFlags, type DataFlags } from './eval.command.js';

/** Render summaries for people. */
export function formatSummaries(list: SeriesSummary[]): string {
  return list
    .map((s) => {
      const head = [
        s.source,
        `  span ${s.start} .. ${s.end}, period ${s.period_s} s, ${s.samples} samples`,
        `  missing ${s.missing} samples (${(s.missing_fraction * 100).toFixed(1)} %) in ${s.gaps} gaps, longest ${(s.longest_gap_s / 3600).toFixed(1)} h`,
        `  mains mean ${fmt(s.mains.mean_w, 0)} W, max ${fmt(s.mains.max_w, 0)} W, ${fmt(s.mains.energy_kwh, 1)} kWh`,
      ];
      const rows = Object.entries(s.appliances).map(([name, a]) => [
        name,
        a.on_fraction === null ? '–' : `${(a.on_fraction * 100).toFixed(2)} %`,
        fmt(a.energy_kwh, 1),
        fmt(a.max_w, 0),
        String(a.on_threshold_w),
      ]);
      return [...head, '', table(['appliance', 'on', 'kWh', 'max W', 'on >= W'], rows)].join('\n');
    })
    .join('\n\n');
}

export function registerData(program: Command): void {
  const data = program.command('data').description(SUMMARIES.data);
  const inspect = data
    .command('inspect')
    .description(
      'Span, sample period, gaps, per-appliance on-fraction and energy of a file, directory or glob',
    )
    .argument('<path>', 'file, directory or glob')
    .option('--json', 'print exactly one JSON array on stdout');
  withDataFlags(inspect).action(async (path: string, opts: DataFlags & { json?: boolean }) => {
    const series = await loadDataset(path, loadOptions(opts));
    const list = series.map(summarise);
    process.stdout.write(opts.json ? `${JSON.stringify(list)}\n` : `${formatSummaries(list)}\n`);
  });
}
