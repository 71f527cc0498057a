// Large images, tile by tile: main keeps an image pyramid (cached in the project folder) and a
// tiled label map, and answers one 512 px view tile at a time (renderer/viewer/tiles.ts geometry:
// level L samples every 2^L-th pixel). Brush/erase, delete and merge on a large image are applied
// in main; the renderer refetches the tiles an edit changed.
import { z } from 'zod';
import { method, id } from './define';
import type { Box } from '../types';

const level = z.number().int().min(0).max(20);
const tileIndex = z.number().int().min(0).max(1 << 20);
const tile = z.object({ imageId: id, level, tx: tileIndex, ty: tileIndex });
const point = z.tuple([z.number().finite(), z.number().finite()]);
const segId = z.number().int().positive();

/** The edits a large image takes (the same shapes as app/edit's brush, delete and merge). */
const largeEditOp = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('brush'),
    mode: z.enum(['paint', 'erase']),
    points: z.array(point).min(1).max(100_000),
    radius: z.number().positive().max(4096),
    target: z.union([segId, z.literal('new')]).optional(),
    onlyInto: segId.optional(),
    protect: z.boolean().optional(),
  }),
  z.object({ kind: z.literal('delete'), ids: z.array(segId).min(1).max(100_000) }),
  z.object({ kind: z.literal('merge'), ids: z.array(segId).min(2).max(100_000), target: segId.optional() }),
]);
export type LargeEditOp = z.infer<typeof largeEditOp>;

/** One view tile of the micrograph: 8-bit grey (1) or RGB (3), `width` x `height` samples. */
export interface ImageTile {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

/** One view tile of the label map (one id a sample); data null when the tile holds no segment. */
export interface LabelTile {
  width: number;
  height: number;
  data: Uint32Array | null;
}

export interface PyramidInfo {
  imageId: number;
  width: number;
  height: number;
  /** Levels 0 (full size) .. levels - 1 (fits one tile). */
  levels: number;
  /** Milliseconds spent building it now; 0 when it was already cached. */
  buildMs: number;
  /** Bytes the cached pyramid takes on disk. */
  bytes: number;
}

export interface LargeEditResult {
  /** Image pixels changed (null: none); their tiles are to be refetched. */
  box: Box | null;
  /** The id a paint into 'new' got, else null. */
  created: number | null;
  canUndo: boolean;
  canRedo: boolean;
}

export const tileMethods = {
  /** Builds (or finds) the image's tile pyramid in the project's cache folder. */
  'tiles.pyramid': method<PyramidInfo>()(z.object({ imageId: id })),
  'tiles.image': method<ImageTile>()(tile),
  'tiles.labels': method<LabelTile>()(tile),
  /** The segment id under one pixel (0: none). */
  'tiles.labelAt': method<number>()(z.object({ imageId: id, x: z.number().int().min(0), y: z.number().int().min(0) })),
  'tiles.edit': method<LargeEditResult>()(z.object({ imageId: id, ops: z.array(largeEditOp).min(1).max(64) })),
  'tiles.undo': method<LargeEditResult>()(z.object({ imageId: id })),
  'tiles.redo': method<LargeEditResult>()(z.object({ imageId: id })),
  /** Whether undo and redo have a step (a mosaic over 16384² keeps its steps across reopening). */
  'tiles.history': method<{ canUndo: boolean; canRedo: boolean }>()(z.object({ imageId: id })),
  /** Segments' areas (pixels) and bounding boxes from the label tiles, one pass; ids with no pixel are left out. */
  'tiles.segments': method<{ id: number; area: number; bbox: Box }[]>()(z.object({ imageId: id, ids: z.array(segId).min(1).max(64) })),
};
