// Draws the canvas layers from tiles: the micrograph and the segment overlay as 512 px tile
// bitmaps in a level-of-detail pyramid (built lazily, nearest the view centre first, within a
// per-frame time budget, coarser tiles standing in meanwhile), and the interaction layer
// (highlights, tool previews, cursor) on top. Overlay tiles are rebuilt only where an edit
// changed pixels. The Konva layers call the draw* methods from their scene functions.
import { drawChannelLayers, type ChannelLayer } from './channel-overlay';
import type { Box, LabelMap, RasterImage, SegmentRecord } from '../../app/types';
import type { DisplayWindow } from '../../app/image/display';
import type { Viewport } from '../../app/view/viewport';
import type { PreviewShape } from '../tools/types';
import { displayLut, packRGBA, Palette, renderImageTile, renderOverlayTile, segmentHighlight, type OverlayStyle } from './overlay';
import { growBox, levelFor, maxLevel, tileKey, tileRect, tilesInBox, visibleTiles, type TileKey, type TileRect } from './tiles';
import { FetchQueue, LabelTileCache, remoteSourceOf, type RemoteTileSource } from './remote-tiles';
import type { LabelTile } from '../../app/contract';
import { tileHighlight } from './remote-highlight';

interface Tile {
  canvas: HTMLCanvasElement;
  bytes: number;
  used: number;
}

/** LRU of tile bitmaps within a byte budget. */
class TileCache {
  private readonly tiles = new Map<string, Tile>();
  private bytes = 0;
  private clock = 0;
  constructor(private readonly budget: number) {}

  get(key: string): HTMLCanvasElement | null {
    const t = this.tiles.get(key);
    if (!t) return null;
    t.used = ++this.clock;
    return t.canvas;
  }

  put(key: string, pixels: Uint32Array, bw: number, bh: number, reuse: HTMLCanvasElement | null): HTMLCanvasElement {
    const old = this.tiles.get(key);
    const canvas = old?.canvas ?? reuse ?? document.createElement('canvas');
    if (canvas.width !== bw || canvas.height !== bh) {
      canvas.width = bw;
      canvas.height = bh;
    }
    const ctx = canvas.getContext('2d')!;
    ctx.putImageData(new ImageData(new Uint8ClampedArray(pixels.buffer, pixels.byteOffset, bw * bh * 4) as Uint8ClampedArray<ArrayBuffer>, bw, bh), 0, 0);
    if (old) this.bytes -= old.bytes;
    const t: Tile = { canvas, bytes: bw * bh * 4, used: ++this.clock };
    this.tiles.set(key, t);
    this.bytes += t.bytes;
    this.trim();
    return canvas;
  }

  delete(key: string): void {
    const t = this.tiles.get(key);
    if (!t) return;
    this.bytes -= t.bytes;
    this.tiles.delete(key);
  }

  clear(): void {
    this.tiles.clear();
    this.bytes = 0;
  }

  get size(): number {
    return this.bytes;
  }

  private trim(): void {
    if (this.bytes <= this.budget) return;
    const order = [...this.tiles.entries()].sort((a, b) => a[1].used - b[1].used);
    for (const [k, t] of order) {
      if (this.bytes <= this.budget * 0.8) break;
      if (t.used === this.clock) continue;
      this.tiles.delete(k);
      this.bytes -= t.bytes;
    }
  }
}

export interface OverlaySettings {
  visible: boolean;
  /** Fill opacity 0..1. */
  opacity: number;
  outlinesOnly: boolean;
  /** Colour segments by class (class colours) instead of by id. */
  classColours: Map<number, string> | null;
  /** Colour segments by a grouping (their cluster) instead; takes precedence over classColours. */
  groupColours?: { colours: Map<number, string>; groupOf(id: number): number | null } | null;
  /** Draw only segments whose row passes this test (e.g. "only predicted"); null draws all. */
  showOnly?: ((s: SegmentRecord) => boolean) | null;
}

export interface InteractionScene {
  selection: readonly number[];
  hover: number;
  preview: PreviewShape[];
}

export interface DrawStats {
  ms: number;
  built: number;
  missing: number;
}

/** Tile building per frame, both layers together; coarser tiles stand in for the rest until later frames. */
const BUILD_BUDGET_MS = 4;

export class CanvasView {
  view: Viewport = { scale: 1, x: 0, y: 0 };
  screenW = 0;
  screenH = 0;
  private raster: RasterImage | null = null;
  private lut: Uint8Array | null = null;
  private labels: LabelMap | null = null;
  private segments: ReadonlyMap<number, SegmentRecord> | null = null;
  private readonly imageTiles = new TileCache(384 * 1024 * 1024);
  private readonly overlayTiles = new TileCache(384 * 1024 * 1024);
  private readonly palette = new Palette();
  private overlay: OverlaySettings = { visible: true, opacity: 0.45, outlinesOnly: false, classColours: null };
  private buffer = new Uint32Array(512 * 512);
  private readonly highlights = new Map<number, { key: string; canvas: HTMLCanvasElement; box: Box; step: number }>();
  /** A large image's highlights, per view tile and segment (rebuilt when the tile is refetched). */
  private readonly remoteHighlights = new Map<string, { data: Uint32Array; canvas: HTMLCanvasElement | null }>();
  private maskCanvas: { version: number; canvas: HTMLCanvasElement } | null = null;
  private rasterCanvas: { version: number; canvas: HTMLCanvasElement } | null = null;
  private scratch: HTMLCanvasElement | null = null;
  /** Asked for another frame because tiles are still missing. */
  onNeedFrame: () => void = () => {};
  private frameSpent = 0;
  private frameBuilt = 0;
  /** Recent cost of building one tile (ms), to skip a build that would overrun the frame. */
  private buildCost = 3;
  lastImageDraw: DrawStats = { ms: 0, built: 0, missing: 0 };
  lastOverlayDraw: DrawStats = { ms: 0, built: 0, missing: 0 };
  /** Elemental maps drawn over the micrograph, under the segment overlay (channel-overlay.ts). */
  channelLayers: readonly ChannelLayer[] = [];
  /** A large image's tiles come from main (remote-tiles.ts); null while the image is held whole. */
  private remote: RemoteTileSource | null = null;
  readonly fetches = new FetchQueue();
  private readonly labelTiles = new LabelTileCache();
  /** Bumped when labels change, so label tiles fetched before the change are not kept. */
  private labelGen = 0;

  get width(): number {
    return this.raster?.width ?? this.labels?.width ?? 0;
  }
  get height(): number {
    return this.raster?.height ?? this.labels?.height ?? 0;
  }

  /** Whether tiles come from main (a large image). */
  get isRemote(): boolean {
    return this.remote !== null;
  }

  setImage(raster: RasterImage, win: DisplayWindow): void {
    this.imageTiles.clear();
    const remote = remoteSourceOf(raster);
    if (remote !== this.remote) {
      this.remote = remote;
      this.labelTiles.clear();
      this.overlayTiles.clear();
      this.fetches.dropWaiting();
      this.labelGen++;
    }
    this.raster = raster;
    this.lut = displayLut(raster.bitDepth, win);
  }

  setLabels(labels: LabelMap | null, segments: ReadonlyMap<number, SegmentRecord> | null): void {
    this.labels = labels;
    this.segments = segments;
    this.overlayTiles.clear();
    this.highlights.clear();
    this.remoteHighlights.clear();
    this.applyPalette();
  }

  setOverlay(s: OverlaySettings): void {
    const restyle =
      s.opacity !== this.overlay.opacity || s.outlinesOnly !== this.overlay.outlinesOnly || s.classColours !== this.overlay.classColours || s.groupColours !== this.overlay.groupColours || s.showOnly !== this.overlay.showOnly;
    this.overlay = s;
    if (restyle) {
      this.applyPalette();
      this.overlayTiles.clear();
    }
  }

  private applyPalette(): void {
    const segs = this.segments;
    const groups = this.overlay.groupColours;
    if (groups) this.palette.useClasses(groups.colours, (id) => groups.groupOf(id));
    else this.palette.useClasses(this.overlay.classColours, segs ? (id) => segs.get(id)?.classId ?? null : null);
    const only = this.overlay.showOnly;
    this.palette.useFilter(only && segs ? (id) => { const r = segs.get(id); return r !== undefined && only(r); } : null);
  }

  /** Pixels in `box` changed (null: everything): their overlay tiles at every level are rebuilt when next drawn. */
  invalidate(box: Box | null): void {
    this.highlights.clear();
    this.remoteHighlights.clear();
    if (this.remote) {
      this.labelGen++;
      if (!box) {
        this.overlayTiles.clear();
        this.labelTiles.clear();
        return;
      }
      const { width, height } = this.remote;
      for (let L = 0; L <= maxLevel(width, height); L++) {
        for (const k of tilesInBox(growBox(box, 1 << L), L, width, height)) {
          this.overlayTiles.delete(tileKey(k));
          this.labelTiles.delete(k);
        }
      }
      return;
    }
    if (!box || !this.labels) {
      this.overlayTiles.clear();
      return;
    }
    const { width, height } = this.labels;
    const top = maxLevel(width, height);
    for (let L = 0; L <= top; L++) {
      // Outlines read the neighbouring sample, 2^L pixels away.
      for (const k of tilesInBox(growBox(box, 1 << L), L, width, height)) this.overlayTiles.delete(tileKey(k));
    }
    if (this.overlay.classColours || this.overlay.groupColours || this.overlay.showOnly) this.applyPalette();
  }

  /** Class colours follow segment-table changes (a class assigned) without pixel changes. */
  restyleClasses(): void {
    if (!this.overlay.classColours && !this.overlay.showOnly) return;
    this.applyPalette();
    this.overlayTiles.clear();
  }

  get cacheBytes(): number {
    return this.imageTiles.size + this.overlayTiles.size;
  }

  private style(): OverlayStyle {
    const a = Math.round(Math.max(0, Math.min(1, this.overlay.opacity)) * 255);
    return { fillAlpha: this.overlay.outlinesOnly ? 0 : a, outlineAlpha: Math.round(Math.min(1, 0.35 + this.overlay.opacity) * 255) };
  }

  private ensureBuffer(n: number): Uint32Array {
    if (this.buffer.length < n) this.buffer = new Uint32Array(n);
    return this.buffer.subarray(0, n);
  }

  /** Starts a frame's tile-building budget (the view calls it before drawing the layers of one frame). */
  beginFrame(): void {
    this.frameSpent = 0;
    this.frameBuilt = 0;
    // Tiles asked for by earlier frames and not started are asked again if this one still shows them.
    if (this.remote) this.fetches.dropWaiting();
  }

  /** The segment id at a pixel of a large image from the label tiles fetched (null: none covers it yet). */
  remoteLabelAt(x: number, y: number): number | null {
    return this.remote ? this.labelTiles.labelAt(x, y, maxLevel(this.remote.width, this.remote.height)) : null;
  }

  /** A large image's tile: from the cache of fetched label tiles, else asked of main (drawn when it comes). */
  private requestRemote(src: RemoteTileSource, kind: 'image' | 'overlay', k: TileKey, r: TileRect): HTMLCanvasElement | null {
    if (kind === 'overlay') {
      const have = this.labelTiles.get(k);
      if (have) return this.putLabelTile(k, have, r);
    }
    const gen = this.labelGen;
    this.fetches.ask(`${kind}:${tileKey(k)}`, async () => {
      if (kind === 'image') {
        const t = await src.image(k);
        if (this.remote !== src) return;
        const out = this.ensureBuffer(t.width * t.height);
        const d = t.data;
        if (t.channels === 1) for (let i = 0; i < out.length; i++) out[i] = packRGBA(d[i]!, d[i]!, d[i]!, 255);
        else for (let i = 0; i < out.length; i++) out[i] = packRGBA(d[3 * i]!, d[3 * i + 1]!, d[3 * i + 2]!, 255);
        this.imageTiles.put(tileKey(k), out, t.width, t.height, null);
      } else {
        const t = await src.labels(k);
        if (this.remote !== src) return;
        // Labels changed while this was on its way: the next frame asks again.
        if (gen === this.labelGen) {
          this.labelTiles.put(k, t);
          this.putLabelTile(k, t, r);
        }
      }
      this.onNeedFrame();
    });
    return null;
  }

  private putLabelTile(k: TileKey, t: LabelTile, r: TileRect): HTMLCanvasElement {
    const out = this.ensureBuffer(t.width * t.height);
    if (!t.data) out.fill(0);
    else renderOverlayTile({ width: t.width, height: t.height, data: t.data }, { x: 0, y: 0, width: t.width, height: t.height, step: 1, bw: t.width, bh: t.height }, this.style(), this.palette, out);
    return this.overlayTiles.put(tileKey(k), out, r.bw, r.bh, null);
  }

  private build(kind: 'image' | 'overlay', k: TileKey): HTMLCanvasElement | null {
    const t0 = performance.now();
    const out = this.buildTile(kind, k);
    this.buildCost = 0.8 * this.buildCost + 0.2 * (performance.now() - t0);
    return out;
  }

  private buildTile(kind: 'image' | 'overlay', k: TileKey): HTMLCanvasElement | null {
    const W = this.width;
    const H = this.height;
    const r = tileRect(k, W, H);
    if (r.bw <= 0 || r.bh <= 0) return null;
    if (this.remote) return this.requestRemote(this.remote, kind, k, r);
    const out = this.ensureBuffer(r.bw * r.bh);
    if (kind === 'image') {
      if (!this.raster || !this.lut) return null;
      renderImageTile(this.raster, this.lut, r, out);
      return this.imageTiles.put(tileKey(k), out, r.bw, r.bh, null);
    }
    if (!this.labels) return null;
    renderOverlayTile(this.labels, r, this.style(), this.palette, out);
    return this.overlayTiles.put(tileKey(k), out, r.bw, r.bh, null);
  }

  /** Screen rectangle of image rect (x, y, w, h), rounded so neighbouring tiles meet without seams. */
  private screenRect(x: number, y: number, w: number, h: number): [number, number, number, number] {
    const v = this.view;
    const x0 = Math.round(v.x + x * v.scale);
    const y0 = Math.round(v.y + y * v.scale);
    const x1 = Math.round(v.x + (x + w) * v.scale);
    const y1 = Math.round(v.y + (y + h) * v.scale);
    return [x0, y0, x1 - x0, y1 - y0];
  }

  /** Draws a missing tile's area from the nearest coarser cached tile; false when none is cached. */
  private drawFallback(ctx: CanvasRenderingContext2D, cache: TileCache, k: TileKey, top: number): boolean {
    const W = this.width;
    const H = this.height;
    const r = tileRect(k, W, H);
    for (let L = k.level + 1; L <= top; L++) {
      const span = 512 << L;
      const pk = { level: L, tx: Math.floor(r.x / span), ty: Math.floor(r.y / span) };
      const bmp = cache.get(tileKey(pk));
      if (!bmp) continue;
      const pr = tileRect(pk, W, H);
      const sx = (r.x - pr.x) / pr.step;
      const sy = (r.y - pr.y) / pr.step;
      const sw = Math.max(1, Math.min(pr.bw - sx, r.width / pr.step));
      const sh = Math.max(1, Math.min(pr.bh - sy, r.height / pr.step));
      const [dx, dy, dw, dh] = this.screenRect(r.x, r.y, r.width, r.height);
      ctx.drawImage(bmp, sx, sy, sw, sh, dx, dy, dw, dh);
      return true;
    }
    return false;
  }

  private drawTiles(ctx: CanvasRenderingContext2D, kind: 'image' | 'overlay', mustBuild: boolean): DrawStats {
    const t0 = performance.now();
    const W = this.width;
    const H = this.height;
    const cache = kind === 'image' ? this.imageTiles : this.overlayTiles;
    const stats: DrawStats = { ms: 0, built: 0, missing: 0 };
    if (W === 0 || H === 0) return stats;
    const top = maxLevel(W, H);
    // The coarsest tile is the stand-in for everything else: always there.
    const root = { level: top, tx: 0, ty: 0 };
    if (!cache.get(tileKey(root)) && this.build(kind, root)) stats.built++;
    const level = levelFor(this.view.scale, W, H);
    const tiles = visibleTiles(this.view, this.screenW, this.screenH, W, H, level);
    for (const k of tiles) {
      let bmp = cache.get(tileKey(k));
      if (!bmp && (mustBuild || this.frameBuilt === 0 || this.frameSpent + (performance.now() - t0) + this.buildCost <= BUILD_BUDGET_MS)) {
        bmp = this.build(kind, k);
        if (bmp) {
          stats.built++;
          this.frameBuilt++;
        }
      }
      if (bmp) {
        const r = tileRect(k, W, H);
        const [dx, dy, dw, dh] = this.screenRect(r.x, r.y, r.width, r.height);
        ctx.drawImage(bmp, 0, 0, r.bw, r.bh, dx, dy, dw, dh);
      } else {
        stats.missing++;
        this.drawFallback(ctx, cache, k, top);
      }
    }
    stats.ms = performance.now() - t0;
    this.frameSpent += stats.ms;
    // A large image's missing tiles ask for a frame when they arrive.
    if (stats.missing > 0 && !this.remote) this.onNeedFrame();
    return stats;
  }

  /**
   * Builds tiles the next frames will likely need (missing visible ones, the ring around the view,
   * the next finer and coarser levels) for up to `budgetMs`. Returns true while work remains.
   */
  prefetch(budgetMs: number): boolean {
    const W = this.width;
    const H = this.height;
    if (W === 0 || H === 0 || this.screenW === 0 || this.remote) return false;
    const t0 = performance.now();
    const level = levelFor(this.view.scale, W, H);
    const top = maxLevel(W, H);
    const v = this.view;
    const span = 512 << level;
    // The view grown by one tile on each side.
    const x0 = -v.x / v.scale - span;
    const y0 = -v.y / v.scale - span;
    const box = { x: Math.floor(x0), y: Math.floor(y0), width: Math.ceil(this.screenW / v.scale + 2 * span), height: Math.ceil(this.screenH / v.scale + 2 * span) };
    const wanted: TileKey[] = [...visibleTiles(v, this.screenW, this.screenH, W, H, level), ...tilesInBox(box, level, W, H)];
    if (level > 0) wanted.push(...visibleTiles(v, this.screenW, this.screenH, W, H, level - 1));
    if (level < top) wanted.push(...visibleTiles(v, this.screenW, this.screenH, W, H, level + 1));
    for (const k of wanted) {
      const key = tileKey(k);
      for (const kind of ['image', 'overlay'] as const) {
        if (kind === 'overlay' && (!this.labels || !this.overlay.visible)) continue;
        if (kind === 'image' && !this.raster) continue;
        const cache = kind === 'image' ? this.imageTiles : this.overlayTiles;
        if (cache.get(key)) continue;
        if (performance.now() - t0 >= budgetMs) return true;
        this.build(kind, k);
      }
    }
    return false;
  }

  drawImageLayer(ctx: CanvasRenderingContext2D): void {
    if (!this.raster) return;
    // Smooth only when a bitmap pixel is drawn smaller than a screen pixel; 1:1 and closer shows pixels.
    const level = levelFor(this.view.scale, this.width, this.height);
    ctx.imageSmoothingEnabled = this.view.scale * (1 << level) < 0.999;
    this.lastImageDraw = this.drawTiles(ctx, 'image', false);
    drawChannelLayers(ctx, this.view, this.channelLayers, this.width, this.height);
  }

  /** `mustBuild`: rebuild every visible dirty tile now (right after an edit, so the change shows in this frame). */
  drawOverlayLayer(ctx: CanvasRenderingContext2D, mustBuild = false): void {
    if ((!this.labels && !this.remote) || !this.overlay.visible) return;
    ctx.imageSmoothingEnabled = false;
    this.lastOverlayDraw = this.drawTiles(ctx, 'overlay', mustBuild);
  }

  private highlightCanvas(seg: SegmentRecord, strong: boolean): { canvas: HTMLCanvasElement; box: Box; step: number } | null {
    if (!this.labels) return null;
    const key = `${seg.area}:${seg.bbox.x},${seg.bbox.y},${seg.bbox.width},${seg.bbox.height}:${strong}`;
    const id = strong ? seg.id : -seg.id;
    const hit = this.highlights.get(id);
    if (hit && hit.key === key) return hit;
    const h = segmentHighlight(this.labels, seg, strong ? packRGBA(255, 255, 255, 70) : packRGBA(255, 255, 255, 40), strong ? packRGBA(255, 255, 255, 255) : packRGBA(255, 255, 255, 170));
    if (!h) return null;
    const canvas = document.createElement('canvas');
    canvas.width = h.bw;
    canvas.height = h.bh;
    canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(h.pixels.buffer) as Uint8ClampedArray<ArrayBuffer>, h.bw, h.bh), 0, 0);
    const entry = { key, canvas, box: h.box, step: h.step };
    this.highlights.set(id, entry);
    if (this.highlights.size > 4000) this.highlights.clear();
    return entry;
  }

  /** One tile's highlight of a segment of a large image, from its fetched label tile (null: not in it). */
  private remoteHighlight(k: TileKey, t: LabelTile, id: number, strong: boolean): HTMLCanvasElement | null {
    if (!t.data) return null;
    const key = `${tileKey(k)}:${id}:${strong}`;
    const hit = this.remoteHighlights.get(key);
    if (hit && hit.data === t.data) return hit.canvas;
    const px = tileHighlight(t.data, t.width, t.height, id, strong ? packRGBA(255, 255, 255, 70) : packRGBA(255, 255, 255, 40), strong ? packRGBA(255, 255, 255, 255) : packRGBA(255, 255, 255, 170));
    let canvas: HTMLCanvasElement | null = null;
    if (px) {
      canvas = document.createElement('canvas');
      canvas.width = t.width;
      canvas.height = t.height;
      canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(px.buffer) as Uint8ClampedArray<ArrayBuffer>, t.width, t.height), 0, 0);
    }
    if (this.remoteHighlights.size > 2000) this.remoteHighlights.clear();
    this.remoteHighlights.set(key, { data: t.data, canvas });
    return canvas;
  }

  /** Selected and hovered segments of a large image, marked on the visible label tiles fetched. */
  private drawRemoteHighlights(ctx: CanvasRenderingContext2D, scene: InteractionScene): void {
    const marks: [number, boolean][] = scene.selection.slice(0, 64).map((id) => [id, true]);
    if (scene.hover && this.overlay.visible && !scene.selection.includes(scene.hover)) marks.push([scene.hover, false]);
    if (marks.length === 0) return;
    const W = this.width;
    const H = this.height;
    for (const k of visibleTiles(this.view, this.screenW, this.screenH, W, H, levelFor(this.view.scale, W, H))) {
      const t = this.labelTiles.get(k);
      if (!t?.data) continue;
      const r = tileRect(k, W, H);
      const [dx, dy, dw, dh] = this.screenRect(r.x, r.y, r.width, r.height);
      for (const [id, strong] of marks) {
        const c = this.remoteHighlight(k, t, id, strong);
        if (c) ctx.drawImage(c, 0, 0, t.width, t.height, dx, dy, dw, dh);
      }
    }
  }

  drawInteraction(ctx: CanvasRenderingContext2D, scene: InteractionScene): void {
    ctx.imageSmoothingEnabled = false;
    if (this.remote) this.drawRemoteHighlights(ctx, scene);
    const segs = this.segments;
    if (segs) {
      const sel = scene.selection.length > 3000 ? scene.selection.slice(0, 3000) : scene.selection;
      for (const id of sel) {
        const s = segs.get(id);
        if (!s) continue;
        const h = this.highlightCanvas(s, true);
        if (!h) continue;
        const [dx, dy, dw, dh] = this.screenRect(h.box.x, h.box.y, h.canvas.width * h.step, h.canvas.height * h.step);
        ctx.drawImage(h.canvas, dx, dy, dw, dh);
      }
      if (scene.hover && this.overlay.visible && !scene.selection.includes(scene.hover)) {
        const s = segs.get(scene.hover);
        const h = s ? this.highlightCanvas(s, false) : null;
        if (h) {
          const [dx, dy, dw, dh] = this.screenRect(h.box.x, h.box.y, h.canvas.width * h.step, h.canvas.height * h.step);
          ctx.drawImage(h.canvas, dx, dy, dw, dh);
        }
      }
    }
    for (const shape of scene.preview) this.drawShape(ctx, shape);
  }

  private toScreen(x: number, y: number): [number, number] {
    return [this.view.x + x * this.view.scale, this.view.y + y * this.view.scale];
  }

  private drawShape(ctx: CanvasRenderingContext2D, s: PreviewShape): void {
    const k = this.view.scale;
    ctx.save();
    switch (s.kind) {
      case 'stroke': {
        ctx.lineCap = 'round';
        ctx.lineJoin = 'round';
        ctx.lineWidth = Math.max(1, 2 * s.radius * k);
        ctx.strokeStyle = s.erase ? 'rgba(255, 80, 80, 0.45)' : (s.colour ?? 'rgba(76, 154, 255, 0.5)');
        if (s.colour && !s.erase) ctx.globalAlpha = 0.55;
        ctx.beginPath();
        s.points.forEach((p, i) => {
          const [x, y] = this.toScreen(p[0], p[1]);
          if (i === 0) ctx.moveTo(x, y);
          else ctx.lineTo(x, y);
        });
        if (s.points.length === 1) {
          const [x, y] = this.toScreen(s.points[0]![0], s.points[0]![1]);
          ctx.lineTo(x + 0.01, y);
        }
        ctx.stroke();
        break;
      }
      case 'cursor': {
        const [x, y] = this.toScreen(s.x, s.y);
        ctx.lineWidth = 1;
        ctx.strokeStyle = '#000';
        ctx.beginPath();
        ctx.arc(x, y, Math.max(1, s.radius * k) + 1, 0, Math.PI * 2);
        ctx.stroke();
        ctx.strokeStyle = s.erase ? '#ff8080' : '#fff';
        ctx.beginPath();
        ctx.arc(x, y, Math.max(1, s.radius * k), 0, Math.PI * 2);
        ctx.stroke();
        break;
      }
      case 'line': {
        ctx.lineWidth = 2;
        ctx.strokeStyle = s.colour;
        if (s.dashed) ctx.setLineDash([6, 4]);
        ctx.beginPath();
        s.points.forEach((p, i) => {
          const [x, y] = this.toScreen(p[0], p[1]);
          if (i === 0) ctx.moveTo(x, y);
          else ctx.lineTo(x, y);
        });
        if (s.closed) ctx.closePath();
        if (s.fill) {
          ctx.fillStyle = s.fill;
          ctx.fill('evenodd');
        }
        ctx.stroke();
        break;
      }
      case 'handles': {
        ctx.fillStyle = s.colour;
        for (const p of s.points) {
          const [x, y] = this.toScreen(p[0], p[1]);
          ctx.fillRect(x - 3, y - 3, 6, 6);
        }
        break;
      }
      case 'box': {
        const [x, y] = this.toScreen(s.box.x, s.box.y);
        ctx.lineWidth = 1.5;
        ctx.strokeStyle = s.colour;
        ctx.setLineDash([5, 3]);
        ctx.strokeRect(x, y, s.box.width * k, s.box.height * k);
        break;
      }
      case 'prompts': {
        for (const p of s.points) {
          const [x, y] = this.toScreen(p.x, p.y);
          ctx.beginPath();
          ctx.arc(x, y, 5, 0, Math.PI * 2);
          ctx.fillStyle = p.label === 1 ? '#4cc38a' : '#ff6b6b';
          ctx.fill();
          ctx.lineWidth = 1.5;
          ctx.strokeStyle = '#fff';
          ctx.stroke();
        }
        break;
      }
      case 'scribbles': {
        // Replayed onto a screen-sized scratch canvas so an erase stroke clears only scribbles.
        const c = (this.scratch ??= document.createElement('canvas'));
        if (c.width !== ctx.canvas.width || c.height !== ctx.canvas.height) {
          c.width = ctx.canvas.width;
          c.height = ctx.canvas.height;
        }
        const sc = c.getContext('2d')!;
        sc.setTransform(ctx.getTransform());
        sc.clearRect(0, 0, this.screenW, this.screenH);
        // Strokes label image pixels only: a brush reaching past the border is not drawn there.
        sc.save();
        sc.beginPath();
        sc.rect(...this.screenRect(0, 0, this.width, this.height));
        sc.clip();
        sc.lineCap = 'round';
        sc.lineJoin = 'round';
        for (const st of s.strokes) {
          sc.globalCompositeOperation = st.colour ? 'source-over' : 'destination-out';
          sc.strokeStyle = st.colour ?? '#000';
          sc.lineWidth = Math.max(1, 2 * st.radius * k);
          sc.beginPath();
          st.points.forEach((p, i) => {
            const [x, y] = this.toScreen(p[0], p[1]);
            if (i === 0) sc.moveTo(x, y);
            else sc.lineTo(x, y);
          });
          if (st.points.length === 1) {
            const [x, y] = this.toScreen(st.points[0]![0], st.points[0]![1]);
            sc.lineTo(x + 0.01, y);
          }
          sc.stroke();
        }
        sc.restore();
        sc.globalCompositeOperation = 'source-over';
        ctx.setTransform(1, 0, 0, 1, 0, 0);
        ctx.globalAlpha = s.opacity;
        ctx.drawImage(c, 0, 0);
        break;
      }
      case 'raster': {
        if (!this.rasterCanvas || this.rasterCanvas.version !== s.version) {
          const c = document.createElement('canvas');
          c.width = Math.max(1, s.box.width);
          c.height = Math.max(1, s.box.height);
          if (s.rgba.length === s.box.width * s.box.height * 4) c.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(s.rgba) as Uint8ClampedArray<ArrayBuffer>, s.box.width, s.box.height), 0, 0);
          this.rasterCanvas = { version: s.version, canvas: c };
        }
        const [dx, dy, dw, dh] = this.screenRect(s.box.x, s.box.y, s.box.width, s.box.height);
        ctx.drawImage(this.rasterCanvas.canvas, dx, dy, dw, dh);
        break;
      }
      case 'mask': {
        if (!this.maskCanvas || this.maskCanvas.version !== s.version) {
          const c = document.createElement('canvas');
          c.width = Math.max(1, s.box.width);
          c.height = Math.max(1, s.box.height);
          const px = new Uint32Array(s.box.width * s.box.height);
          const fill = packRGBA(s.colour[0], s.colour[1], s.colour[2], 110);
          for (let i = 0; i < px.length; i++) if (s.mask[i]) px[i] = fill;
          if (px.length) c.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(px.buffer) as Uint8ClampedArray<ArrayBuffer>, s.box.width, s.box.height), 0, 0);
          this.maskCanvas = { version: s.version, canvas: c };
        }
        const [dx, dy, dw, dh] = this.screenRect(s.box.x, s.box.y, s.box.width, s.box.height);
        ctx.drawImage(this.maskCanvas.canvas, dx, dy, dw, dh);
        break;
      }
    }
    ctx.restore();
  }
}
