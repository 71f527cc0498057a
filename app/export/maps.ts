// Mask maps for PNG export and import: 16-bit instance maps, 8-bit semantic maps with a palette,
// colour previews, 1-px grain-boundary maps, and grains from a binary grain-boundary map.
import type { ClassRecord, GreyImage, LabelMap, RasterImage } from '../types';
import { markBoundaries, segmentColor } from '../labelmap';
import { labelMaskComponents } from '../classic/components';
import { parseHexColor } from '../colour';

interface InstanceMap16 {
  width: number;
  height: number;
  data: Uint16Array;
  /** Original id of each value when ids had to be renumbered (ids[value - 1]); null when kept as is. */
  ids: Uint32Array | null;
}

/**
 * 16-bit instance map (0 = none). Ids are kept when they all fit in 16 bits; otherwise they are
 * renumbered 1..n in ascending order. More than 65535 segments cannot fit: the error says to
 * export tiles or COCO RLE instead.
 */
export function instanceMap16(map: LabelMap, name = 'this image'): InstanceMap16 {
  const { width, height, data } = map;
  let max = 0;
  for (let i = 0; i < data.length; i++) if (data[i]! > max) max = data[i]!;
  const out = new Uint16Array(data.length);
  if (max <= 0xffff) {
    out.set(data);
    return { width, height, data: out, ids: null };
  }
  const present = new Set<number>();
  let last = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v !== last) {
      present.add(v);
      last = v;
    }
  }
  present.delete(0);
  if (present.size > 0xffff) {
    throw new Error(
      `${name} has ${present.size} segments, but a 16-bit instance PNG holds at most 65535; export it in tiles (tile size option) or as COCO RLE instead`,
    );
  }
  const ids = Uint32Array.from([...present].sort((a, b) => a - b));
  const to = new Map<number, number>();
  ids.forEach((id, i) => to.set(id, i + 1));
  let lastIn = 0;
  let lastOut = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v === 0) continue;
    if (v !== lastIn) {
      lastIn = v;
      lastOut = to.get(v)!;
    }
    out[i] = lastOut;
  }
  return { width, height, data: out, ids };
}

interface SemanticMap8 {
  width: number;
  height: number;
  /** `none` = no segment, the class's value (semanticValues) = that class, `unclassified` = segment without a class. */
  data: Uint8Array;
  /** 256 RGB triples for an indexed PNG: none black, classes in their colours, unclassified white. */
  palette: Uint8Array;
  values: { value: number; classId: number | null; name: string }[];
}

interface SemanticValues {
  /** Byte of each class. */
  valueOf: Map<number, number>;
  /** Byte of pixels without a segment (0, or the unclassified byte when a class holds 0). */
  none: number;
  unclassified: number;
}

/**
 * The byte of each class in an 8-bit semantic map: its own label value (kept from an imported map)
 * when it has one in 0..254 that no earlier class took, else the smallest free byte from 1 on.
 * No segment is 0 unless a class holds 0 (then it shares the unclassified byte, both "ignore");
 * unclassified is `unclassified` (default 255), or the highest free byte when a class holds it.
 */
function semanticValues(classes: readonly ClassRecord[], unclassified?: number): SemanticValues {
  if (classes.length > 254) throw new Error(`an 8-bit semantic map holds at most 254 classes, the project has ${classes.length}`);
  const valueOf = new Map<number, number>();
  const used = new Set<number>();
  for (const c of classes) {
    const v = c.value;
    if (v !== null && v !== undefined && v >= 0 && v <= 254 && !used.has(v)) {
      valueOf.set(c.id, v);
      used.add(v);
    }
  }
  let next = 1;
  for (const c of classes) {
    if (valueOf.has(c.id)) continue;
    while (used.has(next)) next++;
    valueOf.set(c.id, next);
    used.add(next);
  }
  let u: number;
  if (unclassified !== undefined) {
    if (!Number.isInteger(unclassified) || unclassified < 0 || unclassified > 255 || used.has(unclassified)) {
      throw new Error(`unclassified value ${unclassified} must be a byte not used by a class (classes use ${[...used].sort((a, b) => a - b).join(', ')})`);
    }
    u = unclassified;
  } else {
    u = 255;
    while (used.has(u)) u--;
  }
  return { valueOf, none: used.has(0) ? u : 0, unclassified: u };
}

/**
 * 8-bit semantic (phase) map: each segment's pixels get its class's byte (semanticValues), pixels
 * of no segment `none`, segments without a class `unclassifiedValue` (default 255, the usual
 * "ignore" index in training code).
 */
export function semanticMap8(
  map: LabelMap,
  classOf: ReadonlyMap<number, number | null>,
  classes: readonly ClassRecord[],
  options: { unclassifiedValue?: number } = {},
): SemanticMap8 {
  const sv = semanticValues(classes, options.unclassifiedValue);
  const unclassified = sv.unclassified;
  const { width, height, data } = map;
  const out = new Uint8Array(data.length);
  if (sv.none !== 0) out.fill(sv.none);
  let lastId = 0;
  let lastVal = 0;
  for (let i = 0; i < data.length; i++) {
    const id = data[i]!;
    if (id === 0) continue;
    if (id !== lastId) {
      lastId = id;
      const c = classOf.get(id);
      lastVal = c === null || c === undefined ? unclassified : (sv.valueOf.get(c) ?? unclassified);
    }
    out[i] = lastVal;
  }
  const palette = new Uint8Array(768);
  palette.set([255, 255, 255], unclassified * 3);
  classes.forEach((c) => palette.set(parseHexColor(c.color), sv.valueOf.get(c.id)! * 3));
  const values: SemanticMap8['values'] = classes.map((c) => ({ value: sv.valueOf.get(c.id)!, classId: c.id, name: c.name }));
  if (sv.none === unclassified) values.push({ value: unclassified, classId: null, name: 'none or unclassified' });
  else values.push({ value: sv.none, classId: null, name: 'none' }, { value: unclassified, classId: null, name: 'unclassified' });
  values.sort((a, b) => a.value - b.value);
  return { width, height, data: out, palette, values };
}

/** RGB preview of a semantic map through its palette. */
export function semanticPreviewRgb(sem: SemanticMap8): RasterImage {
  const out = new Uint8Array(sem.data.length * 3);
  for (let i = 0; i < sem.data.length; i++) {
    const p = sem.data[i]! * 3;
    out[3 * i] = sem.palette[p]!;
    out[3 * i + 1] = sem.palette[p + 1]!;
    out[3 * i + 2] = sem.palette[p + 2]!;
  }
  return { width: sem.width, height: sem.height, channels: 3, bitDepth: 8, data: out };
}

/** RGB preview of instances: each id in its overlay colour (labelmap.segmentColor), 0 black. */
export function instancePreviewRgb(map: LabelMap): RasterImage {
  const { width, height, data } = map;
  const out = new Uint8Array(data.length * 3);
  const cache = new Map<number, [number, number, number]>();
  let lastId = 0;
  let rgb: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < data.length; i++) {
    const id = data[i]!;
    if (id === 0) continue;
    if (id !== lastId) {
      lastId = id;
      let c = cache.get(id);
      if (!c) cache.set(id, (c = segmentColor(id)));
      rgb = c;
    }
    out[3 * i] = rgb[0];
    out[3 * i + 1] = rgb[1];
    out[3 * i + 2] = rgb[2];
  }
  return { width, height, channels: 3, bitDepth: 8, data: out };
}

interface BoundaryMapOptions {
  /**
   * 'one-side' (default): for each pair of 4-neighbours with different ids, the left/upper pixel
   * is marked, so lines are 1 px wide and lie on the left/top side of each boundary; 4-connected
   * non-boundary regions then never join two segments. 'both-sides': both pixels (2 px lines).
   */
  side?: 'one-side' | 'both-sides';
  /** Also mark boundaries between a segment and id 0 (default true). */
  includeBackground?: boolean;
  /** Also mark the outermost pixel ring of the image (default false). */
  imageBorder?: boolean;
}

/** Grain-boundary map, 255 = boundary, 0 = interior. */
export function boundaryMap(map: LabelMap, options: BoundaryMapOptions = {}): GreyImage & { data: Uint8Array } {
  const { width: w, height: h } = map;
  const out = markBoundaries(map, { bothSides: options.side === 'both-sides', includeBackground: options.includeBackground ?? true, value: 255 });
  if (options.imageBorder) {
    for (let x = 0; x < w; x++) {
      out[x] = 255;
      out[(h - 1) * w + x] = 255;
    }
    for (let y = 0; y < h; y++) {
      out[y * w] = 255;
      out[y * w + w - 1] = 255;
    }
  }
  return { width: w, height: h, data: out };
}

interface BoundaryImportOptions {
  /** A pixel is boundary when its value is above this (default 127, for 8-bit maps). */
  threshold?: number;
  /** Connectivity of grain pixels (default 4, which thin 8-connected lines still separate). */
  connectivity?: 4 | 8;
  /** Give boundary pixels to the nearest grain (default true) or leave them 0. */
  assignBoundary?: boolean;
  /** Grains smaller than this many pixels are treated as boundary (default 1 = keep all). */
  minArea?: number;
}


/**
 * Reads a binary (or soft) grain-boundary map: grains are the connected components of the
 * non-boundary pixels (value <= threshold), numbered 1..n in raster order. Boundary pixels are
 * then given to the nearest grain by a breadth-first flood over 4-neighbours (ties go to the grain
 * reached first in raster order), or left 0.
 */
export function grainsFromBoundaryMap(image: GreyImage, options: BoundaryImportOptions = {}): LabelMap {
  const { width: w, height: h, data } = image;
  const threshold = options.threshold ?? 127;
  const interior = new Uint8Array(w * h);
  for (let i = 0; i < interior.length; i++) interior[i] = data[i]! > threshold ? 0 : 1;
  let { labels, count } = labelMaskComponents(interior, w, h, options.connectivity ?? 4);
  const minArea = options.minArea ?? 1;
  if (minArea > 1 && count > 0) {
    const area = new Uint32Array(count + 1);
    for (let i = 0; i < labels.length; i++) area[labels[i]!]!++;
    const remap = new Uint32Array(count + 1);
    let n = 0;
    // Renumber in raster order of first pixel, like the labelling itself.
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i]!;
      if (l && !remap[l] && area[l]! >= minArea) remap[l] = ++n;
    }
    for (let i = 0; i < labels.length; i++) labels[i] = remap[labels[i]!]!;
    count = n;
  }
  if ((options.assignBoundary ?? true) && count > 0) labels = assignToNearest(labels, w, h);
  return { width: w, height: h, data: labels };
}

/** Multi-source breadth-first flood of 0 pixels from their labelled 4-neighbours. */
function assignToNearest(labels: Uint32Array, w: number, h: number): Uint32Array {
  const queue = new Int32Array(w * h);
  let head = 0;
  let tail = 0;
  // Seed with the labelled pixels that touch an unlabelled 4-neighbour (in raster order).
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const i = row + x;
      if (!labels[i]) continue;
      if ((x > 0 && !labels[i - 1]) || (x < w - 1 && !labels[i + 1]) || (y > 0 && !labels[i - w]) || (y < h - 1 && !labels[i + w])) queue[tail++] = i;
    }
  }
  while (head < tail) {
    const i = queue[head++]!;
    const l = labels[i]!;
    const x = i % w;
    if (x > 0 && !labels[i - 1]) { labels[i - 1] = l; queue[tail++] = i - 1; }
    if (x < w - 1 && !labels[i + 1]) { labels[i + 1] = l; queue[tail++] = i + 1; }
    if (i >= w && !labels[i - w]) { labels[i - w] = l; queue[tail++] = i - w; }
    if (i + w < w * h && !labels[i + w]) { labels[i + w] = l; queue[tail++] = i + w; }
  }
  return labels;
}

interface ValueRegions {
  /** Region id per pixel (1..count in raster order of first pixel), 0 where the value is 0. */
  labels: LabelMap;
  /** The value of each region: values[id - 1]. */
  values: Uint32Array;
}

/**
 * Connected regions of equal value (4-connected), e.g. the segments of a semantic (class) map: two
 * touching grains of one class become one region, as no boundary separates them. Pixels whose
 * value is in `background` (default: 0) belong to no region.
 */
export function regionsByValue(values: ArrayLike<number>, width: number, height: number, background: ReadonlySet<number> = new Set([0])): ValueRegions {
  const n = width * height;
  if (values.length !== n) throw new Error(`value map has ${values.length} pixels, expected ${width}x${height}`);
  const labels = new Uint32Array(n);
  let parent = new Uint32Array(1024);
  let next = 1;
  const only0 = background.size === 1 && background.has(0);
  const find = (a: number): number => {
    let r = a;
    while (parent[r] !== r) r = parent[r]!;
    while (parent[a] !== r) {
      const t = parent[a]!;
      parent[a] = r;
      a = t;
    }
    return r;
  };
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      const v = values[i]!;
      if (only0 ? v === 0 : background.has(v)) continue;
      const up = y > 0 && values[i - width] === v ? labels[i - width]! : 0;
      const left = x > 0 && values[i - 1] === v ? labels[i - 1]! : 0;
      let l = up || left;
      if (up && left && up !== left) {
        const ra = find(up);
        const rb = find(left);
        if (ra !== rb) {
          if (ra < rb) parent[rb] = ra;
          else parent[ra] = rb;
        }
        l = Math.min(ra, rb);
      }
      if (!l) {
        if (next === parent.length) {
          const p = new Uint32Array(parent.length * 2);
          p.set(parent);
          parent = p;
        }
        parent[next] = next;
        l = next++;
      }
      labels[i] = l;
    }
  }
  const remap = new Uint32Array(next);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const l = labels[i]!;
    if (!l) continue;
    const r = find(l);
    if (!remap[r]) {
      out.push(values[i]!);
      remap[r] = out.length;
    }
    labels[i] = remap[r]!;
  }
  return { labels: { width, height, data: labels }, values: Uint32Array.from(out) };
}
