// CVAT XML ("CVAT for images 1.1"): one file for many images, each <image> with <polygon> (points
// "x1,y1;x2,y2;...") and <mask> (run lengths over a box, row by row, starting with a run of 0s)
// shapes. CVAT polygons hold no holes: a segment with holes is written as a <mask>, which holds it
// exactly; a segment in several parts is several polygons sharing its group_id.
import { XMLParser } from 'fast-xml-parser';
import type { BoxMask, InterchangeImage, InterchangeShape } from './shapes';
import type { Ring } from './geometry';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function num(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/** CVAT's mask run lengths: over the box row by row, alternating 0-runs and 1-runs, starting with 0s. */
function maskToCvatRle(m: BoxMask): number[] {
  const out: number[] = [];
  let cur = 0;
  let run = 0;
  for (let i = 0; i < m.data.length; i++) {
    const v = m.data[i] ? 1 : 0;
    if (v !== cur) {
      out.push(run);
      run = 0;
      cur = v;
    }
    run++;
  }
  out.push(run);
  return out;
}

function cvatRleToMask(rle: readonly number[], x: number, y: number, width: number, height: number): BoxMask {
  const data = new Uint8Array(width * height);
  let p = 0;
  for (let k = 0; k < rle.length; k++) {
    const n = rle[k]!;
    if (!(Number.isInteger(n) && n >= 0) || p + n > data.length) throw new Error(`mask run lengths overrun the ${width}x${height} box`);
    if (k & 1) data.fill(1, p, p + n);
    p += n;
  }
  return { x, y, width, height, data };
}

/** The whole document for a list of images (one CVAT task's annotations). */
export function encodeCvat(images: readonly (InterchangeImage & { width: number; height: number; fileName: string })[], labels: readonly { name: string; color: string | null }[], meta: { name: string; createdAt: string }): string {
  const out: string[] = ['<?xml version="1.0" encoding="utf-8"?>', '<annotations>', '  <version>1.1</version>', '  <meta>', '    <task>'];
  out.push(`      <name>${esc(meta.name)}</name>`, `      <size>${images.length}</size>`, '      <mode>annotation</mode>', '      <labels>');
  for (const l of labels) out.push('        <label>', `          <name>${esc(l.name)}</name>`, `          <color>${esc(l.color ?? '#808080')}</color>`, '          <type>any</type>', '          <attributes></attributes>', '        </label>');
  out.push('      </labels>', '    </task>', `    <dumped>${esc(meta.createdAt)}</dumped>`, '  </meta>');
  images.forEach((im, i) => {
    out.push(`  <image id="${i}" name="${esc(im.fileName)}" width="${im.width}" height="${im.height}">`);
    for (const s of im.shapes) {
      const label = esc(s.label ?? 'unclassified');
      const group = s.segmentId !== undefined ? ` group_id="${s.segmentId}"` : '';
      if (s.mask) {
        const m = s.mask;
        out.push(`    <mask label="${label}" source="${s.verified ? 'manual' : 'auto'}" occluded="0" rle="${maskToCvatRle(m).join(', ')}" left="${m.x}" top="${m.y}" width="${m.width}" height="${m.height}" z_order="0"${group}>`, '    </mask>');
        continue;
      }
      for (const p of s.polygons) {
        const pts: string[] = [];
        for (let k = 0; k < p.outer.length; k += 2) pts.push(`${num(p.outer[k]!)},${num(p.outer[k + 1]!)}`);
        out.push(`    <polygon label="${label}" source="${s.verified ? 'manual' : 'auto'}" occluded="0" points="${pts.join(';')}" z_order="0"${group}>`, '    </polygon>');
      }
    }
    out.push('  </image>');
  });
  out.push('</annotations>', '');
  return out.join('\n');
}

type Attrs = Record<string, string | undefined>;
type XmlNode = Attrs & { polygon?: XmlNode[]; mask?: XmlNode[]; box?: XmlNode[]; polyline?: XmlNode[]; points?: XmlNode[]; ellipse?: XmlNode[]; cuboid?: XmlNode[]; skeleton?: XmlNode[] };

interface DecodedCvat {
  images: InterchangeImage[];
  /** Shapes that describe no area (points, lines, cuboids, skeletons) and video tracks, per kind. */
  skipped: Record<string, number>;
  labelColors: Map<string, string>;
}

function need(a: Attrs, key: string, where: string): string {
  const v = a[key];
  if (v === undefined) throw new Error(`${where} has no ${key} attribute`);
  return v;
}

function number(a: Attrs, key: string, where: string): number {
  const v = Number(need(a, key, where));
  if (!Number.isFinite(v)) throw new Error(`${where}: ${key}="${a[key]}" is not a number`);
  return v;
}

/** Reads a CVAT for images 1.1 document; throws an Error naming `file` and the offending element. */
export function decodeCvat(xml: string, file: string): DecodedCvat {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new Error(`${file} declares a DOCTYPE or entities, which CVAT files never do; it is refused rather than expanded`);
  if (!/<annotations[\s>]/.test(xml.slice(0, 4096))) throw new Error(`${file} is not CVAT XML: it has no <annotations> element (export the task as "CVAT for images 1.1")`);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    isArray: (name, _path, _leaf, isAttribute) => !isAttribute && ['image', 'polygon', 'mask', 'box', 'polyline', 'points', 'ellipse', 'cuboid', 'skeleton', 'track', 'label'].includes(name),
    processEntities: true,
    // CVAT files declare no entities; refusing DOCTYPE entity expansion keeps "billion laughs" out.
    htmlEntities: false,
  });
  let doc: { annotations?: { image?: XmlNode[]; track?: unknown[]; meta?: { task?: { labels?: { label?: { name?: string; color?: string }[] } }; job?: { labels?: { label?: { name?: string; color?: string }[] } } } } };
  try {
    doc = parser.parse(xml) as typeof doc;
  } catch (e) {
    throw new Error(`${file} is not well-formed XML (${(e as Error).message})`);
  }
  const root = doc.annotations;
  if (!root || typeof root !== 'object') throw new Error(`${file} is not CVAT XML: no <annotations> element`);
  const skipped: Record<string, number> = {};
  if (root.track?.length) skipped['video track'] = root.track.length;
  const labelColors = new Map<string, string>();
  for (const l of root.meta?.task?.labels?.label ?? root.meta?.job?.labels?.label ?? []) if (l.name && l.color) labelColors.set(String(l.name), String(l.color));
  const images: InterchangeImage[] = [];
  (root.image ?? []).forEach((im, i) => {
    const where = `${file}: <image> ${i + 1}`;
    const name = need(im, 'name', where);
    const width = number(im, 'width', where);
    const height = number(im, 'height', where);
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0 && width * height <= 16384 * 16384)) throw new Error(`${where} (${name}) has an impossible size ${width}x${height}`);
    const shapes: InterchangeShape[] = [];
    const groups = new Map<string, InterchangeShape>();
    const add = (label: string, group: string | undefined, verified: boolean, polygon: Ring | null, mask: BoxMask | null) => {
      const key = group && group !== '0' ? `${group}\u0000${label}` : null;
      const g = key ? groups.get(key) : undefined;
      if (g && polygon) {
        g.polygons.push({ outer: polygon, holes: [] });
        return;
      }
      const s: InterchangeShape = { label, polygons: polygon ? [{ outer: polygon, holes: [] }] : [], verified, ...(mask ? { mask } : {}), ...(key ? { segmentId: Number(group) } : {}) };
      shapes.push(s);
      if (key && polygon) groups.set(key, s);
    };
    (im.polygon ?? []).forEach((p, k) => {
      const w = `${where} (${name}) <polygon> ${k + 1}`;
      const pts = need(p, 'points', w)
        .split(';')
        .map((xy) => xy.split(',').map(Number));
      if (pts.length < 3 || pts.some((q) => q.length !== 2 || !q.every(Number.isFinite))) throw new Error(`${w}: points must be at least 3 "x,y" pairs separated by ';'`);
      add(need(p, 'label', w), p.group_id, p.source === 'manual', pts.flat(), null);
    });
    (im.box ?? []).forEach((b, k) => {
      const w = `${where} (${name}) <box> ${k + 1}`;
      const x0 = number(b, 'xtl', w), y0 = number(b, 'ytl', w), x1 = number(b, 'xbr', w), y1 = number(b, 'ybr', w);
      add(need(b, 'label', w), b.group_id, b.source === 'manual', [x0, y0, x1, y0, x1, y1, x0, y1], null);
    });
    (im.mask ?? []).forEach((m, k) => {
      const w = `${where} (${name}) <mask> ${k + 1}`;
      const left = number(m, 'left', w), top = number(m, 'top', w), mw = number(m, 'width', w), mh = number(m, 'height', w);
      if (!(Number.isInteger(mw) && Number.isInteger(mh) && mw > 0 && mh > 0 && mw * mh <= width * height)) throw new Error(`${w}: box ${mw}x${mh} does not fit the image`);
      const rle = need(m, 'rle', w).split(',').map((v) => Number(v.trim()));
      let mask: BoxMask;
      try {
        mask = cvatRleToMask(rle, left, top, mw, mh);
      } catch (e) {
        throw new Error(`${w}: ${(e as Error).message}`);
      }
      add(need(m, 'label', w), m.group_id, m.source === 'manual', null, mask);
    });
    for (const kind of ['polyline', 'points', 'cuboid', 'skeleton'] as const) {
      const n = im[kind]?.length ?? 0;
      if (n) skipped[kind] = (skipped[kind] ?? 0) + n;
    }
    if (im.ellipse?.length) {
      for (const [k, e] of im.ellipse.entries()) {
        const w = `${where} (${name}) <ellipse> ${k + 1}`;
        const cx = number(e, 'cx', w), cy = number(e, 'cy', w), rx = number(e, 'rx', w), ry = number(e, 'ry', w);
        const n = Math.max(16, Math.min(720, Math.ceil(Math.PI * (rx + ry))));
        const ring: number[] = [];
        for (let t = 0; t < n; t++) ring.push(cx + rx * Math.cos((2 * Math.PI * t) / n), cy + ry * Math.sin((2 * Math.PI * t) / n));
        add(need(e, 'label', w), e.group_id, e.source === 'manual', ring, null);
      }
    }
    images.push({ fileName: name, width, height, shapes });
  });
  return { images, skipped, labelColors };
}
