// Proves the stacked power chart shades labelled spans with their words as titles, draws each series as fill only in its own colour (so a one-bucket spike in a lower series is not painted in the top series' outline colour), labels its axes in the chosen units, and draws a stretch without readings as a break with a hatched, titled "No readings" band rather than as flat power.
import { render, screen } from '@testing-library/react';
import { expect, it } from 'vitest';
import { toStackedRows, type ChartReadings } from '../lib/chart.data.js';
import { seriesColor } from '../lib/colors.js';
import { defaultUnits } from '../lib/format.js';
import { SettingsProvider, defaultSettings } from '../state/settings.js';
import { columnsOf } from '../test/readings.fixture.js';
import { StackedPowerChart } from './power.chart.js';

// Ten minutes of a 90 W fridge with the kettle spiking to 2 kW for one minute at 00:05.
const meta = {
  start: '2026-01-01T00:00:00.000Z',
  end: '2026-01-01T00:10:00.000Z',
  resolution_s: 60,
  appliances: ['fridge', 'kettle'],
};
const buckets = Array.from({ length: 10 }, (_, i) => {
  const kettle = i === 5 ? 2000 : 0;
  return {
    time: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
    power_w: 150 + kettle,
    appliances: {
      fridge: { power_w: 90, on_prob: 0.9 },
      kettle: { power_w: kettle, on_prob: kettle ? 1 : 0 },
    },
  };
});
const tenMinutes: ChartReadings = columnsOf(buckets, meta);
const chart = toStackedRows(tenMinutes);

function draw(units = defaultUnits, data = chart) {
  return render(
    <SettingsProvider initial={{ ...defaultSettings, units }}>
      <StackedPowerChart rows={data.rows} series={data.series} width={600} />
    </SettingsProvider>,
  ).container;
}

it('fills each series in its own colour with no outline', () => {
  const svg = draw();
  const areas = [...svg.querySelectorAll('.recharts-area')];
  expect(areas).toHaveLength(3);
  areas.forEach((area, i) => {
    const fill = area.querySelector('.recharts-area-area');
    expect(fill).toHaveAttribute('fill', seriesColor(chart.series[i]!));
    expect(fill?.getAttribute('stroke') ?? 'none').toBe('none');
    // The outline path is either absent or drawn with no stroke at all.
    const curve = area.querySelector('.recharts-area-curve');
    if (curve) expect(curve.getAttribute('stroke')).toBe('none');
  });
});

it('labels the power axis and time axis in the chosen units', () => {
  const svg = draw({ power: 'kW', energy: 'kWh', time: '12h' });
  const ticks = (axis: string) =>
    [
      ...svg.querySelectorAll(`.recharts-${axis}-tick-labels .recharts-cartesian-axis-tick-value`),
    ].map((t) => (t.textContent ?? '').replace(/\s/g, ' '));
  expect(ticks('yAxis').length).toBeGreaterThan(1);
  expect(ticks('yAxis').every((t) => / kW$/.test(t))).toBe(true);
  expect(ticks('xAxis').length).toBeGreaterThan(0);
  expect(ticks('xAxis').every((t) => /^\d{1,2}:\d{2} (AM|PM)$/i.test(t))).toBe(true);
});

it('draws no band when every minute has readings', () => {
  const svg = draw();
  expect(svg.querySelector('.no-readings')).toBeNull();
  expect(screen.queryByText(/No readings/)).toBeNull();
});

it('breaks the line and hatches the stretch without readings, titled and named in a legend line', () => {
  // The meter is silent from 00:03 to 00:07: four buckets without readings.
  const gappy = toStackedRows(
    columnsOf(
      buckets.filter((_, i) => i < 3 || i > 6),
      meta,
    ),
  );
  const svg = draw({ power: 'W', energy: 'kWh', time: '24h' }, gappy);
  const bands = [...svg.querySelectorAll('rect.no-readings')];
  expect(bands).toHaveLength(1);
  const band = bands[0]!;
  const fill = band.getAttribute('fill') ?? '';
  expect(fill).toMatch(/^url\(#no-readings-[\w-]+\)$/);
  // The fill is the hatch pattern defined in the chart.
  const pattern = svg.querySelector(`pattern${fill.slice(4, -1)}`);
  expect(pattern?.querySelector('line')).not.toBeNull();
  // It spans 00:03 to 00:07 of a plot from 00:00 to 00:09 (the grid's lines span the plot).
  const grid = svg.querySelector('.recharts-cartesian-grid line')!;
  const [plotX, plotWidth] = [Number(grid.getAttribute('x')), Number(grid.getAttribute('width'))];
  expect(plotWidth).toBeGreaterThan(100);
  expect(Number(band.getAttribute('x'))).toBeCloseTo(plotX + (plotWidth * 3) / 9, 1);
  expect(Number(band.getAttribute('width'))).toBeCloseTo((plotWidth * 4) / 9, 1);
  expect(band.querySelector('title')?.textContent).toMatch(/^No readings .*00:03.* – .*00:07/);
  expect(
    screen.getByText(/No readings .*00:03.* – .*00:07.*: drawn as a gap, not as zero power\./),
  ).toBeVisible();
  // No series is drawn across the gap: each area's outline has two separate pieces (M...M).
  for (const curve of svg.querySelectorAll('.recharts-area-area')) {
    expect((curve.getAttribute('d') ?? '').match(/M/g)).toHaveLength(2);
  }
});

it('shades labelled spans, each titled in words', () => {
  const from = Date.UTC(2026, 0, 1, 0, 2);
  const svg = render(
    <SettingsProvider initial={defaultSettings}>
      <StackedPowerChart
        rows={chart.rows}
        series={chart.series}
        width={600}
        marks={[
          { key: 'a', from, to: from + 120_000, kind: 'on', title: 'This was the Kettle' },
          { key: 'b', from: from + 240_000, to: from + 360_000, kind: 'off', title: 'Nothing' },
        ]}
      />
    </SettingsProvider>,
  ).container;
  const marks = [...svg.querySelectorAll('rect.label-mark')];
  expect(marks.map((m) => m.querySelector('title')?.textContent)).toEqual([
    'This was the Kettle',
    'Nothing',
  ]);
  expect(marks[0]).toHaveClass('label-on');
  expect(marks[1]).toHaveClass('label-off');
});
