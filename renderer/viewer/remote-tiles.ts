// Large images (app/view/large-image.ts) are never held whole in the renderer: the open image is
// a stand-in raster (its size, no pixels) tied to a RemoteTiles that fetches one 512 px tile at a
// time from main (tiles.image / tiles.labels), a few at once, nearest the view centre first.
// Label tiles fetched are kept (bounded, least recently used go) for hit-testing and restyling.
import type { GrainLabClient, ImageTile, LabelTile } from '../../app/contract';
import type { RasterImage } from '../../app/types';
import { tileKey, type TileKey } from './tiles';

/** Tile requests to main at once. */
const IN_FLIGHT = 6;
/** Label tiles (up to 1 MiB each) kept for hit-testing and redrawing without a refetch. */
const LABEL_TILES_KEPT = 160;

export interface RemoteTileSource {
  readonly imageId: number;
  readonly width: number;
  readonly height: number;
  image(k: TileKey): Promise<ImageTile>;
  labels(k: TileKey): Promise<LabelTile>;
}

const sources = new WeakMap<RasterImage, RemoteTileSource>();

/** A stand-in raster for a large image: its size and channels, no pixel data. */
export function remoteRaster(client: GrainLabClient, im: { id: number; width: number; height: number; channels: number }): RasterImage {
  const raster: RasterImage = { width: im.width, height: im.height, channels: im.channels === 3 ? 3 : 1, bitDepth: 8, data: new Uint8Array(0) };
  sources.set(raster, {
    imageId: im.id,
    width: im.width,
    height: im.height,
    image: (k) => client.call('tiles.image', { imageId: im.id, ...k }),
    labels: (k) => client.call('tiles.labels', { imageId: im.id, ...k }),
  });
  return raster;
}

/** The tile source of a stand-in raster, or null for an image held whole. */
export function remoteSourceOf(raster: RasterImage | null): RemoteTileSource | null {
  return raster ? (sources.get(raster) ?? null) : null;
}

/** Runs tile fetches a few at a time, in the order asked (a frame asks the view centre first). */
export class FetchQueue {
  private readonly waiting = new Map<string, () => Promise<void>>();
  private readonly running = new Set<string>();
  /** Fetched tiles, for figures (debug hooks, benchmarks). */
  done = 0;

  has(key: string): boolean {
    return this.waiting.has(key) || this.running.has(key);
  }

  get busy(): number {
    return this.waiting.size + this.running.size;
  }

  /** Queues a fetch unless one for `key` is waiting or running. */
  ask(key: string, run: () => Promise<void>): void {
    if (this.has(key)) return;
    this.waiting.set(key, run);
    this.pump();
  }

  /** Forgets waiting fetches (the view moved; what is still wanted is asked again when drawn). */
  dropWaiting(): void {
    this.waiting.clear();
  }

  private pump(): void {
    while (this.running.size < IN_FLIGHT && this.waiting.size > 0) {
      const [key, run] = this.waiting.entries().next().value!;
      this.waiting.delete(key);
      this.running.add(key);
      void run()
        .catch(() => {})
        .finally(() => {
          this.running.delete(key);
          this.done++;
          this.pump();
        });
    }
  }
}

/** Label tiles fetched, least recently used dropped beyond LABEL_TILES_KEPT. */
export class LabelTileCache {
  private readonly tiles = new Map<string, { k: TileKey; tile: LabelTile }>();

  get(k: TileKey): LabelTile | null {
    const key = tileKey(k);
    const t = this.tiles.get(key);
    if (!t) return null;
    this.tiles.delete(key);
    this.tiles.set(key, t);
    return t.tile;
  }

  put(k: TileKey, tile: LabelTile): void {
    const key = tileKey(k);
    this.tiles.delete(key);
    this.tiles.set(key, { k, tile });
    while (this.tiles.size > LABEL_TILES_KEPT) this.tiles.delete(this.tiles.keys().next().value!);
  }

  delete(k: TileKey): void {
    this.tiles.delete(tileKey(k));
  }

  clear(): void {
    this.tiles.clear();
  }

  /** The id at image pixel (x, y) from the finest cached tile that covers it (nearest sample), or null when none does. */
  labelAt(x: number, y: number, top: number): number | null {
    for (let L = 0; L <= top; L++) {
      const span = 512 << L;
      const k = { level: L, tx: Math.floor(x / span), ty: Math.floor(y / span) };
      const t = this.tiles.get(tileKey(k));
      if (!t) continue;
      if (!t.tile.data) return 0;
      const i = Math.floor((x - k.tx * span) / (1 << L));
      const j = Math.floor((y - k.ty * span) / (1 << L));
      return t.tile.data[j * t.tile.width + i] ?? 0;
    }
    return null;
  }
}
