// Contract group: Editing label maps: apply edit operations, undo/redo, segment classes and review state.
// Merged into app/contract/index.ts; each method is declared here once.
import { z } from 'zod';
import { method, id } from './define';
import { EditOpSchema } from '../edit/schema';
import type { EditKind } from '../edit/ops';
import type { Box, ImageRecord, SegmentRecord } from '../types';

/**
 * Where an image's edit history stands. `revision` names the label map's exact state (it changes
 * with every edit, undo and redo, and when the image is re-segmented); the renderer sends it back
 * as `expectRevision` so an edit made against an outdated map is refused instead of applied.
 */
export interface EditHistoryState {
  imageId: number;
  revision: string;
  /** Edit-log sequence number of the last applied entry (0 = none since the segmentation was made). */
  seq: number;
  /** Smallest segment id never used in this image; the renderer passes it to app/edit for new segments. */
  nextId: number;
  undoDepth: number;
  redoDepth: number;
  /** Kind of the first edit of the entry the next undo reverts / redo re-applies (for menu labels); 'resegment' = a new segmentation. */
  undoKind: EditKind | 'resegment' | null;
  redoKind: EditKind | 'resegment' | null;
}

/** Segment-table rows after a change: created or changed rows, and ids that no longer exist. */
export interface SegmentDelta {
  upserted: SegmentRecord[];
  removed: number[];
}

export interface EditAck extends EditHistoryState, SegmentDelta {
  /** applied: logged and saved; unchanged: the edit changed nothing (not logged); stale: expectRevision did not match, nothing done. */
  status: 'applied' | 'unchanged' | 'stale';
  /** Bounding box and number of the pixels the edit changed; the renderer compares them with its own result. */
  box: Box;
  pixels: number;
}

export interface EditStepResult extends EditHistoryState, SegmentDelta {
  /** applied: the step was undone/redone; nothing: no entry to undo/redo; stale: expectRevision did not match. */
  status: 'applied' | 'nothing' | 'stale';
  /** The entry's forward change (app/edit encodePatch); apply it with `direction` to follow along. */
  patch: Uint8Array;
  direction: 'forward' | 'inverse';
}

/** The current label map of an image as main holds it (checkpoint plus edit log), with its history state. */
export interface EditSnapshot extends EditHistoryState {
  width: number;
  height: number;
  /** Instance id per pixel (encoding 'raw'). */
  labels?: Uint32Array;
  /** The same ids as zlib-deflated little-endian bytes (encoding 'deflate': ~1 MB instead of 256 MB for 8192^2). */
  labelsDeflate?: Uint8Array;
  segments: SegmentRecord[];
  engine: string;
  updatedAt: string;
}

const source = z.enum(['auto', 'prompt', 'brush', 'import']);
const revision = z.string().min(1).max(200);

const EditApplySchema = z
  .object({
    imageId: id,
    /** One edit. */
    op: EditOpSchema.optional(),
    /** Several edits applied in order as ONE history entry (one gesture, e.g. "replace segment by SAM mask"). */
    ops: z.array(EditOpSchema).min(1).max(64).optional(),
    /** Refuse (status 'stale') unless the map is at this revision. */
    expectRevision: revision.optional(),
    /** Source recorded for segments the edit creates (default: brush for brush/polygon, prompt for masks). */
    source: source.optional(),
    /** New segments that are not split pieces take this segment's class (e.g. a part carved out of it with SAM). */
    classFrom: id.optional(),
  })
  .refine((a) => (a.op ? 1 : 0) + (a.ops ? 1 : 0) === 1, 'give exactly one of op or ops');
export type EditApplyArgs = z.output<typeof EditApplySchema>;

export const editMethods = {
  /** The image's current label map and segments as main holds them (null when not segmented). */
  'edit.open': method<EditSnapshot | null>()(
    z.object({
      imageId: id,
      /** Start an empty segmentation (engine 'manual') when the image has none, to add segments by hand or with SAM. */
      create: z.boolean().default(false),
      /** 'deflate' sends the label map compressed (labelsDeflate) instead of raw (labels). */
      encoding: z.enum(['raw', 'deflate']).default('raw'),
    }),
  ),
  /** Applies edit operations to the image's label map and saves them with their undo record in one transaction. */
  'edit.apply': method<EditAck>()(EditApplySchema),
  'edit.undo': method<EditStepResult>()(z.object({ imageId: id, expectRevision: revision.optional() })),
  'edit.redo': method<EditStepResult>()(z.object({ imageId: id, expectRevision: revision.optional() })),
  'edit.history': method<EditHistoryState | null>()(z.object({ imageId: id })),
  /** Writes label-map checkpoints now (one image, or every image with edits not yet in a checkpoint). */
  'edit.checkpoint': method<{ written: number }>()(z.object({ imageId: id.optional() })),
  /** Review state of an image: 'in-review' while being corrected, 'verified' when a person has checked it. */
  'images.setStatus': method<ImageRecord>()(z.object({ imageId: id, status: z.enum(['new', 'auto-segmented', 'in-review', 'verified']) })),
};
