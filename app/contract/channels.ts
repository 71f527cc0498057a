// Contract group: elemental maps (EDS, WDS or any channel of the same field) on an image — import,
// registration (estimated, from two point pairs, or typed), overlay look, pixels for display.
// Merged into app/contract/index.ts; each method is declared here once.
import { z } from 'zod';
import { method, id, path, fileBytes } from './define';

export interface ChannelRegistration {
  sx: number;
  sy: number;
  tx: number;
  ty: number;
}

export interface ChannelRecord {
  id: number;
  imageId: number;
  /** Element symbol (from the file name, or given), e.g. 'Fe'. */
  element: string;
  /** The file it came from (and page, for a multi-page TIFF). */
  name: string;
  page: number;
  width: number;
  height: number;
  bitDepth: number;
  /** Image x = sx * map x + tx (map pixel corners), and y alike. */
  registration: ChannelRegistration;
  /** size: scale from the size ratio only; estimate: correlation with the image; points: two point pairs; typed: given numbers. */
  registeredBy: 'size' | 'estimate' | 'points' | 'typed';
  /** How well the estimate matched (mean squared correlation, 0..1); null when not estimated. */
  score: number | null;
  color: string;
  opacity: number;
  visible: boolean;
}

export interface ChannelImportResult {
  added: ChannelRecord[];
  failed: { name: string; message: string }[];
}

/** A map for the overlay: its own grid, 8-bit, stretched between its 1st and 99th percentiles. */
export interface ChannelDisplay {
  id: number;
  width: number;
  height: number;
  data: Uint8Array;
}

const Point = z.object({ x: z.number().finite().min(-1e6).max(1e6), y: z.number().finite().min(-1e6).max(1e6) });
const PointPairSchema = z.object({ image: Point, map: Point });
const Elements = z.array(z.string().trim().min(1).max(40)).max(64).optional();
const Colour = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour as #rrggbb');

export const channelMethods = {
  'channels.list': method<ChannelRecord[]>()(z.object({ imageId: id })),
  /**
   * Adds maps to an image: one file per element (element from the file name unless `elements`
   * gives them in order), or a multi-page TIFF with one element per page. Registered at once
   * (estimated; `register: false` keeps the size-ratio scale and no shift).
   */
  'channels.importPaths': method<ChannelImportResult>()(z.object({ imageId: id, paths: z.array(path).min(1).max(64), elements: Elements, register: z.boolean().default(true) })),
  'channels.importFiles': method<ChannelImportResult>()(z.object({ imageId: id, files: z.array(fileBytes).min(1).max(64), elements: Elements, register: z.boolean().default(true) })),
  'channels.display': method<ChannelDisplay>()(z.object({ id })),
  'channels.update': method<ChannelRecord>()(z.object({ id, element: z.string().trim().min(1).max(40).optional(), color: Colour.optional(), opacity: z.number().min(0).max(1).optional(), visible: z.boolean().optional() })),
  /**
   * Registers maps of an image (all of them, or `ids`): estimate (correlation with the image),
   * two point pairs (scale and shift solved from them), or typed numbers.
   */
  'channels.register': method<ChannelRecord[]>()(
    z.object({
      imageId: id,
      ids: z.array(id).min(1).max(64).optional(),
      estimate: z.boolean().optional(),
      pairs: z.tuple([PointPairSchema, PointPairSchema]).optional(),
      registration: z.object({ sx: z.number().positive().max(1e4), sy: z.number().positive().max(1e4), tx: z.number().finite().min(-1e6).max(1e6), ty: z.number().finite().min(-1e6).max(1e6) }).optional(),
    }).refine((a) => [a.estimate === true, a.pairs !== undefined, a.registration !== undefined].filter(Boolean).length === 1, 'give exactly one of estimate: true, pairs or registration'),
  ),
  'channels.remove': method<{ removed: number }>()(z.object({ ids: z.array(id).min(1).max(1000) })),
};
