// An image's tile pyramid, built once by libvips (sharp's deep-zoom `.tile()` output, which reads
// the source region by region: a 32768 x 32768 mosaic never becomes one buffer in JS) and cached
// in the project folder under cache/pyramid/<content hash>-p<page>/. Deep-zoom levels halve the
// image (box average) down to the level that fits one 512 px tile, so its tiles match
// renderer/viewer/tiles.ts: level L (dz level top - L) has tile (tx, ty) covering pixels from
// (tx, ty) * 512 * 2^L. The cache keeps at most MAX_PYRAMIDS pyramids (least recently used go).
import sharp from 'sharp';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceError } from '../../app/errors';
import type { ImageTile } from '../../app/contract/tiles';

export const PYRAMID_DIR = 'cache/pyramid';
const MAX_PYRAMIDS = 16;

export interface PyramidSource {
  /** Absolute path of the stored image file. */
  file: string;
  page: number;
  hash: string;
  width: number;
  height: number;
  channels: number;
  bitDepth: number;
  name: string;
}

export interface Pyramid {
  dir: string;
  /** The deep-zoom level of full size (our level 0). */
  top: number;
  levels: number;
  buildMs: number;
}

function pyramidKey(src: Pick<PyramidSource, 'hash' | 'page'>): string {
  return `${src.hash.slice(0, 24)}-p${src.page}`;
}

/** Bytes under a folder. */
export async function folderBytes(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) n += (await stat(join(e.parentPath, e.name))).size;
  }
  return n;
}

export class PyramidCache {
  private readonly building = new Map<string, Promise<Pyramid>>();

  constructor(private readonly projectDir: string) {}

  private root(): string {
    return join(this.projectDir, PYRAMID_DIR);
  }

  dirOf(src: Pick<PyramidSource, 'hash' | 'page'>): string {
    return join(this.root(), pyramidKey(src));
  }

  /** The pyramid of an image, building it when it is not cached (concurrent callers share one build). */
  get(src: PyramidSource): Promise<Pyramid> {
    const key = pyramidKey(src);
    const had = this.building.get(key);
    if (had) return had.then((pyr) => ({ ...pyr, buildMs: 0 }));
    const p = this.open(src).catch((e: unknown) => {
      this.building.delete(key);
      throw e;
    });
    this.building.set(key, p);
    return p;
  }

  private async open(src: PyramidSource): Promise<Pyramid> {
    const dir = this.dirOf(src);
    const files = join(dir, 'tiles_files');
    let buildMs = 0;
    if (!existsSync(join(dir, 'done'))) {
      const t0 = performance.now();
      await this.build(src, dir);
      buildMs = performance.now() - t0;
      await this.trim(dir);
    } else {
      const now = new Date();
      await utimes(dir, now, now).catch(() => {});
    }
    const levels = (await readdir(files)).map(Number).filter((n) => Number.isInteger(n));
    const top = Math.max(...levels);
    const bottom = Math.min(...levels);
    return { dir: files, top, levels: top - bottom + 1, buildMs };
  }

  private async build(src: PyramidSource, dir: string): Promise<void> {
    const tmp = `${dir}.part`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    try {
      let p = sharp(src.file, { page: src.page, limitInputPixels: false, sequentialRead: true }).removeAlpha();
      if (src.channels <= 2 || src.bitDepth === 16) p = p.toColourspace('b-w');
      await p
        .png({ compressionLevel: 1 })
        .tile({ size: 512, overlap: 0, layout: 'dz', depth: 'onetile' })
        .toFile(join(tmp, 'tiles'));
      await writeFile(join(tmp, 'source.json'), JSON.stringify({ hash: src.hash, page: src.page }));
      await mkdir(join(tmp, 'done'));
      await rm(dir, { recursive: true, force: true });
      await rename(tmp, dir);
    } catch (e) {
      await rm(tmp, { recursive: true, force: true }).catch(() => {});
      throw new ServiceError('bad-image', `${src.name}: its tile pyramid could not be built (${(e as Error).message}). Check the stored image file, or re-import it.`, src.name);
    }
  }

  /** Keeps at most MAX_PYRAMIDS pyramids: the least recently opened others are removed. */
  private async trim(keep: string): Promise<void> {
    const root = this.root();
    const entries = await readdir(root, { withFileTypes: true });
    const dirs = await Promise.all(entries.filter((e) => e.isDirectory() && !e.name.endsWith('.part')).map(async (e) => ({ path: join(root, e.name), t: (await stat(join(root, e.name))).mtimeMs })));
    dirs.sort((a, b) => b.t - a.t);
    for (const d of dirs.slice(MAX_PYRAMIDS)) {
      if (d.path === keep) continue;
      await rm(d.path, { recursive: true, force: true });
      this.building.clear();
    }
  }

  /** Removes the cached pyramids of images the project no longer has (after images were removed). */
  async prune(has: (hash: string, page: number) => boolean): Promise<number> {
    const root = this.root();
    if (!existsSync(root)) return 0;
    let removed = 0;
    for (const e of await readdir(root, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const dir = join(root, e.name);
      let src: { hash?: unknown; page?: unknown } | null = null;
      try {
        src = JSON.parse(await readFile(join(dir, 'source.json'), 'utf8')) as { hash?: unknown; page?: unknown };
      } catch {
        src = null;
      }
      if (src && typeof src.hash === 'string' && typeof src.page === 'number' && has(src.hash, src.page)) continue;
      if (e.name.endsWith('.part') && this.building.size > 0) continue;
      this.building.clear();
      await rm(dir, { recursive: true, force: true });
      removed++;
    }
    return removed;
  }

  /** One view tile, decoded to 8-bit grey or RGB samples. */
  async tile(src: PyramidSource, level: number, tx: number, ty: number): Promise<ImageTile> {
    const pyr = await this.get(src);
    const dz = pyr.top - level;
    if (level < 0 || dz < pyr.top - pyr.levels + 1) throw new ServiceError('invalid-argument', `Level ${level} is beyond ${src.name}'s pyramid (levels 0-${pyr.levels - 1}).`);
    const file = join(pyr.dir, String(dz), `${tx}_${ty}.png`);
    if (!existsSync(file)) throw new ServiceError('invalid-argument', `Tile ${tx},${ty} of level ${level} is outside ${src.name}.`);
    let p = sharp(file).removeAlpha();
    const grey = src.channels <= 2 || src.bitDepth === 16;
    p = grey ? p.toColourspace('b-w') : p.toColourspace('srgb');
    const { data, info } = await p.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, channels: grey ? 1 : 3, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  }
}
