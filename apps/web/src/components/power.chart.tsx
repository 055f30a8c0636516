/**
 * The stacked per-appliance power chart. It measures its own width and reports it, so the page
 * can ask the API for about one point per pixel (`resolution=auto&points=<width>`): 30 days at
 * 1-minute resolution would be 43 200 points, which no phone needs to draw.
 */
import { useEffect, useRef, useState } from 'react';
import { Area, AreaChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from 'recharts';
import type { ChartRow } from '../lib/chart.data.js';
import { seriesColor } from '../lib/colors.js';
import {
  applianceLabel,
  formatDateTime,
  formatPower,
  formatPowerTick,
  formatTime,
  type Units,
} from '../lib/format.js';
import { useSettings } from '../state/settings.js';

/** Width of an element, updated on resize (0 until measured, or where ResizeObserver is missing). */
export function useWidth<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth);
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(([entry]) => {
      if (entry) setWidth(entry.contentRect.width);
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return { ref, width };
}

function tickFormatter(spanMs: number, units: Units) {
  return (t: number) =>
    spanMs > 2 * 86_400_000
      ? new Date(t).toLocaleDateString(undefined, { month: 'short', day: 'numeric' })
      : formatTime(t, units);
}

/**
 * The areas are fill only. With an outline, the top series' line traces the whole stack, so a
 * spike one bucket wide in a lower series showed the top series' colour (its outline) rather
 * than its own; unstroked, every band shows only its own colour, however thin.
 */
export const AREA_STYLE = { stroke: 'none', strokeWidth: 0, fillOpacity: 0.75 } as const;

export function StackedPowerChart({
  rows,
  series,
  width,
  height = 280,
}: {
  rows: ChartRow[];
  series: string[];
  width: number;
  height?: number;
}) {
  const { units } = useSettings().settings;
  const span = rows.length > 1 ? rows[rows.length - 1]!.t - rows[0]!.t : 0;
  const fmt = tickFormatter(span, units);
  return (
    <figure
      aria-label="Power per appliance over time, stacked"
      className="text-slate-600 dark:text-slate-300"
    >
      <AreaChart
        width={width}
        height={height}
        data={rows}
        margin={{ top: 8, right: 8, bottom: 0, left: 0 }}
      >
        <CartesianGrid strokeDasharray="3 3" className="stroke-slate-200 dark:stroke-slate-800" />
        <XAxis
          dataKey="t"
          type="number"
          scale="time"
          domain={['dataMin', 'dataMax']}
          tickFormatter={fmt}
          tick={{ fill: 'currentColor' }}
          minTickGap={40}
          fontSize={12}
        />
        <YAxis
          tickFormatter={(w: number) => formatPowerTick(w, units)}
          tick={{ fill: 'currentColor' }}
          width={64}
          fontSize={12}
        />
        <Tooltip
          labelFormatter={(t) => formatDateTime(Number(t), units)}
          formatter={(v, name) => [
            formatPower(typeof v === 'number' ? v : null, units),
            applianceLabel(String(name)),
          ]}
          contentStyle={{ fontSize: 12 }}
        />
        <Legend
          formatter={(name) => applianceLabel(String(name))}
          wrapperStyle={{ fontSize: 12 }}
        />
        {series.map((s) => (
          <Area
            key={s}
            dataKey={s}
            name={s}
            stackId="power"
            type="stepAfter"
            fill={seriesColor(s)}
            {...AREA_STYLE}
            isAnimationActive={false}
            dot={false}
          />
        ))}
      </AreaChart>
    </figure>
  );
}
