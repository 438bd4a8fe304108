// plot.mjs — a tiny line-plot renderer writing PNG with node:zlib (no dependencies), for the bench's
// scaling plot. 5×7 bitmap font (lowercase, digits, a few symbols), drawn at 2× scale.
import { deflateSync } from 'node:zlib';
import { crc32 } from '../scripts/pack-extension.mjs';

const FONT = {
  '0': [0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e], '1': [0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e],
  '2': [0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f], '3': [0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e],
  '4': [0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02], '5': [0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e],
  '6': [0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e], '7': [0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
  '8': [0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e], '9': [0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c],
  a: [0, 0, 0x0e, 0x01, 0x0f, 0x11, 0x0f], b: [0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x1e],
  c: [0, 0, 0x0e, 0x10, 0x10, 0x11, 0x0e], d: [0x01, 0x01, 0x0d, 0x13, 0x11, 0x11, 0x0f],
  e: [0, 0, 0x0e, 0x11, 0x1f, 0x10, 0x0e], f: [0x06, 0x09, 0x08, 0x1c, 0x08, 0x08, 0x08],
  g: [0, 0x0f, 0x11, 0x11, 0x0f, 0x01, 0x0e], h: [0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x11],
  i: [0x04, 0, 0x0c, 0x04, 0x04, 0x04, 0x0e], j: [0x02, 0, 0x06, 0x02, 0x02, 0x12, 0x0c],
  k: [0x10, 0x10, 0x12, 0x14, 0x18, 0x14, 0x12], l: [0x0c, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e],
  m: [0, 0, 0x1a, 0x15, 0x15, 0x11, 0x11], n: [0, 0, 0x16, 0x19, 0x11, 0x11, 0x11],
  o: [0, 0, 0x0e, 0x11, 0x11, 0x11, 0x0e], p: [0, 0, 0x1e, 0x11, 0x1e, 0x10, 0x10],
  q: [0, 0, 0x0d, 0x13, 0x0f, 0x01, 0x01], r: [0, 0, 0x16, 0x19, 0x10, 0x10, 0x10],
  s: [0, 0, 0x0e, 0x10, 0x0e, 0x01, 0x1e], t: [0x08, 0x08, 0x1c, 0x08, 0x08, 0x09, 0x06],
  u: [0, 0, 0x11, 0x11, 0x11, 0x13, 0x0d], v: [0, 0, 0x11, 0x11, 0x11, 0x0a, 0x04],
  w: [0, 0, 0x11, 0x11, 0x15, 0x15, 0x0a], x: [0, 0, 0x11, 0x0a, 0x04, 0x0a, 0x11],
  y: [0, 0, 0x11, 0x11, 0x0f, 0x01, 0x0e], z: [0, 0, 0x1f, 0x02, 0x04, 0x08, 0x1f],
  ' ': [0, 0, 0, 0, 0, 0, 0], '.': [0, 0, 0, 0, 0, 0x0c, 0x0c], ',': [0, 0, 0, 0, 0x0c, 0x04, 0x08],
  '(': [0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02], ')': [0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08],
  '-': [0, 0, 0, 0x1f, 0, 0, 0], '/': [0, 0x01, 0x02, 0x04, 0x08, 0x10, 0], ':': [0, 0x0c, 0x0c, 0, 0x0c, 0x0c, 0],
  '=': [0, 0, 0x1f, 0, 0x1f, 0, 0], '+': [0, 0x04, 0x04, 0x1f, 0x04, 0x04, 0], '%': [0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03],
};


function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** RGB image → PNG bytes (8-bit truecolour, filter 0). */
export function encodePng(width, height, rgb) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    Buffer.from(rgb.buffer, rgb.byteOffset + y * width * 3, width * 3).copy(raw, y * (width * 3 + 1) + 1);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

class Canvas {
  constructor(w, h) {
    this.w = w; this.h = h;
    this.px = new Uint8Array(w * h * 3).fill(255);
  }
  set(x, y, c) {
    x = Math.round(x); y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.w || y >= this.h) return;
    const i = (y * this.w + x) * 3;
    this.px[i] = c[0]; this.px[i + 1] = c[1]; this.px[i + 2] = c[2];
  }
  rect(x0, y0, x1, y1, c) {
    for (let y = Math.round(y0); y <= Math.round(y1); y++) for (let x = Math.round(x0); x <= Math.round(x1); x++) this.set(x, y, c);
  }
  line(x0, y0, x1, y1, c, width = 1, dash = 0) {
    const n = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0)));
    const r = (width - 1) / 2;
    for (let i = 0; i <= n; i++) {
      if (dash && Math.floor(i / dash) % 2 === 1) continue;
      const x = x0 + ((x1 - x0) * i) / n, y = y0 + ((y1 - y0) * i) / n;
      this.rect(x - r, y - r, x + r, y + r, c);
    }
  }
  text(x, y, s, c, scale = 2) {
    for (const ch of s.toLowerCase()) {
      const g = FONT[ch] || FONT[' '];
      for (let row = 0; row < 7; row++)
        for (let col = 0; col < 5; col++)
          if (g[row] & (0x10 >> col)) this.rect(x + col * scale, y + row * scale, x + col * scale + scale - 1, y + row * scale + scale - 1, c);
      x += 6 * scale;
    }
  }
  textWidth(s, scale = 2) { return s.length * 6 * scale; }
}

function niceStep(range, ticks) {
  const raw = range / ticks, p = 10 ** Math.floor(Math.log10(raw)), m = raw / p;
  return (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * p;
}

/**
 * Line plot → PNG bytes.
 * series: [{ name, color: [r,g,b], points: [[x, y], ...], dashed? }]
 */
export function linePlot({ title, xLabel, yLabel, series, width = 900, height = 560 }) {
  const cv = new Canvas(width, height);
  const L = 90, R = 30, T = 64, B = 70;
  const all = series.flatMap((s) => s.points);
  const xMax = Math.max(...all.map((p) => p[0])), yMax = Math.max(...all.map((p) => p[1]));
  const xs = niceStep(xMax, 8), ys = niceStep(yMax, 6);
  const X1 = Math.ceil(xMax / xs) * xs, Y1 = Math.ceil(yMax / ys) * ys;
  const px = (x) => L + ((width - L - R) * x) / X1, py = (y) => height - B - ((height - T - B) * y) / Y1;
  const grey = [225, 225, 225], black = [0, 0, 0];
  for (let y = 0; y <= Y1 + 1e-9; y += ys) {
    cv.line(L, py(y), width - R, py(y), grey);
    const s = String(+y.toPrecision(6));
    cv.text(L - 8 - cv.textWidth(s), py(y) - 7, s, black);
  }
  for (let x = 0; x <= X1 + 1e-9; x += xs) {
    cv.line(px(x), T, px(x), height - B, grey);
    const s = String(+x.toPrecision(6));
    cv.text(px(x) - cv.textWidth(s) / 2, height - B + 8, s, black);
  }
  cv.line(L, T, L, height - B, black, 2);
  cv.line(L, height - B, width - R, height - B, black, 2);
  cv.text((width - cv.textWidth(title)) / 2, 10, title, black);
  cv.text((width - cv.textWidth(xLabel)) / 2, height - 30, xLabel, black);
  cv.text(8, T - 22, yLabel, black);
  series.forEach((s, k) => {
    const pts = s.points.map(([x, y]) => [px(x), py(y)]);
    for (let i = 1; i < pts.length; i++) cv.line(pts[i - 1][0], pts[i - 1][1], pts[i][0], pts[i][1], s.color, s.dashed ? 1 : 2, s.dashed ? 6 : 0);
    if (!s.dashed) for (const [x, y] of pts) cv.rect(x - 3, y - 3, x + 3, y + 3, s.color);
    const ly = T + 10 + 22 * k;
    cv.line(L + 20, ly + 7, L + 50, ly + 7, s.color, s.dashed ? 1 : 3, s.dashed ? 6 : 0);
    cv.text(L + 58, ly, s.name, black);
  });
  return encodePng(width, height, cv.px);
}
