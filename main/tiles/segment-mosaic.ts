// Classic phase-mode segmentation of a mosaic over the decode limit, region by region, never
// holding the whole raster: the thresholds are decided from a nearest-neighbour sample of about
// 16 MP (libvips reads it from the file), then the image is read through sharp in 2048 px tiles
// with a margin and each tile is classified and cleaned by app/classic/tiled.ts's phaseTile. A
// first sweep joins the regions that tile borders cut (8-connected, same class) by a union of ids
// over each border, keeping only the last row of tiles' bottom line and the previous tile's right
// column; a second sweep classifies each tile again (the same result) and writes it, with the
// final ids, into the image's label tiles as one undoable step. What is labelled already (a
// person's strokes, an earlier result) stays exactly as it was: a new region that touches a
// labelled pixel is left out. A cancel in either sweep leaves the labels as they were.
import sharp from 'sharp';
import { ServiceError } from '../../app/errors';
import type { GreyImage } from '../../app/types';
import { gaussianBlur } from '../../app/classic/filters';
import { phaseRule, type ClassicSettings } from '../../app/classic';
import { neededOverlap, phaseTile } from '../../app/classic/tiled';
import { UnionFind } from '../../app/classic/components';
import type { LabelTileStore } from './label-tiles';

export interface MosaicFile {
  file: string;
  page: number;
  width: number;
  height: number;
  name: string;
}

export interface MosaicOutcome {
  /** Segments written. */
  segments: number;
  /** Regions found where something was labelled already, left out. */
  leftOut: number;
  thresholds: number[];
}

/** Core size of the tiles read from the file (a multiple of the 1024 px label tiles). */
const TILE = 2048;
/** Pixels in the sample the thresholds are decided from. */
const SAMPLE_PIXELS = 16e6;

function grey(data: Buffer, width: number, height: number): GreyImage {
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, width * height) };
}

/** A window of the file as 8-bit grey (libvips' conversion, as the tiled view shows it). */
async function readWindow(src: MosaicFile, x: number, y: number, w: number, h: number): Promise<GreyImage> {
  const { data, info } = await sharp(src.file, { page: src.page, limitInputPixels: false })
    .extract({ left: x, top: y, width: w, height: h })
    .removeAlpha()
    .toColourspace('b-w')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true })
    .catch((e: unknown) => {
      throw new ServiceError('bad-image', `${src.name}: the pixels at ${x},${y} (${w} x ${h} px) could not be read (${e instanceof Error ? e.message : String(e)}). The file may be damaged or truncated: import it again from the original.`);
    });
  if (info.width !== w || info.height !== h || info.channels !== 1) throw new ServiceError('bad-image', `${src.name}: reading ${w} x ${h} px at ${x},${y} gave ${info.width} x ${info.height} x ${info.channels}.`);
  return grey(data, w, h);
}

export async function segmentMosaic(src: MosaicFile, store: LabelTileStore, options: ClassicSettings, signal: AbortSignal, progress: (fraction: number, stage: string) => void): Promise<MosaicOutcome> {
  if ((options.mode ?? 'phase') !== 'phase') throw new ServiceError('invalid-argument', `${src.name} is over the decode limit: only the classic engine's phase mode segments it (tile by tile). Choose phase mode.`);
  const { width, height } = src;
  const check = () => {
    if (signal.aborted) throw new ServiceError('cancelled', 'Segmentation was cancelled.');
  };
  // The thresholds, from every f-th pixel in each direction.
  progress(0, 'sampling intensities');
  const f = Math.max(1, Math.ceil(Math.sqrt((width * height) / SAMPLE_PIXELS)));
  const sw = Math.ceil(width / f);
  const sh = Math.ceil(height / f);
  const s = await sharp(src.file, { page: src.page, limitInputPixels: false })
    .removeAlpha()
    .toColourspace('b-w')
    .resize(sw, sh, { kernel: 'nearest', fit: 'fill' })
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  check();
  const sigma = options.sigma ?? 0;
  const sample = grey(s.data, s.info.width, s.info.height);
  const rule = phaseRule(sigma > 0 ? gaussianBlur(sample, sigma / f) : sample, options);
  const background = options.labelBackground ? null : options.invert ? rule.classes - 1 : 0;
  const minArea = options.minArea ?? 16;
  const halo = neededOverlap(options, 64);
  const cols = Math.ceil(width / TILE);
  const rows = Math.ceil(height / TILE);
  const tiles = rows * cols;

  const classify = async (tx: number, ty: number) => {
    const x0 = tx * TILE;
    const y0 = ty * TILE;
    const cw = Math.min(width, x0 + TILE) - x0;
    const ch = Math.min(height, y0 + TILE) - y0;
    const ex0 = Math.max(0, x0 - halo);
    const ey0 = Math.max(0, y0 - halo);
    const window = await readWindow(src, ex0, ey0, Math.min(width, x0 + cw + halo) - ex0, Math.min(height, y0 + ch + halo) - ey0);
    const smoothed = sigma > 0 ? gaussianBlur(window, sigma) : window;
    const { core, local } = phaseTile(smoothed, rule, minArea, x0 - ex0, y0 - ey0, cw, ch, background);
    return { x0, y0, cw, ch, core, labels: local.labels, count: local.count };
  };

  // Sweep 1: ids over the whole image (tile base + local id), their class, whether they touch a
  // labelled pixel, joined across borders.
  const sets = new UnionFind(1024);
  const find = (a: number): number => sets.find(a);
  const cls: number[] = [0];
  const taken: boolean[] = [false];
  const join = (a: number, b: number) => {
    if (a === 0 || b === 0 || cls[a] !== cls[b]) return;
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) return;
    taken[sets.union(ra, rb)] = taken[ra]! || taken[rb]!;
  };
  let prevBottom = new Uint32Array(width);
  let curBottom = new Uint32Array(width);
  let next = 0;
  const bases: number[] = [];
  for (let ty = 0; ty < rows; ty++) {
    let leftCol: Uint32Array | null = null;
    for (let tx = 0; tx < cols; tx++) {
      check();
      progress((0.5 * (ty * cols + tx)) / tiles, `finding regions, tile ${ty * cols + tx + 1} of ${tiles}`);
      const t = await classify(tx, ty);
      const base = next;
      bases.push(base);
      for (let l = 1; l <= t.count; l++) {
        sets.make(); // id base + l
        cls.push(0);
        taken.push(false);
      }
      next += t.count;
      const existing = store.sample(t.x0, t.y0, 1, t.cw, t.ch);
      for (let i = 0; i < t.labels.length; i++) {
        const l = t.labels[i]!;
        if (l === 0) continue;
        cls[base + l] = t.core[i]!;
        if (existing && existing[i] !== 0) taken[base + l] = true;
      }
      const id = (x: number, y: number) => {
        const l = t.labels[y * t.cw + x]!;
        return l === 0 ? 0 : base + l;
      };
      if (leftCol) {
        for (let y = 0; y < t.ch; y++) for (let dy = -1; dy <= 1; dy++) if (y + dy >= 0 && y + dy < t.ch) join(id(0, y), leftCol[y + dy]!);
      }
      if (ty > 0) {
        for (let x = 0; x < t.cw; x++) for (let dx = -1; dx <= 1; dx++) if (t.x0 + x + dx >= 0 && t.x0 + x + dx < width) join(id(x, 0), prevBottom[t.x0 + x + dx]!);
      }
      leftCol = new Uint32Array(t.ch);
      for (let y = 0; y < t.ch; y++) leftCol[y] = id(t.cw - 1, y);
      for (let x = 0; x < t.cw; x++) curBottom[t.x0 + x] = id(x, t.ch - 1);
    }
    [prevBottom, curBottom] = [curBottom, prevBottom];
  }
  for (let i = 1; i <= next; i++) if (taken[i]) taken[find(i)] = true;
  let segments = 0;
  let leftOut = 0;
  for (let i = 1; i <= next; i++) {
    if (find(i) !== i) continue;
    if (taken[i]) leftOut++;
    else segments++;
  }

  // Sweep 2: the final ids (the store's next ones, in the order met), written tile by tile.
  const first = store.nextId;
  const finalId = new Map<number, number>();
  async function* blocks() {
    for (let ty = 0; ty < rows; ty++) {
      for (let tx = 0; tx < cols; tx++) {
        check();
        progress(0.5 + (0.5 * (ty * cols + tx)) / tiles, `writing labels, tile ${ty * cols + tx + 1} of ${tiles}`);
        const t = await classify(tx, ty);
        const base = bases[ty * cols + tx]!;
        const out = new Uint32Array(t.cw * t.ch);
        for (let i = 0; i < out.length; i++) {
          const l = t.labels[i]!;
          if (l === 0) continue;
          const r = find(base + l);
          if (taken[r]) continue;
          let v = finalId.get(r);
          if (v === undefined) finalId.set(r, (v = first + finalId.size));
          out[i] = v;
        }
        yield { x: t.x0, y: t.y0, width: t.cw, height: t.ch, data: out };
      }
    }
  }
  await store.fill(blocks(), first + segments - 1);
  progress(1, `${segments} segments`);
  return { segments, leftOut, thresholds: rule.kind === 'otsu' ? rule.thresholds : [] };
}
