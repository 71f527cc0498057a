// The edit operations as data (what the renderer, the CLI and the edit log exchange), and what
// planning and applying one gives back. The operations themselves are in ops.ts.
import type { Box } from '../types';
import type { SegmentChanges } from './measure';
import type { LabelPatch } from './patch';
import type { MaskRle, Point } from './spans';

/** A segment id, or 'new' for the next unused id (ctx.nextId). */
export type Target = number | 'new';

/** All listed ids (and `target`) become one segment: `target`, or the smallest listed id. */
export interface MergeOp {
  kind: 'merge';
  ids: readonly number[];
  target?: number;
}
/**
 * Cuts a segment along a 1 px, 8-connected polyline. Pieces no longer connected across the line
 * become new segments (the largest piece of each cut part keeps the id); the line's own pixels
 * join a neighbouring piece, so no gap opens. Pixels of other segments on the line are ignored.
 */
export interface SplitByLineOp {
  kind: 'splitByLine';
  segmentId: number;
  points: readonly Point[];
}
/**
 * A brush stroke: every pixel whose centre lies within `radius` of the polyline. Paint writes
 * `target`; erase writes 0. `onlyInto` limits the change to pixels that currently hold that id
 * (paint grain A with onlyInto B moves the A/B boundary and leaves no gap); `protect` (paint only)
 * leaves pixels of other segments alone and paints only empty pixels; onlyInto wins over protect.
 * The stroke is the exact union of discs swept along each segment (not discs stamped at
 * intervals), so samples far apart leave no gaps. For one gesture of many pointer moves, pass
 * 'new' once and the id it got (result.nextId - 1) for the following moves.
 */
export interface BrushOp {
  kind: 'brush';
  mode: 'paint' | 'erase';
  points: readonly Point[];
  radius: number;
  target?: Target;
  onlyInto?: number;
  protect?: boolean;
}
export interface DeleteOp {
  kind: 'delete';
  ids: readonly number[];
}
/** Deletes every segment with fewer than minArea pixels (scans the whole map). */
export interface DeleteSmallerThanOp {
  kind: 'deleteSmallerThan';
  minArea: number;
}
/**
 * Fills the holes of a segment. A hole is a 4-connected region of other pixels that does not
 * reach the border of the segment's bounding box, i.e. is enclosed by the segment. Its empty (0)
 * pixels take the segment's id; with `absorbEnclosed`, enclosed other segments are taken too.
 */
export interface FillHolesOp {
  kind: 'fillHoles';
  id: number;
  absorbEnclosed?: boolean;
}
/** Writes `target` into the mask's pixels; without overwrite only empty (0) pixels change. */
interface AddFromMaskOp {
  kind: 'addFromMask';
  mask: MaskRle;
  target: Target;
  overwrite: boolean;
}
/**
 * Polygon fill (pixel centres inside, even-odd). add: writes `target` (default 'new'), over other
 * segments unless overwrite is false. subtract: clears `target`'s pixels inside, or all when no target.
 */
export interface PolygonOp {
  kind: 'polygon';
  mode: 'add' | 'subtract';
  points: readonly Point[];
  target?: Target;
  overwrite?: boolean;
}
export interface SetClassOp {
  kind: 'setClass';
  ids: readonly number[];
  classId: number | null;
}
export interface SetVerifiedOp {
  kind: 'setVerified';
  ids: readonly number[];
  verified: boolean;
}

export type EditOp = MergeOp | SplitByLineOp | BrushOp | DeleteOp | DeleteSmallerThanOp | FillHolesOp | AddFromMaskOp | PolygonOp | SetClassOp | SetVerifiedOp;
export type EditKind = EditOp['kind'];

export interface SegmentMeta {
  classId: number | null;
  verified: boolean;
}

/** A segment-table change that is not in the pixels, with the old value so it can be undone. */
export type MetaChange =
  | { id: number; field: 'classId'; old: number | null; new: number | null }
  | { id: number; field: 'verified'; old: boolean; new: boolean };

export interface EditContext {
  /** Smallest id never used in this image (the caller tracks the largest id ever handed out). */
  nextId: number;
  /** Bounding box of a segment, undefined when it has no pixels. Lets merge/delete/split/fill and measuring stay local; without it they scan the whole map. */
  bboxes?: (id: number) => Box | undefined;
  /** Area of a segment (from the segment table). With bboxes, lets measuring skip rescanning segments' boxes. */
  areas?: (id: number) => number | undefined;
  /** Current class and verified flag of a segment; required by setClass and setVerified. */
  meta?: (id: number) => SegmentMeta | undefined;
  /** applyEdit: measure area and bbox of touched segments (default true); a preview can skip it. */
  measure?: boolean;
}

export interface EditPlan {
  /** The pixel change; empty for meta-only edits and edits that change nothing. */
  patch: LabelPatch;
  meta: MetaChange[];
  /** How many new ids from ctx.nextId the edit used (they are nextId .. nextId + idsUsed - 1). */
  idsUsed: number;
  /** [newId, fromId] for new ids cut out of an existing segment. */
  derivedFrom: [number, number][];
}

export interface EditResult extends EditPlan {
  segmentChanges: SegmentChanges;
  /** ctx.nextId + idsUsed. */
  nextId: number;
}
