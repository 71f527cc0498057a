// Edit operations on label maps with invertible patches, and per-image undo/redo history.
// Typical use: validate an op with EditOpSchema; applyEdit(map, op, { nextId, bboxes, areas,
// meta }) changes the map and returns { patch, meta, segmentChanges, nextId }; main/ stores
// encodePatch(patch) with the op in the edit log and updates the segment table from
// segmentChanges; EditHistory.record(op, patch, meta) feeds undo/redo, whose steps are applied
// with applyPatch(map, step.patch, step.direction) and re-measured with measurePatch.
// The renderer can pass measure: false for instant previews.
export {
  type LabelPatch,
  type PatchDirection,
  PatchMismatchError,
  PatchDecodeError,
  PatchBuilder,
  applyPatch,
  combinePatches,
  decodePatch,
  diffToPatch,
  emptyPatch,
  encodePatch,
  invertPatch,
  isEmptyPatch,
  patchPixelCount,
} from './patch';
export {
  type AddFromMaskOp,
  type BrushOp,
  type DeleteOp,
  type DeleteSmallerThanOp,
  type EditContext,
  type EditKind,
  type EditOp,
  type EditPlan,
  type EditResult,
  type FillHolesOp,
  type MergeOp,
  type MetaChange,
  type PolygonOp,
  type SegmentMeta,
  type SetClassOp,
  type SetVerifiedOp,
  type SplitByLineOp,
  type Target,
  applyEdit,
  invertMeta,
  planEdit,
} from './ops';
export { type MeasureOptions, type SegmentChanges, measurePatch } from './measure';
export { type MaskRle, type Point, type RowSpans, maskToRle, rleToMask, polygonSpans, strokeSpans, maskSpans, spanArea } from './spans';
export { type HistoryEntry, type HistoryOptions, type HistoryStep, EditHistory, HistoryByImage, stepPatch } from './history';
export { EditOpSchema } from './schema';
