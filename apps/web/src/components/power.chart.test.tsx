// Proves the stacked power chart draws each series as fill only in its own colour (so a one-bucket spike in a lower series is not painted in the top series' outline colour) and labels its axes in the chosen units.
import { render } from '@testing-library/react';
import { expect, it } from 'vitest';
import { toStackedRows } from '../lib/chart.data.js';
import { seriesColor } from '../lib/colors.js';
import { defaultUnits } from '../lib/format.js';
import { SettingsProvider, defaultSettings } from '../state/settings.js';
import { StackedPowerChart } from './power.chart.js';

// Ten minutes of a 90 W fridge with the kettle spiking to 2 kW for one minute at 00:05.
const chart = toStackedRows({
  appliances: ['fridge', 'kettle'],
  points: Array.from({ length: 10 }, (_, i) => {
    const kettle = i === 5 ? 2000 : 0;
    return {
      time: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
      power_w: 150 + kettle,
      appliances: {
        fridge: { power_w: 90, on_prob: 0.9 },
        kettle: { power_w: kettle, on_prob: kettle ? 1 : 0 },
      },
    };
  }),
});

function draw(units = defaultUnits) {
  return render(
    <SettingsProvider initial={{ ...defaultSettings, units }}>
      <StackedPowerChart rows={chart.rows} series={chart.series} width={600} />
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
