// Draws the installable app's icons from one shape (a white lightning bolt on the app's emerald)
// and writes them to apps/web/public/icons/: an SVG for the browser tab, PNGs at 192 and 512 px
// for the web app manifest, a maskable 512 px one (full bleed, the bolt inside the central 80 %
// circle that every mask keeps) and Apple's 180 px touch icon. No image library: the shapes are
// sampled 4x4 per pixel and written as an RGBA PNG with node:zlib. Run after changing the shape:
// `node scripts/make-icons.mjs` (the output is deterministic, so unchanged icons diff as nothing).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

const OUT = join(import.meta.dirname, '..', 'apps', 'web', 'public', 'icons');
/** Tailwind's emerald-600, the app's accent colour. */
const BACKGROUND = [5, 150, 105];
const FOREGROUND = [255, 255, 255];
/** The bolt, in a unit square (x right, y down), drawn around the centre. */
const BOLT = [
  [0.58, 0.12],
  [0.3, 0.55],
  [0.48, 0.55],
  [0.42, 0.88],
  [0.72, 0.43],
  [0.54, 0.43],
  [0.62, 0.12],
];

/** Even-odd rule point-in-polygon. */
function inPolygon(x, y, points) {
  let inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const [xi, yi] = points[i];
    const [xj, yj] = points[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function inRoundedSquare(x, y, radius) {
  const cx = Math.min(Math.max(x, radius), 1 - radius);
  const cy = Math.min(Math.max(y, radius), 1 - radius);
  return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2;
}

/** One icon design: the background's corner radius and the bolt's scale about the centre. */
function shape({ radius, scale }) {
  const bolt = BOLT.map(([x, y]) => [0.5 + (x - 0.5) * scale, 0.5 + (y - 0.5) * scale]);
  return { radius, bolt };
}

/** RGBA pixels of `design` at `size` px, each pixel the mean of 4x4 samples. */
function raster(size, { radius, bolt }) {
  const n = 4;
  const px = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let qx = 0; qx < size; qx++) {
      let bg = 0;
      let fg = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const x = (qx + (sx + 0.5) / n) / size;
          const y = (py + (sy + 0.5) / n) / size;
          if (!inRoundedSquare(x, y, radius)) continue;
          if (inPolygon(x, y, bolt)) fg++;
          else bg++;
        }
      }
      const covered = bg + fg;
      const o = (py * size + qx) * 4;
      if (covered === 0) continue;
      for (let c = 0; c < 3; c++)
        px[o + c] = Math.round((BACKGROUND[c] * bg + FOREGROUND[c] * fg) / covered);
      px[o + 3] = Math.round((255 * covered) / (n * n));
    }
  }
  return px;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A PNG (8-bit RGBA, no interlace, filter 0 on every row) of square `px`. */
function png(size, px) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++)
    px.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function svg({ radius, bolt }) {
  const hex = (c) => `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
  const points = bolt.map(([x, y]) => `${+(x * 512).toFixed(2)},${+(y * 512).toFixed(2)}`);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512"><rect width="512" height="512" rx="${radius * 512}" fill="${hex(BACKGROUND)}"/><polygon points="${points.join(' ')}" fill="${hex(FOREGROUND)}"/></svg>\n`;
}

const ANY = shape({ radius: 0.22, scale: 0.85 });
// Maskable: no transparent corners, and the bolt well inside the safe circle (radius 0.4).
const FULL_BLEED = shape({ radius: 0, scale: 0.7 });

mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'icon.svg'), svg(ANY));
for (const [name, size, design] of [
  ['icon-192.png', 192, ANY],
  ['icon-512.png', 512, ANY],
  ['maskable-512.png', 512, FULL_BLEED],
  ['apple-touch-icon.png', 180, FULL_BLEED],
]) {
  writeFileSync(join(OUT, name), png(size, raster(size, design)));
  console.log(`${name}: ${size}x${size}`);
}
