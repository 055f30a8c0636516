/**
 * The stacked per-appliance power chart. It measures its own width and reports it, so the page
 * can ask the API for about one point per pixel (`resolution=auto&points=<width>`): 30 days at
 * 1-minute resolution would be 43 200 points, which no phone needs to draw.
 */
import { useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  Area,
  AreaChart,
  CartesianGrid,
  Legend,
  ReferenceArea,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { markedGaps, NO_READINGS_UNTIL, type ChartRow, type Gap } from '../lib/chart.data.js';
import { seriesColor } from '../lib/colors.js';
import { i18n } from '../i18n/i18n.setup.js';
import {
  applianceName,
  formatDateTime,
  formatDayMonth,
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
  return (t: number) => (spanMs > 2 * 86_400_000 ? formatDayMonth(t) : formatTime(t, units));
}

/**
 * The areas are fill only. With an outline, the top series' line traces the whole stack, so a
 * spike one bucket wide in a lower series showed the top series' colour (its outline) rather
 * than its own; unstroked, every band shows only its own colour, however thin.
 */
export const AREA_STYLE = { stroke: 'none', strokeWidth: 0, fillOpacity: 0.75 } as const;

/** The hatch that marks a stretch without readings, in the text colour (so it suits dark mode). */
function NoReadingsPattern({ id }: { id: string }) {
  return (
    <pattern
      id={id}
      width={8}
      height={8}
      patternUnits="userSpaceOnUse"
      patternTransform="rotate(45)"
    >
      <rect width={8} height={8} fill="currentColor" fillOpacity={0.05} />
      <line
        x1={0}
        y1={0}
        x2={0}
        y2={8}
        stroke="currentColor"
        strokeOpacity={0.35}
        strokeWidth={3}
      />
    </pattern>
  );
}

/** "No readings 1/2/2026, 10:05 – 1/2/2026, 12:40": a gap's span for its title and the tooltip. */
function gapTitle(gap: Gap, fmt: (t: number) => string): string {
  return i18n.t('powerChart.gap', { from: fmt(gap.from), to: fmt(gap.to) });
}

/** A labelled span drawn on the chart: "this was it" (on) or "nothing of it here" (off). */
export interface ChartMark {
  key: string;
  from: number;
  to: number;
  kind: 'on' | 'off';
  title: string;
}

/** The x value (epoch ms) under the pointer, from recharts' mouse handler argument. */
function xOf(state: { activeLabel?: string | number } | null | undefined): number | null {
  const v = Number(state?.activeLabel);
  return state?.activeLabel === undefined || !Number.isFinite(v) ? null : v;
}

export function StackedPowerChart({
  rows,
  series,
  width,
  height = 280,
  marks = [],
  onSelectSpan,
}: {
  rows: ChartRow[];
  series: string[];
  width: number;
  height?: number;
  /** Labelled spans to shade. */
  marks?: readonly ChartMark[];
  /** When given, a drag across the chart selects a span (epoch ms, from < to). */
  onSelectSpan?: (span: { from: number; to: number }) => void;
}) {
  const { t } = useTranslation();
  const [drag, setDrag] = useState<{ from: number; to: number } | null>(null);
  const dragRef = useRef<{ from: number; to: number } | null>(null);
  const { units } = useSettings().settings;
  const span = rows.length > 1 ? rows[rows.length - 1]!.t - rows[0]!.t : 0;
  const fmt = tickFormatter(span, units);
  const gaps = markedGaps(rows);
  // useId's characters are not all safe inside url(#...).
  const patternId = `no-readings-${useId().replace(/[^\w-]/g, '')}`;
  const when = (t: number) => formatDateTime(t, units);
  return (
    <figure aria-label={t('powerChart.figure')} className="text-slate-600 dark:text-slate-300">
      <AreaChart
        width={width}
        height={height}
        data={rows}
        margin={{ top: 8, right: 8, bottom: 0, left: 0 }}
        {...(onSelectSpan && {
          className: 'cursor-crosshair select-none',
          // recharts calls these a frame later: the drag lives in a ref, the state only draws it.
          onMouseDown: (state) => {
            const x = xOf(state);
            dragRef.current = x === null ? null : { from: x, to: x };
            setDrag(dragRef.current);
          },
          onMouseMove: (state) => {
            const x = xOf(state);
            if (!dragRef.current || x === null) return;
            dragRef.current = { ...dragRef.current, to: x };
            setDrag(dragRef.current);
          },
          onMouseUp: (state) => {
            const d = dragRef.current;
            const to = xOf(state) ?? d?.to;
            if (d && to !== undefined && to !== d.from)
              onSelectSpan({ from: Math.min(d.from, to), to: Math.max(d.from, to) });
            dragRef.current = null;
            setDrag(null);
          },
          onMouseLeave: () => {
            dragRef.current = null;
            setDrag(null);
          },
        })}
      >
        <defs>
          <NoReadingsPattern id={patternId} />
        </defs>
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
          labelFormatter={(t, payload) => {
            const until = (payload[0]?.payload as ChartRow | undefined)?.[NO_READINGS_UNTIL];
            return typeof until === 'number'
              ? gapTitle({ from: Number(t), to: until }, when)
              : when(Number(t));
          }}
          formatter={(v, name) => [
            formatPower(typeof v === 'number' ? v : null, units),
            applianceName(String(name)),
          ]}
          // The tooltip's box is white in both themes; series colours as text fail contrast there.
          contentStyle={{ fontSize: 12, backgroundColor: '#fff', color: '#0f172a' }}
          labelStyle={{ color: '#334155' }}
          itemStyle={{ color: '#0f172a' }}
        />
        <Legend formatter={(name) => applianceName(String(name))} wrapperStyle={{ fontSize: 12 }} />
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
        {gaps.map((g) => (
          <ReferenceArea
            key={g.from}
            x1={g.from}
            x2={g.to}
            ifOverflow="hidden"
            fill={`url(#${patternId})`}
            stroke="none"
            shape={({ x, y, width: w, height: h }) => (
              <rect
                x={x}
                y={y}
                width={w}
                height={h}
                fill={`url(#${patternId})`}
                className="no-readings"
              >
                <title>{gapTitle(g, when)}</title>
              </rect>
            )}
          />
        ))}
        {marks.map((m) => (
          <ReferenceArea
            key={m.key}
            x1={m.from}
            x2={m.to}
            ifOverflow="hidden"
            shape={({ x, y, width: w, height: h }) => (
              <rect
                x={x}
                y={y}
                width={w}
                height={h}
                fill={m.kind === 'on' ? '#10b981' : '#64748b'}
                fillOpacity={0.18}
                stroke={m.kind === 'on' ? '#047857' : '#475569'}
                strokeDasharray={m.kind === 'on' ? undefined : '4 3'}
                className={`label-mark label-${m.kind}`}
              >
                <title>{m.title}</title>
              </rect>
            )}
          />
        ))}
        {drag && drag.from !== drag.to && (
          <ReferenceArea
            x1={Math.min(drag.from, drag.to)}
            x2={Math.max(drag.from, drag.to)}
            fill="#f59e0b"
            fillOpacity={0.25}
            ifOverflow="hidden"
          />
        )}
      </AreaChart>
      {gaps.length > 0 && (
        <figcaption className="mt-1 flex items-center gap-1.5 text-xs">
          <svg width={14} height={14} aria-hidden="true" className="shrink-0 rounded-sm">
            <rect
              x={0.5}
              y={0.5}
              width={13}
              height={13}
              fill={`url(#${patternId})`}
              stroke="currentColor"
              strokeOpacity={0.4}
            />
          </svg>
          {gaps.length === 1
            ? gapTitle(gaps[0]!, when)
            : t('powerChart.gaps', { count: gaps.length })}
          {t('powerChart.gapDrawn')}
        </figcaption>
      )}
    </figure>
  );
}
