/**
 * The stacked per-appliance power chart. It measures its own width and reports it, so the page
 * can ask the API for about one point per pixel (`resolution=auto&points=<width>`): 30 days at
 * 1-minute resolution would be 43 200 points, which no phone needs to draw.
 */
import { useEffect, useRef, useState } from 'react';
import { Area, AreaChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from 'recharts';
import type { ChartRow } from '../lib/chart.data.js';
import { seriesColor } from '../lib/colors.js';
import { applianceLabel, formatPower } from '../lib/format.js';

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

function tickFormatter(spanMs: number) {
  return (t: number) => {
    const d = new Date(t);
    return spanMs > 2 * 86_400_000
      ? d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })
      : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  };
}

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
  const span = rows.length > 1 ? rows[rows.length - 1]!.t - rows[0]!.t : 0;
  const fmt = tickFormatter(span);
  return (
    <figure aria-label="Power per appliance over time, stacked">
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
          minTickGap={40}
          fontSize={12}
        />
        <YAxis tickFormatter={(w: number) => formatPower(w)} width={64} fontSize={12} />
        <Tooltip
          labelFormatter={(t) => new Date(Number(t)).toLocaleString()}
          formatter={(v, name) => [
            formatPower(typeof v === 'number' ? v : null),
            applianceLabel(String(name)),
          ]}
          contentStyle={{ fontSize: 12 }}
        />
        <Legend
          formatter={(name) => applianceLabel(String(name))}
          wrapperStyle={{ fontSize: 12 }}
        />
        {series.map((s, i) => (
          <Area
            key={s}
            dataKey={s}
            name={s}
            stackId="power"
            type="stepAfter"
            stroke={seriesColor(s, i)}
            fill={seriesColor(s, i)}
            fillOpacity={0.6}
            isAnimationActive={false}
            dot={false}
          />
        ))}
      </AreaChart>
    </figure>
  );
}
