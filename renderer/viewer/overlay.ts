// Pixels of the canvas layers, computed per tile into RGBA words: the micrograph through its
// display window, segment fills with outlines, and a highlight bitmap for selected or hovered
// segments. Pure functions over typed arrays (no DOM), so they are measured and tested in Node.
import { segmentColor } from '../../app/labelmap';
import { parseHexColor } from '../../app/colour';
import type { Box, LabelMap, RasterImage, SegmentRecord } from '../../app/types';
import type { DisplayWindow } from '../../app/image/display';
import type { TileRect } from './tiles';

/** RGBA as one little-endian word: r | g << 8 | b << 16 | a << 24. */
export function packRGBA(r: number, g: number, b: number, a: number): number {
  return (r | (g << 8) | (b << 16) | (a << 24)) >>> 0;
}



/** A palette answer meaning "draw nothing for this segment" (never a colour: palette colours have no alpha bits). */
const HIDDEN = 0xff000000;

/** Segment colours (RGB words without alpha), by id or by class; a typed table for small ids. */
export class Palette {
  private table = new Uint32Array(0);
  private known = new Uint8Array(0);
  private readonly big = new Map<number, number>();
  private byClass: Map<number, number> | null = null;
  private classOf: ((id: number) => number | null) | null = null;
  private shown: ((id: number) => boolean) | null = null;

  /** Colour segments by their class (unclassified ones grey) instead of by id. */
  useClasses(classColours: Map<number, string> | null, classOf: ((id: number) => number | null) | null): void {
    this.byClass = classColours ? new Map([...classColours].map(([k, hex]) => [k, packRGBA(...parseHexColor(hex, [200, 200, 200]), 0)])) : null;
    this.classOf = classColours ? classOf : null;
    this.table = new Uint32Array(0);
    this.known = new Uint8Array(0);
    this.big.clear();
  }

  /** Draw only the segments `shown` accepts (e.g. only those with a predicted class); null draws all. */
  useFilter(shown: ((id: number) => boolean) | null): void {
    this.shown = shown;
  }

  colour(id: number): number {
    if (this.shown && !this.shown(id)) return HIDDEN;
    if (id < this.table.length && this.known[id]) return this.table[id]!;
    let c: number;
    if (this.byClass && this.classOf) {
      const cls = this.classOf(id);
      c = cls !== null ? (this.byClass.get(cls) ?? packRGBA(160, 160, 160, 0)) : packRGBA(128, 128, 128, 0);
    } else {
      const [r, g, b] = segmentColor(id);
      c = packRGBA(r, g, b, 0);
    }
    if (this.byClass) return c; // class colours change with edits: no caching
    if (id < 1 << 22) {
      if (id >= this.table.length) this.grow(id);
      this.table[id] = c;
      this.known[id] = 1;
    } else this.big.set(id, c);
    return c;
  }

  private grow(id: number): void {
    const n = Math.min(1 << 22, Math.max(1024, (id + 1) * 2));
    const t = new Uint32Array(n);
    t.set(this.table);
    const k = new Uint8Array(n);
    k.set(this.known);
    this.table = t;
    this.known = k;
  }
}

export interface OverlayStyle {
  /** 0..255 */
  fillAlpha: number;
  outlineAlpha: number;
}

/** Nearest samples of one bitmap row of a tile, with one sample of margin on each side; outside the image gives 0. */
function sampleRow(labels: LabelMap, r: TileRect, by: number, out: Uint32Array, offset: number): void {
  const { width: W, height: H, data } = labels;
  const step = r.step;
  const half = step >> 1;
  const y = r.y + by * step + half;
  const n = r.bw + 2;
  if (y < 0 || y >= H) {
    out.fill(0, offset, offset + n);
    return;
  }
  const row = y * W;
  if (step === 1) {
    // Level 0: a straight copy of the row, margins clipped at the image border.
    const x0 = r.x - 1;
    const a = Math.max(0, x0);
    const b = Math.min(W, x0 + n);
    if (a > x0) out.fill(0, offset, offset + (a - x0));
    out.set(data.subarray(row + a, row + b), offset + (a - x0));
    if (x0 + n > b) out.fill(0, offset + (b - x0), offset + n);
    return;
  }
  let x = r.x - step + half;
  for (let k = 0; k < n; k++, x += step) out[offset + k] = x >= 0 && x < W ? data[row + x]! : 0;
}

let scratch = new Uint32Array(0);

/**
 * Fills and outlines of the segments in one tile: a pixel is outline when one of its four
 * neighbouring samples holds another id (or none). `out` gets bw * bh RGBA words.
 */
export function renderOverlayTile(labels: LabelMap, r: TileRect, style: OverlayStyle, palette: Palette, out: Uint32Array): void {
  const sw = r.bw + 2;
  const n = sw * (r.bh + 2);
  if (scratch.length < n) scratch = new Uint32Array(n);
  const s = scratch;
  for (let by = -1; by <= r.bh; by++) sampleRow(labels, r, by, s, (by + 1) * sw);
  const fillA = (style.fillAlpha & 255) << 24;
  const lineA = (style.outlineAlpha & 255) << 24;
  const bw = r.bw;
  let lastId = -1;
  let fill = 0;
  let line = 0;
  for (let by = 0; by < r.bh; by++) {
    let k = (by + 1) * sw + 1;
    const end = k + bw;
    let o = by * bw;
    for (; k < end; k++, o++) {
      const id = s[k]!;
      if (id === 0) {
        out[o] = 0;
        continue;
      }
      if (id !== lastId) {
        lastId = id;
        const c = palette.colour(id);
        fill = fillA === 0 || c === HIDDEN ? 0 : c | fillA;
        line = c === HIDDEN ? 0 : c | lineA;
      }
      out[o] = s[k - 1] !== id || s[k + 1] !== id || s[k - sw] !== id || s[k + sw] !== id ? line : fill;
    }
  }
}

/** 8-bit display value per raw value for a window (65,536 entries for 16-bit images). */
export function displayLut(bitDepth: 8 | 16, win: DisplayWindow): Uint8Array {
  const size = bitDepth === 16 ? 65536 : 256;
  const lut = new Uint8Array(size);
  const span = Math.max(1e-9, win.high - win.low);
  for (let v = 0; v < size; v++) lut[v] = Math.max(0, Math.min(255, Math.round(((v - win.low) / span) * 255)));
  return lut;
}

let xsA = new Int32Array(0);
let xsB = new Int32Array(0);

/**
 * The micrograph in one tile through the display LUT. Coarser levels average 2x2 samples spread
 * over each block, which keeps sensor noise from aliasing into speckle when zoomed out.
 */
export function renderImageTile(raster: RasterImage, lut: Uint8Array, r: TileRect, out: Uint32Array): void {
  const { width: W, height: H, channels: C, data } = raster;
  const step = r.step;
  const bw = r.bw;
  // Sample columns (as element offsets in a row), clamped once per tile instead of per pixel.
  if (xsA.length < bw) {
    xsA = new Int32Array(bw);
    xsB = new Int32Array(bw);
  }
  const oa = step === 1 ? 0 : step >> 2;
  const ob = step === 1 ? 0 : (3 * step) >> 2;
  for (let bx = 0; bx < bw; bx++) {
    const x0 = r.x + bx * step;
    xsA[bx] = Math.min(W - 1, x0 + oa) * C;
    xsB[bx] = Math.min(W - 1, x0 + ob) * C;
  }
  const colour = C >= 3;
  for (let by = 0; by < r.bh; by++) {
    const y0 = r.y + by * step;
    const ra = Math.min(H - 1, y0 + oa) * W * C;
    const rb = Math.min(H - 1, y0 + ob) * W * C;
    let o = by * bw;
    if (step === 1) {
      if (colour) {
        for (let bx = 0; bx < bw; bx++, o++) {
          const p = ra + xsA[bx]!;
          out[o] = lut[data[p]!]! | (lut[data[p + 1]!]! << 8) | (lut[data[p + 2]!]! << 16) | 0xff000000;
        }
      } else {
        for (let bx = 0; bx < bw; bx++, o++) {
          const g = lut[data[ra + xsA[bx]!]!]!;
          out[o] = g | (g << 8) | (g << 16) | 0xff000000;
        }
      }
      continue;
    }
    if (colour) {
      for (let bx = 0; bx < bw; bx++, o++) {
        const a = ra + xsA[bx]!;
        const b = ra + xsB[bx]!;
        const c = rb + xsA[bx]!;
        const d = rb + xsB[bx]!;
        const red = (lut[data[a]!]! + lut[data[b]!]! + lut[data[c]!]! + lut[data[d]!]! + 2) >> 2;
        const grn = (lut[data[a + 1]!]! + lut[data[b + 1]!]! + lut[data[c + 1]!]! + lut[data[d + 1]!]! + 2) >> 2;
        const blu = (lut[data[a + 2]!]! + lut[data[b + 2]!]! + lut[data[c + 2]!]! + lut[data[d + 2]!]! + 2) >> 2;
        out[o] = red | (grn << 8) | (blu << 16) | 0xff000000;
      }
    } else {
      for (let bx = 0; bx < bw; bx++, o++) {
        const xa = xsA[bx]!;
        const xb = xsB[bx]!;
        const g = (lut[data[ra + xa]!]! + lut[data[ra + xb]!]! + lut[data[rb + xa]!]! + lut[data[rb + xb]!]! + 2) >> 2;
        out[o] = g | (g << 8) | (g << 16) | 0xff000000;
      }
    }
  }
}

export interface Highlight {
  box: Box;
  /** Sampling step: the bitmap is box / step pixels. */
  step: number;
  bw: number;
  bh: number;
  pixels: Uint32Array;
}

/**
 * A bitmap of one segment for the interaction layer: a light fill and an opaque outline, over its
 * bounding box, sampled so neither side exceeds `maxSide` pixels.
 */
export function segmentHighlight(labels: LabelMap, seg: SegmentRecord, fill: number, line: number, maxSide = 1024): Highlight | null {
  const box = seg.bbox;
  if (seg.area <= 0 || box.width <= 0 || box.height <= 0) return null;
  let step = 1;
  while (Math.max(box.width, box.height) / step > maxSide) step *= 2;
  const bw = Math.ceil(box.width / step);
  const bh = Math.ceil(box.height / step);
  const { width: W, height: H, data } = labels;
  const id = seg.id;
  const half = step >> 1;
  const at = (bx: number, by: number): boolean => {
    if (bx < 0 || by < 0 || bx >= bw || by >= bh) return false;
    const x = box.x + bx * step + half;
    const y = box.y + by * step + half;
    return x < W && y < H && data[y * W + x] === id;
  };
  const pixels = new Uint32Array(bw * bh);
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      if (!at(bx, by)) continue;
      const edge = !at(bx - 1, by) || !at(bx + 1, by) || !at(bx, by - 1) || !at(bx, by + 1);
      pixels[by * bw + bx] = edge ? line : fill;
    }
  }
  return { box, step, bw, bh, pixels };
}
