/**
 * A reliability diagram (DeGroot & Fienberg 1983; as in Guo et al. 2017, "On calibration of
 * modern neural networks") as a small standalone SVG: per tenth of on_prob, the share of minutes
 * truly on against the mean on_prob, with the diagonal of perfect calibration and, below, how
 * many minutes each tenth holds (log scale).
 */
import type { ApplianceScores } from './evaluate.js';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** The SVG of one appliance's reliability bins (`nilm eval` report field `reliability`). */
export function reliabilitySvg(
  title: string,
  rel: NonNullable<ApplianceScores['reliability']>,
): string {
  const W = 320;
  const x0 = 44;
  const y0 = 28;
  const S = 240;
  const hh = 50;
  const X = (p: number): number => x0 + p * S;
  const Y = (v: number): number => y0 + (1 - v) * S;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y0 + S + hh + 44}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${x0}" y="16" font-size="12" font-weight="bold">${esc(title)} (ECE ${rel.ece.toFixed(3)})</text>`,
    `<rect x="${x0}" y="${y0}" width="${S}" height="${S}" fill="none" stroke="#999"/>`,
    `<line x1="${X(0)}" y1="${Y(0)}" x2="${X(1)}" y2="${Y(1)}" stroke="#bbb" stroke-dasharray="4 3"/>`,
  );
  for (let k = 0; k <= 10; k += 2) {
    const v = k / 10;
    parts.push(
      `<text x="${X(v)}" y="${y0 + S + 13}" text-anchor="middle">${v.toFixed(1)}</text>`,
      `<text x="${x0 - 4}" y="${Y(v) + 4}" text-anchor="end">${v.toFixed(1)}</text>`,
    );
  }
  const maxN = Math.max(1, ...rel.n);
  const pts: string[] = [];
  for (let k = 0; k < 10; k++) {
    const n = rel.n[k]!;
    // Bars: the observed share in each tenth; a dot at (mean on_prob, share on).
    if (n > 0) {
      const on = rel.on[k]!;
      const p = rel.p[k]!;
      parts.push(
        `<rect x="${X(k / 10) + 2}" y="${Y(on)}" width="${S / 10 - 4}" height="${Y(0) - Y(on)}" fill="#93c5fd" opacity="0.6"/>`,
      );
      pts.push(`${X(p).toFixed(1)},${Y(on).toFixed(1)}`);
      parts.push(`<circle cx="${X(p).toFixed(1)}" cy="${Y(on).toFixed(1)}" r="3" fill="#2563eb"/>`);
    }
    const h = n > 0 ? (Math.log10(n + 1) / Math.log10(maxN + 1)) * hh : 0;
    parts.push(
      `<rect x="${X(k / 10) + 2}" y="${y0 + S + 20 + hh - h}" width="${S / 10 - 4}" height="${h}" fill="#9ca3af"/>`,
    );
  }
  if (pts.length > 1)
    parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="#2563eb"/>`);
  parts.push(
    `<text x="${x0 + S / 2}" y="${y0 + S + hh + 38}" text-anchor="middle">on_prob (bars: share truly on; grey: minutes per tenth, log)</text>`,
    `<text x="12" y="${y0 + S / 2}" transform="rotate(-90 12 ${y0 + S / 2})" text-anchor="middle">share on</text>`,
    '</svg>',
  );
  return parts.join('\n') + '\n';
}
