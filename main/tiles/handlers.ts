// Handlers of the tiles.* calls: image tiles from the cached pyramid, label tiles and edits from
// a tiled label map per image, seeded from the image's segmentation. An image within the decode
// limit (app/limits MAX_PIXELS) also has each edit applied to its saved segmentation (the edit
// store: logged, checkpointed, undone in step), so a person's strokes are kept; a mosaic beyond
// it saves its label tiles themselves, tile by tile with its undo steps (label-tile-db.ts).
import { MAX_PIXELS } from '../../app/limits';
import { ServiceError } from '../../app/errors';
import type { ImageRecord } from '../../app/types';
import type { ClassicOptions } from '../../app/contract';
import { segmentMosaic } from './segment-mosaic';
import type { LargeEditOp, LargeEditResult } from '../../app/contract/tiles';
import type { EditOp } from '../../app/edit';
import { resolveInside } from '../fs/contain';
import type { Handlers, ServiceContext } from '../handlers/context';
import { LABEL_TILE, LabelTileStore, viewTileRect } from './label-tiles';
import { SqliteLabelTiles } from './label-tile-db';
import { folderBytes, PyramidCache, type PyramidSource } from './pyramid';

type TileMethodName = 'tiles.pyramid' | 'tiles.image' | 'tiles.labels' | 'tiles.labelAt' | 'tiles.edit' | 'tiles.undo' | 'tiles.redo' | 'tiles.history' | 'tiles.segments';

export class TileService {
  private cache: { dir: string; pyramids: PyramidCache } | null = null;
  private readonly labels = new Map<number, Promise<LabelTileStore>>();
  /** Images whose saved segmentation exists (made empty on the first edit when there was none). */
  private readonly segmented = new Set<number>();

  constructor(private readonly ctx: ServiceContext) {
    ctx.onProjectClose(() => {
      this.cache = null;
      this.labels.clear();
      this.segmented.clear();
    });
  }

  private pyramids(): PyramidCache {
    const dir = this.ctx.project().dir;
    if (!this.cache || this.cache.dir !== dir) this.cache = { dir, pyramids: new PyramidCache(dir) };
    return this.cache.pyramids;
  }

  source(im: ImageRecord): PyramidSource {
    const store = this.ctx.project();
    return { file: resolveInside(store.dir, im.file, 'image file'), page: im.page, hash: im.hash, width: im.width, height: im.height, channels: im.channels, bitDepth: im.bitDepth, name: im.name };
  }

  /** The image's label store, seeded from its segmentation when it has one. */
  store(imageId: number): Promise<LabelTileStore> {
    let p = this.labels.get(imageId);
    if (!p) {
      const im = this.ctx.project().getImage(imageId);
      p = (async () => {
        if (im.width * im.height <= MAX_PIXELS) {
          const cur = await this.ctx.edits().current(imageId);
          if (cur && cur.labels.width === im.width && cur.labels.height === im.height) return LabelTileStore.fromLabels(im.width, im.height, cur.labels.data);
        }
        if (im.width * im.height > MAX_PIXELS) {
          // Over the decode limit: the label tiles are saved in the project and read lazily.
          const saved = new SqliteLabelTiles(this.ctx.project(), imageId, Math.ceil(im.width / LABEL_TILE), LABEL_TILE);
          return LabelTileStore.persisted(im.width, im.height, saved);
        }
        return new LabelTileStore(im.width, im.height);
      })();
      p.catch(() => this.labels.delete(imageId));
      this.labels.set(imageId, p);
    }
    return p;
  }

  /** Whether the image's edits are saved in its segmentation (it is within the decode limit). */
  private saved(imageId: number): boolean {
    const im = this.ctx.project().getImage(imageId);
    return im.width * im.height <= MAX_PIXELS;
  }

  /**
   * Applies edits to the saved segmentation first (for an image within the decode limit), then
   * to the label tiles with the ids it gave: 'new' becomes the segment the edit store created.
   */
  private async apply(imageId: number, s: LabelTileStore, ops: readonly LargeEditOp[]): Promise<{ box: LargeEditResult['box']; created: number | null }> {
    if (!this.saved(imageId)) return s.apply(ops);
    const isNew = (op: LargeEditOp) => op.kind === 'brush' && op.mode === 'paint' && (op.target === undefined || op.target === 'new');
    if (ops.filter(isNew).length > 1) throw new ServiceError('invalid-argument', 'One new segment per edit: send each new stroke on its own.');
    const edits = this.ctx.edits();
    if (!this.segmented.has(imageId)) {
      // An image without a segmentation gets an empty one (as the brush does on a small image).
      if (!(await edits.history(imageId))) await edits.open(imageId, true, 'deflate');
      this.segmented.add(imageId);
    }
    const forStore = ops.map((op) => (isNew(op) ? { ...op, target: 'new' as const } : op)) as EditOp[];
    const ack = await edits.apply({ imageId, ops: forStore, source: 'brush' });
    if (ack.status !== 'applied') return { box: null, created: null };
    const created = ops.some(isNew) && ack.upserted.length > 0 ? Math.max(...ack.upserted.map((r) => r.id)) : null;
    const out = s.apply(ops.map((op) => (isNew(op) && created !== null ? { ...op, target: created } : op)));
    return { box: out.box, created };
  }

  /** Undo or redo, in the saved segmentation too (only steps made through tiles.edit in this session). */
  private async step(imageId: number, s: LabelTileStore, which: 'undo' | 'redo'): Promise<LargeEditResult['box']> {
    if (which === 'undo' ? !s.canUndo : !s.canRedo) return null;
    if (this.saved(imageId) && this.segmented.has(imageId)) await (which === 'undo' ? this.ctx.edits().undo(imageId) : this.ctx.edits().redo(imageId));
    return which === 'undo' ? s.undo() : s.redo();
  }

  /**
   * Classic phase-mode segmentation of mosaics over the decode limit, one after another, each
   * written into its label tiles as one undoable step (segment-mosaic.ts); what is labelled stays.
   */
  segmentMosaics(images: ImageRecord[], options: ClassicOptions): string {
    // Refused before a job starts: only phase mode runs region by region.
    if ((options.mode ?? 'phase') !== 'phase') throw new ServiceError('invalid-argument', `${images[0]!.name} is over the decode limit: only the classic engine's phase mode segments it (tile by tile). Choose phase mode.`);
    const title = images.length === 1 ? `Segmenting ${images[0]!.name} tile by tile` : `Segmenting ${images.length} mosaics tile by tile`;
    return this.ctx.jobs.start(title, images.length * 100, async (job) => {
      for (const [i, im] of images.entries()) {
        const s = await this.store(im.id);
        const out = await segmentMosaic(this.source(im), s, options, job.signal, (f, stage) => job.progress(Math.round(100 * (i + f)), `${im.name}: ${stage}`));
        this.ctx.emit('onDidChangeImage', { imageId: im.id, reason: 'segmented' });
        const note = out.leftOut > 0 ? ` (${out.leftOut} found where labels were already, left out: those labels stay as they were)` : '';
        job.progress(100 * (i + 1), `${im.name}: ${out.segments} segments added${note}`);
      }
    });
  }

  /** An image was removed: its label tiles and cached pyramid go. */
  async forget(imageId: number): Promise<void> {
    this.labels.delete(imageId);
    const store = this.ctx.currentProject();
    if (!store) return;
    await this.pyramids().prune((hash, page) => store.findImageByHash(hash, page) !== null);
  }

  handlers(): Handlers<TileMethodName> {
    const result = (s: LabelTileStore, box: LargeEditResult['box'], created: number | null): LargeEditResult => ({ box, created, canUndo: s.canUndo, canRedo: s.canRedo });
    return {
      'tiles.pyramid': async (a) => {
        const im = this.ctx.project().getImage(a.imageId);
        const pyr = await this.pyramids().get(this.source(im));
        return { imageId: im.id, width: im.width, height: im.height, levels: pyr.levels, buildMs: Math.round(pyr.buildMs), bytes: await folderBytes(pyr.dir) };
      },
      'tiles.image': async (a) => {
        const im = this.ctx.project().getImage(a.imageId);
        return this.pyramids().tile(this.source(im), a.level, a.tx, a.ty);
      },
      'tiles.labels': async (a) => {
        const im = this.ctx.project().getImage(a.imageId);
        const r = viewTileRect(a.level, a.tx, a.ty, im.width, im.height);
        if (r.bw <= 0 || r.bh <= 0) throw new ServiceError('invalid-argument', `Tile ${a.tx},${a.ty} of level ${a.level} is outside ${im.name}.`);
        const s = await this.store(a.imageId);
        return { width: r.bw, height: r.bh, data: s.sample(r.x, r.y, r.step, r.bw, r.bh) };
      },
      'tiles.labelAt': async (a) => (await this.store(a.imageId)).labelAt(a.x, a.y),
      'tiles.edit': async (a) => {
        const s = await this.store(a.imageId);
        const out = await this.apply(a.imageId, s, a.ops);
        return result(s, out.box, out.created);
      },
      'tiles.undo': async (a) => {
        const s = await this.store(a.imageId);
        const box = await this.step(a.imageId, s, 'undo');
        return result(s, box, null);
      },
      'tiles.redo': async (a) => {
        const s = await this.store(a.imageId);
        const box = await this.step(a.imageId, s, 'redo');
        return result(s, box, null);
      },
      'tiles.history': async (a) => {
        const s = await this.store(a.imageId);
        return { canUndo: s.canUndo, canRedo: s.canRedo };
      },
      'tiles.segments': async (a) => (await this.store(a.imageId)).segmentStats(a.ids),
    };
  }
}
