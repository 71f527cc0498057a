// Handlers of the tiles.* calls: image tiles from the cached pyramid, label tiles and edits from
// a tiled label map per image. Label maps of large images live in main for the session: one that
// had a segmentation is seeded from it; edits on it are kept until the project closes (they are
// not written to the project's segmentation; see README "Known limits").
import { MAX_PIXELS } from '../../app/limits';
import { ServiceError } from '../../app/errors';
import type { ImageRecord } from '../../app/types';
import type { LargeEditResult } from '../../app/contract/tiles';
import { resolveInside } from '../fs/contain';
import type { Handlers, ServiceContext } from '../handlers/context';
import { LabelTileStore, viewTileRect } from './label-tiles';
import { folderBytes, PyramidCache, type PyramidSource } from './pyramid';

type TileMethodName = 'tiles.pyramid' | 'tiles.image' | 'tiles.labels' | 'tiles.labelAt' | 'tiles.edit' | 'tiles.undo' | 'tiles.redo';

export class TileService {
  private cache: { dir: string; pyramids: PyramidCache } | null = null;
  private readonly labels = new Map<number, Promise<LabelTileStore>>();

  constructor(private readonly ctx: ServiceContext) {
    ctx.onProjectClose(() => {
      this.cache = null;
      this.labels.clear();
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
        return new LabelTileStore(im.width, im.height);
      })();
      p.catch(() => this.labels.delete(imageId));
      this.labels.set(imageId, p);
    }
    return p;
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
        const out = s.apply(a.ops);
        return result(s, out.box, out.created);
      },
      'tiles.undo': async (a) => {
        const s = await this.store(a.imageId);
        const box = s.undo();
        return result(s, box, null);
      },
      'tiles.redo': async (a) => {
        const s = await this.store(a.imageId);
        const box = s.redo();
        return result(s, box, null);
      },
    };
  }
}
