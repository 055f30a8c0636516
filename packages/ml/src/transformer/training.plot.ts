/** Training curves as a small standalone SVG (no plotting dependency): losses and per-head F1. */

export interface CurveSeries {
  label: string;
  values: Array<number | null>;
}

const COLORS = [
  '#2563eb',
  '#dc2626',
  '#16a34a',
  '#9333ea',
  '#ea580c',
  '#0891b2',
  '#ca8a04',
  '#db2777',
];

function panel(
  title: string,
  xs: number[],
  series: CurveSeries[],
  x0: number,
  y0: number,
  w: number,
  h: number,
  log: boolean,
): string {
  const vals = series.flatMap((s) =>
    s.values.filter((v): v is number => v !== null && Number.isFinite(v) && (!log || v > 0)),
  );
  if (vals.length === 0 || xs.length === 0) return '';
  const tf = (v: number): number => (log ? Math.log10(v) : v);
  let lo = Math.min(...vals.map(tf));
  let hi = Math.max(...vals.map(tf));
  if (hi - lo < 1e-9) {
    lo -= 0.5;
    hi += 0.5;
  }
  const xMax = Math.max(...xs);
  const px = (x: number): number =>
    x0 + 40 + ((x - Math.min(...xs)) / Math.max(1e-9, xMax - Math.min(...xs))) * (w - 60);
  const py = (v: number): number => y0 + h - 30 - ((tf(v) - lo) / (hi - lo)) * (h - 60);
  const fmt = (v: number): string => (log ? (10 ** v).toPrecision(2) : v.toFixed(2));
  let out = `<text x="${x0 + w / 2}" y="${y0 + 16}" text-anchor="middle" font-size="13">${title}</text>`;
  out += `<line x1="${x0 + 40}" y1="${y0 + h - 30}" x2="${x0 + w - 20}" y2="${y0 + h - 30}" stroke="#999"/>`;
  out += `<line x1="${x0 + 40}" y1="${y0 + 30}" x2="${x0 + 40}" y2="${y0 + h - 30}" stroke="#999"/>`;
  out += `<text x="${x0 + 36}" y="${y0 + 34}" text-anchor="end" font-size="10">${fmt(hi)}</text>`;
  out += `<text x="${x0 + 36}" y="${y0 + h - 30}" text-anchor="end" font-size="10">${fmt(lo)}</text>`;
  out += `<text x="${x0 + w - 20}" y="${y0 + h - 14}" text-anchor="end" font-size="10">epoch ${xMax}</text>`;
  series.forEach((s, k) => {
    const pts = s.values
      .map((v, i) =>
        v === null || !Number.isFinite(v) || (log && v <= 0)
          ? null
          : `${px(xs[i]!).toFixed(1)},${py(v).toFixed(1)}`,
      )
      .filter((p): p is string => p !== null);
    const color = COLORS[k % COLORS.length]!;
    if (pts.length > 0)
      out += `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${pts.join(' ')}"/>`;
    out += `<text x="${x0 + 50 + (k % 3) * ((w - 60) / 3)}" y="${y0 + h - 2 - 0}" font-size="10" fill="${color}" dy="${-Math.floor(k / 3) * 0}">${s.label}</text>`;
  });
  return out;
}

/** An SVG with two panels: losses (log scale) and per-head validation F1. */
export function trainingCurvesSvg(
  epochs: number[],
  losses: CurveSeries[],
  f1: CurveSeries[],
): string {
  const w = 520;
  const h = 300;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * w}" height="${h}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    panel('loss (log scale)', epochs, losses, 0, 0, w, h, true),
    panel('validation F1 per head', epochs, f1, w, 0, w, h, false),
    '</svg>',
  ].join('\n');
}
