// Edit operations on label maps with invertible patches.
// Typical use: validate an op with EditOpSchema; applyEdit(map, op, { nextId, bboxes, areas,
// meta }) changes the map and returns { patch, meta, segmentChanges, nextId }; main/ stores
// encodePatch(patch) with the op in its edit log (the one undo history) and updates the segment
// table from segmentChanges; undo/redo apply a stored patch with applyPatch(map, patch,
// 'inverse' | 'forward') and re-measure with measurePatch.
// The renderer can pass measure: false for instant previews.
export {
  type LabelPatch,
  applyPatch,
  combinePatches,
  decodePatch,
  diffToPatch,
  emptyPatch,
  encodePatch,
  isEmptyPatch,
  patchPixelCount,
} from './patch';
export {
  type BrushOp,
  type EditContext,
  type EditKind,
  type EditOp,
  type MetaChange,
  type PolygonOp,
  type SegmentMeta,
  applyEdit,
  invertMeta,
  
} from './ops';
export { type SegmentChanges, measurePatch } from './measure';
export { type MaskRle, type Point, maskToRle, polygonSpans } from './spans';
